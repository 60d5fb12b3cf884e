import { describe, expect, it } from 'vitest';
import { shardFor, shardOwner, type ClusterView } from '../../engine/index.js';
import { OwnerMap } from './owner-map.js';
import { spreadTarget } from './routed-client.js';
import { workflowIdOf } from './route-key.js';

describe('workflowIdOf', () => {
  it('reads the workflow id wherever Temporal requests carry it, and none from requests about no workflow', () => {
    expect(workflowIdOf({ workflowId: 'a' })).toBe('a');
    expect(workflowIdOf({ workflowExecution: { workflowId: 'b', runId: '' } })).toBe('b');
    expect(workflowIdOf({ execution: { workflowId: 'c' } })).toBe('c');
    expect(workflowIdOf({ updateRef: { workflowExecution: { workflowId: 'd' } } })).toBe('d');
    expect(workflowIdOf({ operations: [{ startWorkflow: { workflowId: 'e' } }] })).toBe('e');
    expect(workflowIdOf({ namespace: 'default', taskQueue: { name: 'q' } })).toBeUndefined();
    expect(workflowIdOf({ workflowId: '' })).toBeUndefined();
    expect(workflowIdOf(undefined)).toBeUndefined();
  });
});

describe('spreadTarget', () => {
  it('sends one workflow id to one target always, and spreads many ids over every target', () => {
    const targets = ['a:1', 'b:2', 'c:3'];
    const counts = new Map<string, number>();
    for (let i = 0; i < 3000; i++) {
      const t = spreadTarget(`run-${i}`, targets);
      expect(spreadTarget(`run-${i}`, targets)).toBe(t);
      counts.set(t, (counts.get(t) ?? 0) + 1);
    }
    for (const t of targets) expect(counts.get(t) ?? 0).toBeGreaterThan(800);
  });
});

describe('OwnerMap', () => {
  const view: ClusterView = {
    clustered: true,
    self: 'm1',
    numShards: 16,
    members: [
      { hostId: 'm1', address: '10.0.0.1:7233', sessionStartMs: 1 },
      { hostId: 'm2', address: '10.0.0.2:7233', sessionStartMs: 2 },
      { hostId: 'm3', address: '10.0.0.3:7233', sessionStartMs: 3 },
    ],
  };
  it("names the address of the member owning the workflow's shard, as the engine's ring functions compute it", () => {
    const map = new OwnerMap(view, 'ns-id');
    const seen = new Set<string>();
    for (let i = 0; i < 200; i++) {
      const id = `wf-${i}`;
      const owner = shardOwner(shardFor('ns-id', id, 16), ['m1', 'm2', 'm3']);
      const address = map.addressFor(id);
      expect(address).toBe(view.members.find((m) => m.hostId === owner)?.address);
      seen.add(address ?? '');
    }
    expect(seen.size).toBe(3);
  });
  it('has no owner for a ring without members, nor outside a cluster (the target reached is the member)', () => {
    expect(new OwnerMap({ ...view, members: [] }, 'ns-id').addressFor('x')).toBeUndefined();
    expect(new OwnerMap({ ...view, clustered: false }, 'ns-id').addressFor('x')).toBeUndefined();
  });
});
