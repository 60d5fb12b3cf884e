import { describe, expect, it } from 'vitest';
import { CapacitySearch, roundRate, type Next, type SearchParams } from './search.js';

const PARAMS: SearchParams = {
  fromPerSec: 10,
  toPerSec: Infinity,
  factor: 2,
  resolution: { kind: 'relative', share: 0.1 },
  maxHolds: 3,
  maxProbeDown: 4,
};

/** Drives the search against a system that passes every rate up to `capacity` (holds as well, unless told). */
function drive(capacity: number, p: Partial<SearchParams> = {}, holdFails = 0): { steps: string[]; done: Next } {
  const s = new CapacitySearch({ ...PARAMS, ...p });
  const steps: string[] = [];
  let holds = 0;
  for (let i = 0; i < 60; i++) {
    const n = s.next();
    if (n.kind === 'done') return { steps, done: n };
    const pass = n.ratePerSec <= capacity && !(n.stage === 'hold' && holds++ < holdFails);
    steps.push(`${n.stage} ${n.ratePerSec} ${pass ? 'pass' : 'fail'}`);
    s.record(n.stage, n.ratePerSec, pass);
  }
  throw new Error('the search did not end');
}

describe('capacity search', () => {
  it('ramps geometrically to the first failure, bisects to the resolution, then holds', () => {
    const { steps, done } = drive(100);
    expect(steps).toEqual([
      'ramp 10 pass',
      'ramp 20 pass',
      'ramp 40 pass',
      'ramp 80 pass',
      'ramp 160 fail',
      'bisect 120 fail',
      'bisect 100 pass',
      'bisect 110 fail',
      'hold 100 pass',
    ]);
    expect(done).toMatchObject({ kind: 'done', acceptedPerSec: 100, confirmed: true, status: 'complete' });
  });

  it('steps down from a failing first rate', () => {
    const { steps, done } = drive(3);
    expect(steps.slice(0, 3)).toEqual(['ramp 10 fail', 'probe-down 5 fail', 'probe-down 2.5 pass']);
    expect(done).toMatchObject({ confirmed: true, status: 'complete' });
    const accepted = (done as { acceptedPerSec: number }).acceptedPerSec;
    expect(accepted).toBeLessThanOrEqual(3);
    expect(3 - accepted).toBeLessThanOrEqual(0.1 * accepted); // the capacity lies in [passing, failing)
  });

  it('gives up when nothing passes', () => {
    const { steps, done } = drive(0.1);
    expect(steps).toHaveLength(5);
    expect(done).toMatchObject({ acceptedPerSec: 0, status: 'no-passing-rate' });
  });

  it('treats a failed hold as a failure and resumes below it', () => {
    const { steps, done } = drive(100, {}, 1);
    expect(steps).toContain('hold 100 fail');
    expect(done).toMatchObject({ confirmed: true, status: 'complete' });
    expect((done as { acceptedPerSec: number }).acceptedPerSec).toBeLessThan(100);
  });

  it('stops at --to and says the capacity is at least that', () => {
    const { steps, done } = drive(1000, { toPerSec: 50 });
    expect(steps).toEqual(['ramp 10 pass', 'ramp 20 pass', 'ramp 40 pass', 'ramp 50 pass', 'hold 50 pass']);
    expect(done).toMatchObject({ acceptedPerSec: 50, status: 'at-limit' });
  });

  it('bisects to an absolute resolution', () => {
    const { done } = drive(37, { resolution: { kind: 'absolute', perSec: 1 } });
    const accepted = (done as { acceptedPerSec: number }).acceptedPerSec;
    expect(accepted).toBeLessThanOrEqual(37);
    expect(37 - accepted).toBeLessThan(1);
  });

  it('rounds rates to three significant digits', () => {
    expect(roundRate(123.456)).toBe(123);
    expect(roundRate(1.23456)).toBe(1.23);
    expect(roundRate(0.0123456)).toBe(0.0123);
  });
});
