/** The memory backend: the embedded default. Same conditions and range-id fencing as Cassandra, no I/O. */
import type { Stores } from '../store.js';
import { MemoryDatabase } from './database.js';
import { MemoryExecutionStore } from './executions.js';
import { MemoryHistoryStore } from './history.js';
import { MemoryNamespaceStore } from './namespaces.js';
import { MemoryShardStore } from './shards.js';
import { MemoryTaskStore } from './tasks.js';

export function createMemoryStores(db = new MemoryDatabase()): Stores {
  return {
    backend: 'memory',
    shards: new MemoryShardStore(db),
    executions: new MemoryExecutionStore(db),
    history: new MemoryHistoryStore(db),
    tasks: new MemoryTaskStore(db),
    namespaces: new MemoryNamespaceStore(db),
    close: () => Promise.resolve(),
  };
}

export { MemoryDatabase };
