import { describe, expect, it } from 'vitest';
import type { HistoryEvent } from '../../scenarios/sdk/decider-task.js';
import { EagerActivitySlots } from './activity-task.js';
import { eventIdOf, StickyHistoryCache } from './sticky-cache.js';

const ev = (...ids: number[]): HistoryEvent[] => ids.map((eventId) => ({ eventId }) as unknown as HistoryEvent);

describe('StickyHistoryCache', () => {
  it('joins a sticky task’s events to the cached history when they follow on', () => {
    const c = new StickyHistoryCache(10);
    c.put('run', ev(1, 2, 3));
    expect(c.join('run', ev(4, 5), 4)?.map(eventIdOf)).toEqual([1, 2, 3, 4, 5]);
    expect(c.hits).toBe(1);
  });

  it('misses when the run is unknown or events are missing in between (another worker moved it on)', () => {
    const c = new StickyHistoryCache(10);
    expect(c.join('unknown', ev(4), 4)).toBeUndefined();
    c.put('run', ev(1, 2, 3));
    expect(c.join('run', ev(7, 8), 7)).toBeUndefined();
    expect(c.misses).toBe(2);
  });

  it('keeps at most maxRuns, evicting the least recently used', () => {
    const c = new StickyHistoryCache(2);
    c.put('a', ev(1));
    c.put('b', ev(1));
    c.put('a', ev(1, 2));
    c.put('c', ev(1));
    expect(c.size).toBe(2);
    expect(c.join('b', ev(2), 2)).toBeUndefined();
    expect(c.join('a', ev(3), 3)?.map(eventIdOf)).toEqual([1, 2, 3]);
  });

  it('reads Long event ids', () => {
    expect(eventIdOf({ eventId: { toNumber: () => 42 } } as unknown as HistoryEvent)).toBe(42);
  });
});

describe('EagerActivitySlots', () => {
  it('reserves at most 3 per task and never more than its capacity', () => {
    const s = new EagerActivitySlots(5);
    expect(s.reserve(10)).toBe(3);
    expect(s.reserve(10)).toBe(2);
    expect(s.reserve(1)).toBe(0);
    s.release(2);
    expect(s.reserve(1)).toBe(1);
  });
});
