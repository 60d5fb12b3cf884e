import { describe, expect, it } from 'vitest';
import { LruMap } from './lru.js';

describe('LruMap', () => {
  it('evicts the least recently used entry; get and set make an entry the most recent, peek does not', () => {
    const m = new LruMap<string, number>(3);
    m.set('a', 1);
    m.set('b', 2);
    m.set('c', 3);
    expect(m.get('a')).toBe(1); // order now b, c, a
    expect(m.peek('b')).toBe(2); // no change
    m.set('d', 4); // evicts b
    expect([...m.values()]).toEqual([3, 1, 4]);
    m.set('c', 30); // update moves c to the newest end
    m.set('e', 5); // evicts a
    expect([...m.values()]).toEqual([4, 30, 5]);
    expect(m.peek('a')).toBeUndefined();
    expect(m.size).toBe(3);
  });

  it('skips entries that may not be evicted (the newest goes if nothing older may)', () => {
    const pinned = new Set(['a']);
    const m = new LruMap<string, string>(2, (v) => !pinned.has(v));
    m.set('a', 'a');
    m.set('b', 'b');
    m.set('c', 'c'); // a is pinned: b goes
    expect([...m.values()]).toEqual(['a', 'c']);
    pinned.add('c');
    m.set('d', 'd'); // a and c pinned: d is the only one that may go
    expect([...m.values()]).toEqual(['a', 'c']);
    pinned.clear();
    m.set('e', 'e'); // a is the oldest again evictable
    expect([...m.values()]).toEqual(['c', 'e']);
  });

  it('delete and clear keep the order consistent', () => {
    const m = new LruMap<number, number>(10);
    for (let i = 0; i < 5; i++) m.set(i, i);
    expect(m.delete(0)).toBe(true); // oldest
    expect(m.delete(4)).toBe(true); // newest
    expect(m.delete(2)).toBe(true); // middle
    expect(m.delete(2)).toBe(false);
    expect([...m.values()]).toEqual([1, 3]);
    m.get(1);
    expect([...m.values()]).toEqual([3, 1]);
    m.clear();
    expect(m.size).toBe(0);
    expect([...m.values()]).toEqual([]);
    m.set(7, 7);
    expect([...m.values()]).toEqual([7]);
  });
});
