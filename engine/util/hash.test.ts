import { describe, expect, it } from 'vitest';
import { fnv1a32, shardFor } from './hash.js';

describe('shard mapping', () => {
  it('is stable (these values must never change: they place existing workflows)', () => {
    expect(fnv1a32('')).toBe(0x811c9dc5);
    expect(fnv1a32('a')).toBe(0xe40c292c);
    expect(shardFor('ns', 'wf-1', 16)).toBe(shardFor('ns', 'wf-1', 16));
    // FNV-1a over the UTF-8 bytes, whether the text is ASCII (hashed from its code units) or not.
    const bytesHash = (t: string): number =>
      [...new TextEncoder().encode(t)].reduce((h, b) => Math.imul(h ^ b, 0x01000193) >>> 0, 0x811c9dc5);
    for (const t of ['ns_wf-1', '6ecff875-1397-432a-a11a-5eee8735a5a2_order-42', 'ns_café', 'ns_注文-7', 'ns_😀'])
      expect(fnv1a32(t)).toBe(bytesHash(t));
    expect(fnv1a32('ns_café')).toBe(0xa8d085cf);
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
