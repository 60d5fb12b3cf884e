import { describe, expect, it } from 'vitest';
import { welchGreater } from './compare.js';

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
