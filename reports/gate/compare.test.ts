import { describe, expect, it } from 'vitest';
import type { ResultV1 } from '../../result/schema.js';
import { compareWithBaseline, welchGreater } from './compare.js';

/** A result with only what the comparison reads: one operation's per-interval p50 (µs), p99 = 2 x p50. */
function runOf(p50s: number[]): ResultV1 {
  return {
    timing: { intervalMs: 1000 },
    operations: { start_workflow: {} },
    metrics: {},
    intervals: p50s.map((p50Us, i) => ({
      index: i,
      startMs: i * 1000,
      endMs: (i + 1) * 1000,
      phase: 'main',
      ops: { start_workflow: { count: 100, p50Us, p99Us: p50Us * 2 } },
      metrics: {},
    })),
  } as unknown as ResultV1;
}

describe("Welch's t-test (one-sided)", () => {
  it('matches a reference value', () => {
    // x = 1..6, y = 2,3,4,5,6,9: t = 1.0505 (y - x), Welch df; one-sided p = 0.16003 (as R and stdlib compute it).
    expect(welchGreater([1, 2, 3, 4, 5, 6], [2, 3, 4, 5, 6, 9])).toBeCloseTo(0.16003, 4);
  });

  it('is small for a clear shift and large for the opposite one', () => {
    const base = [10, 11, 9, 10, 12, 10, 11, 9];
    const slower = base.map((v) => v * 2);
    expect(welchGreater(base, slower)).toBeLessThan(0.001);
    expect(welchGreater(slower, base)).toBeGreaterThan(0.999);
  });

  it('handles samples without variance', () => {
    expect(welchGreater([5, 5, 5], [5, 5, 5])).toBe(0.5);
    expect(welchGreater([5, 5, 5], [6, 6, 6])).toBe(0);
    expect(welchGreater([6, 6, 6], [5, 5, 5])).toBe(1);
  });
});

describe('comparison with a baseline', () => {
  const base = runOf([2300, 2320, 2340, 2310, 2330, 2350]);
  const p50 = (cs: ReturnType<typeof compareWithBaseline>) => cs.find((c) => c.name === 'p50(start_workflow)');

  it('a significant 11 % shift of a 2 ms median fails on the relative test alone, passes with a 1 ms floor', () => {
    const drift = runOf([2560, 2580, 2600, 2570, 2590, 2610]);
    expect(p50(compareWithBaseline(drift, base, { minEffect: 0.1, alpha: 0.01 }))?.verdict).toBe('regression');
    expect(p50(compareWithBaseline(drift, base, { minEffect: 0.1, alpha: 0.01, minAbsUs: 1000 }))?.verdict).toBe(
      'no significant change',
    );
  });

  it('a slowdown beyond both floors is a regression, and its reverse an improvement', () => {
    const slow = runOf([7300, 7320, 7340, 7310, 7330, 7350]);
    const o = { minEffect: 0.1, alpha: 0.01, minAbsUs: 1000 };
    expect(p50(compareWithBaseline(slow, base, o))?.verdict).toBe('regression');
    expect(p50(compareWithBaseline(base, slow, o))?.verdict).toBe('improvement');
  });
});
