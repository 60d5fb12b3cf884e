import { describe, expect, it } from 'vitest';
import type { CapacityResult, ResultV1 } from '../../result/schema.js';
import { evaluateThreshold, parseThreshold, type Threshold } from './threshold.js';

function ok(src: string): Threshold {
  const t = parseThreshold(src);
  if (typeof t === 'string') throw new Error(t);
  return t;
}

describe('threshold expressions', () => {
  it('parse latency percentiles with units into microseconds', () => {
    expect(ok('p99(start)<50ms')).toMatchObject({ stat: 'p99', target: 'start', op: '<', value: 50_000, unit: 'us' });
    expect(ok('p(95)(workflow)<=2s')).toMatchObject({ stat: 'p95', value: 2_000_000 });
    expect(ok('p99.9(start.service)<800us')).toMatchObject({ stat: 'p99.9', target: 'start.service', value: 800 });
    expect(ok('max(signal_with_start) < 1m')).toMatchObject({ stat: 'max', value: 60_000_000 });
    expect(ok('p50(start)<7')).toMatchObject({ value: 7000 }); // milliseconds by default, like k6
    // Any percentile: "no more than 2 % later than 1 s" (the schedules scenario's lateness gate).
    expect(ok('p98(schedule_lateness)<=1s')).toMatchObject({ stat: 'p98', value: 1_000_000, unit: 'us' });
    expect(parseThreshold('p100(start)<1s')).toMatch(/unknown statistic "p100"/);
  });

  it('parse errors, throughput, counts and target-relative limits', () => {
    expect(ok('errors<0.1%')).toMatchObject({ stat: 'errors', unit: 'percent', value: 0.1 });
    expect(ok('errors(start)==0')).toMatchObject({ stat: 'errors', target: 'start', unit: 'count' });
    expect(ok('throughput>=0.95*target')).toMatchObject({ stat: 'throughput', value: 0.95, ofTarget: true });
    expect(ok('rate(start)>100')).toMatchObject({ stat: 'throughput', target: 'start', value: 100 });
    expect(ok('lost==0')).toMatchObject({ stat: 'lost', op: '==', value: 0 });
    expect(ok('counter(cancels_sent)>0')).toMatchObject({ stat: 'counter', target: 'cancels_sent' });
  });

  it('refuse limits no statistic can take: negative, or a share above 100 %', () => {
    expect(parseThreshold('p99(start)>-5ms')).toMatch(/must be >= 0/);
    expect(parseThreshold('errors<-1')).toMatch(/must be >= 0/);
    expect(parseThreshold('throughput>=-0.5*target')).toMatch(/must be >= 0/);
    expect(parseThreshold('errors<150%')).toMatch(/at most 100/);
  });

  it('reject malformed expressions with a reason', () => {
    expect(parseThreshold('p99(start) fast')).toMatch(/is not of the form/);
    expect(parseThreshold('p99<5ms')).toMatch(/needs an operation or metric/);
    expect(parseThreshold('p99(start)<5%')).toMatch(/takes a time unit/);
    expect(parseThreshold('errors<5ms')).toMatch(/count or a percentage/);
    expect(parseThreshold('throughput>5ms')).toMatch(/per second/);
    expect(parseThreshold('speed(start)>1')).toMatch(/unknown statistic "speed"/);
    expect(parseThreshold('counter>1')).toMatch(/counter needs a name/);
  });

  it('threshold the accepted rate of a capacity result, and say when a result is not one', () => {
    expect(ok('accepted_rate>=200')).toMatchObject({ stat: 'accepted_rate', op: '>=', value: 200, unit: 'per-second' });
    expect(ok('capacity>100')).toMatchObject({ stat: 'accepted_rate' });
    expect(parseThreshold('accepted_rate>=2s')).toMatch(/per second, without a unit/);
    const capacity = {
      acceptedRatePerSec: 250,
      status: 'complete',
      confirmed: true,
      steps: [],
    } as unknown as CapacityResult;
    const never = (): number => Number.NaN;
    const run = {} as ResultV1;
    expect(evaluateThreshold(ok('accepted_rate>=200'), { ...run, capacity }, never)).toMatchObject({
      pass: true,
      actual: 250,
    });
    expect(evaluateThreshold(ok('accepted_rate>=300'), { ...run, capacity }, never).pass).toBe(false);
    const plain = evaluateThreshold(ok('accepted_rate>=1'), run, never);
    expect(plain.pass).toBe(false);
    expect(plain.detail).toMatch(/not a capacity result/);
  });
});
