import { describe, expect, it } from 'vitest';
import { parseDurationMs } from '../../result/units.js';
import { planConstantArrivalRate } from './constant-arrival-rate.js';
import { planConstantConcurrency } from './constant-concurrency.js';
import { parseStages, planRampingArrivalRate } from './ramping-arrival-rate.js';
import { closedShare, nextDueIndex, openIndices, remainingIndices, type OpenSchedule } from './schedule.js';

function indicesOf(s: OpenSchedule, first: number, stride: number): number[] {
  const out: number[] = [];
  for (let k = first; s.offsetMs(k) !== undefined; k += stride) out.push(k);
  return out;
}

describe('constant-arrival-rate', () => {
  it('spaces iterations evenly and stops at the end of warm-up + duration', () => {
    const s = planConstantArrivalRate({ ratePerSec: 100, durationMs: 2000, warmupMs: 1000, iterations: undefined });
    if (Array.isArray(s)) throw new Error(s.join());
    expect(s.totalIterations).toBe(300);
    expect(s.offsetMs(0)).toBe(0);
    expect(s.offsetMs(150)).toBeCloseTo(1500);
    expect(s.offsetMs(300)).toBeUndefined();
  });

  it('is bounded by iterations when they come first', () => {
    const s = planConstantArrivalRate({ ratePerSec: 10, durationMs: Infinity, warmupMs: 0, iterations: 7 });
    if (Array.isArray(s)) throw new Error(s.join());
    expect(s.totalIterations).toBe(7);
    expect(s.offsetMs(6)).toBeCloseTo(600);
    expect(s.offsetMs(7)).toBeUndefined();
  });

  it('reports every problem', () => {
    expect(
      planConstantArrivalRate({ ratePerSec: -5, durationMs: Infinity, warmupMs: 0, iterations: undefined }),
    ).toEqual([
      'rate must be a positive number of iterations per second, got -5',
      'the run needs a bound: a duration or a number of iterations',
    ]);
  });

  it('splits work exactly across segments and threads: every index once', () => {
    const s = planConstantArrivalRate({ ratePerSec: 1000, durationMs: 1003, warmupMs: 0, iterations: undefined });
    if (Array.isArray(s)) throw new Error(s.join());
    const seen: number[] = [];
    for (let seg = 0; seg < 3; seg++) {
      for (let th = 0; th < 4; th++) {
        const { first, stride } = openIndices({ segmentIndex: seg, segmentCount: 3, threadIndex: th, threadCount: 4 });
        seen.push(...indicesOf(s, first, stride));
      }
    }
    seen.sort((a, b) => a - b);
    expect(seen).toEqual(Array.from({ length: s.totalIterations ?? 0 }, (_, i) => i));
  });
});

describe('ramping-arrival-rate', () => {
  it('parses stages and ramps linearly', () => {
    const stages = parseStages('10s:100,10s:100', parseDurationMs);
    if (typeof stages === 'string') throw new Error(stages);
    const s = planRampingArrivalRate({ startRatePerSec: 0, stages, warmupMs: 0, iterations: undefined });
    if (Array.isArray(s)) throw new Error(s.join());
    // Ramp 0->100 over 10 s = 500 iterations, then 1000 more at 100/s.
    expect(s.totalIterations).toBe(1500);
    // Half the ramp's iterations (250) are reached at t = 10 s * sqrt(1/2).
    expect(s.offsetMs(250)).toBeCloseTo(7071, -1);
    expect(s.offsetMs(500)).toBeCloseTo(10_000, -1);
    expect(s.offsetMs(1000)).toBeCloseTo(15_000, -1);
    // Offsets never go backwards.
    let last = -1;
    for (let k = 0; k < 1500; k++) {
      const o = s.offsetMs(k) as number;
      expect(o).toBeGreaterThanOrEqual(last);
      last = o;
    }
  });

  it('rejects malformed stages', () => {
    expect(parseStages('10s-100', parseDurationMs)).toMatch(/invalid stage/);
    expect(parseStages('abc:5', parseDurationMs)).toMatch(/invalid stage/);
  });
});

describe('constant-concurrency', () => {
  it('divides virtual users and iterations exactly', () => {
    const s = planConstantConcurrency({ vus: 10, durationMs: 1000, warmupMs: 0, iterations: 103 });
    if (Array.isArray(s)) throw new Error(s.join());
    let vus = 0;
    let its = 0;
    for (let th = 0; th < 3; th++) {
      const share = closedShare(s, { segmentIndex: 0, segmentCount: 1, threadIndex: th, threadCount: 3 });
      vus += share.vus;
      its += share.iterations ?? 0;
    }
    expect(vus).toBe(10);
    expect(its).toBe(103);
  });
});

describe('a generator that fell behind skips ahead, never replays the schedule late', () => {
  const s = planConstantArrivalRate({ ratePerSec: 1_000_000, durationMs: 3000, warmupMs: 0, iterations: undefined });
  if (Array.isArray(s)) throw new Error(s.join());

  it('finds the first index of a partition due at or after a time, and the indices skipped are exact', () => {
    // Partition 1 of 4 (indices 1, 5, 9, ...), 1.5 s late at k = 1: the next due is the first index >= 1.5e6.
    const next = nextDueIndex(s, 1, 4, 1500);
    expect(next).toBe(1_500_001);
    expect(s.offsetMs(next as number)).toBeGreaterThanOrEqual(1500);
    expect(s.offsetMs((next as number) - 4)).toBeLessThan(1500);
    // Past the end of the schedule there is nothing left to run.
    expect(nextDueIndex(s, 1, 4, 3000)).toBeUndefined();
  });

  it('counts what is left of a partition, whatever its size', () => {
    expect(remainingIndices(s, 0, 1)).toBe(3_000_000);
    expect(remainingIndices(s, 1, 4)).toBe(750_000);
    expect(remainingIndices(s, 2_999_999, 1)).toBe(1);
    expect(remainingIndices(s, 3_000_000, 1)).toBe(0);
  });
});
