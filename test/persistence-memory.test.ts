/** The persistence conformance suite on the memory backend, and what only the memory backend has to get right. */
import { describe, expect, it } from 'vitest';
import { createMemoryStores, MemoryDatabase } from '../engine/persistence/memory/index.js';
import { membershipConformance } from './support/membership-conformance.js';
import { persistenceConformance } from './support/persistence-conformance.js';

// One database for the suite, like one Cassandra keyspace: tests keep apart by shard and ids.
const db = new MemoryDatabase();
persistenceConformance(
  'memory',
  () => Promise.resolve(createMemoryStores(db)),
  () => Promise.resolve(),
);
membershipConformance('memory', () => Promise.resolve(createMemoryStores(db)));

describe('memory backend: retained bytes', () => {
  it('keeps a history node in a buffer of its own, not a view that pins a pooled slab', async () => {
    const stores = createMemoryStores(new MemoryDatabase());
    // What protobufjs's finish() gives on Node: a small Buffer.allocUnsafe, i.e. a slice of the shared 8 KiB pool.
    const slab = Buffer.allocUnsafe(8192);
    const view = slab.subarray(100, 140).fill(7);
    expect(view.buffer.byteLength).toBe(8192);
    await stores.history.appendHistoryNodes({
      treeId: 't',
      branchId: 'b',
      node: { nodeId: 1, txnId: 10, prevTxnId: 0, blob: view },
      newBranch: { info: '{"treeId":"t","branchId":"b"}' },
    });
    slab.fill(0); // the pool hands these bytes to the next caller
    const { nodes } = await stores.history.readHistoryNodes({
      treeId: 't',
      branchId: 'b',
      minNodeId: 1,
      maxNodeId: 2,
      pageSize: 10,
      pageToken: undefined,
    });
    const blob = nodes[0]?.blob;
    expect(blob?.byteLength).toBe(40);
    expect(blob?.buffer.byteLength).toBe(40);
    expect([...(blob ?? [])]).toEqual(new Array(40).fill(7));
  });
});
