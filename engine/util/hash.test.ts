import { describe, expect, it } from 'vitest';
import { fnv1a32, shardFor } from './hash.js';

describe('shard mapping', () => {
  it('is stable (these values must never change: they place existing workflows)', () => {
    expect(fnv1a32('')).toBe(0x811c9dc5);
    expect(fnv1a32('a')).toBe(0xe40c292c);
    expect(shardFor('ns', 'wf-1', 16)).toBe(shardFor('ns', 'wf-1', 16));
  });

  it('spreads workflows over every shard, 1-based', () => {
    const counts = new Map<number, number>();
    for (let i = 0; i < 16_000; i++) {
      const s = shardFor('00000000-0000-0000-0000-000000000000', `wf-${i}`, 16);
      counts.set(s, (counts.get(s) ?? 0) + 1);
    }
    expect([...counts.keys()].sort((a, b) => a - b)).toEqual(Array.from({ length: 16 }, (_, i) => i + 1));
    for (const n of counts.values()) expect(n).toBeGreaterThan(800);
  });
});
