import { describe, expect, it } from 'vitest';
import { ownerOf, shardOwner, shardsOf, taskQueueOwner } from './ring.js';

const members = (n: number): string[] => Array.from({ length: n }, (_, i) => `3f2a9c1e-0000-4000-8000-00000000000${i}`);

describe('rendezvous ring', () => {
  it('gives every shard exactly one owner, the same whatever the order of the member list', () => {
    const m = members(3);
    for (let s = 1; s <= 64; s++) {
      const owner = shardOwner(s, m);
      expect(m).toContain(owner);
      expect(shardOwner(s, [...m].reverse())).toBe(owner);
    }
  });

  it('spreads shards over members roughly evenly', () => {
    const m = members(4);
    const counts = m.map((id) => shardsOf(id, m, 512).length);
    expect(counts.reduce((a, b) => a + b, 0)).toBe(512);
    for (const c of counts) expect(c).toBeGreaterThan(512 / 4 / 2);
  });

  it('moves only the joining member’s share when one joins', () => {
    const before = members(3);
    const after = members(4);
    let moved = 0;
    for (let s = 1; s <= 512; s++) {
      const a = shardOwner(s, before);
      const b = shardOwner(s, after);
      if (a !== b) {
        moved += 1;
        expect(b).toBe(after[3]); // a shard only ever moves to the newcomer
      }
    }
    expect(moved).toBeGreaterThan(512 / 4 / 2);
    expect(moved).toBeLessThan(512 / 2);
  });

  it('moves only the leaving member’s shards when one leaves', () => {
    const before = members(3);
    const after = before.slice(0, 2);
    for (let s = 1; s <= 256; s++) {
      const a = shardOwner(s, before);
      if (a !== before[2]) expect(shardOwner(s, after)).toBe(a);
    }
  });

  it('owns task queues by name and type, and nothing without members', () => {
    const m = members(2);
    expect(m).toContain(taskQueueOwner('ns', 'q', 'workflow', m));
    expect(ownerOf('x', [])).toBeUndefined();
  });
});
