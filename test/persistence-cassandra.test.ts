/** The persistence conformance suite on Cassandra (the bundled 2.1, or the cluster STAMPEDE_TEST_CASSANDRA names). */
import { afterAll, beforeAll } from 'vitest';
import { createCassandraStores } from '../engine/persistence/cassandra/index.js';
import type { Stores } from '../engine/persistence/store.js';
import { freshKeyspace, testCluster } from './helpers/engine.js';
import { membershipConformance } from './support/membership-conformance.js';
import { persistenceConformance } from './support/persistence-conformance.js';

let keyspace = '';
let shared: Stores | undefined;

beforeAll(async () => {
  keyspace = await freshKeyspace('conformance');
  const c = testCluster();
  shared = await createCassandraStores({
    contactPoints: c.contactPoints,
    localDataCenter: c.localDataCenter,
    keyspace,
  });
}, 120_000);

afterAll(async () => {
  await shared?.close();
});

persistenceConformance(
  'cassandra',
  () => {
    if (!shared) throw new Error('the Cassandra stores did not open');
    return Promise.resolve(shared);
  },
  () => Promise.resolve(),
);

membershipConformance('cassandra', () => {
  if (!shared) throw new Error('the Cassandra stores did not open');
  return Promise.resolve(shared);
});
