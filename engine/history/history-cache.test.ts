import { describe, expect, it } from 'vitest';
import type { IHistoryEvent } from '../proto.js';
import { RunHistoryCache } from './history-cache.js';

const ev = (...ids: number[]): IHistoryEvent[] => ids.map((eventId) => ({ eventId, eventType: 1 }));
const ids = (events: IHistoryEvent[] | undefined): number[] | undefined => events?.map((e) => Number(e.eventId));

describe('RunHistoryCache', () => {
  it('serves a range once the run is cached from event 1 without gaps', () => {
    const c = new RunHistoryCache(10);
    c.committed('r', ev(1, 2, 3), false);
    c.committed('r', ev(4), false);
    expect(ids(c.range('r', 1, 5))).toEqual([1, 2, 3, 4]);
    expect(ids(c.range('r', 3, 5))).toEqual([3, 4]);
    // Beyond what is cached: the caller reads the store.
    expect(c.range('r', 1, 6)).toBeUndefined();
  });

  it('never caches a run it did not see from its first event, or after a gap', () => {
    const c = new RunHistoryCache(10);
    c.committed('loaded', ev(7, 8), false);
    expect(c.range('loaded', 7, 9)).toBeUndefined();
    c.committed('gap', ev(1, 2), false);
    c.committed('gap', ev(4), false);
    expect(c.range('gap', 1, 3)).toBeUndefined();
  });

  it('drops a run when it closes, when it grows past the limit, and the least recent run when full', () => {
    const c = new RunHistoryCache(2, 4);
    c.committed('a', ev(1, 2), false);
    c.committed('a', ev(3), true);
    expect(c.range('a', 1, 3)).toBeUndefined();
    c.committed('long', ev(1, 2, 3), false);
    c.committed('long', ev(4, 5), false);
    expect(c.range('long', 1, 4)).toBeUndefined();
    c.committed('x', ev(1), false);
    c.committed('y', ev(1), false);
    c.committed('z', ev(1), false);
    expect(c.size).toBe(2);
    expect(c.range('x', 1, 2)).toBeUndefined();
  });

  it('hands out copies: what a response appends does not reach the cache', () => {
    const c = new RunHistoryCache(10);
    c.committed('r', ev(1, 2), false);
    c.range('r', 1, 3)?.push(...ev(3));
    expect(ids(c.range('r', 1, 3))).toEqual([1, 2]);
  });
});
