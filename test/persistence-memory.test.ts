/** The persistence conformance suite on the memory backend. */
import { createMemoryStores, MemoryDatabase } from '../engine/persistence/memory/index.js';
import { persistenceConformance } from './support/persistence-conformance.js';

// One database for the suite, like one Cassandra keyspace: tests keep apart by shard and ids.
const db = new MemoryDatabase();
persistenceConformance(
  'memory',
  () => Promise.resolve(createMemoryStores(db)),
  () => Promise.resolve(),
);
