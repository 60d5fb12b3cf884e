import { describe, expect, it } from 'vitest';
import { COUNTER, METRIC, OP, errorKey } from '../../result/catalogue.js';
import type { Phase } from '../../result/schema.js';
import { IntervalRecorder } from '../recorder/interval-recorder.js';
import { IntervalAggregator, type FinalizedInterval } from './aggregator.js';
import type { HealthSample } from './protocol.js';

const health = (elu: number, inFlight = 0): HealthSample => ({
  elu,
  eventLoopDelayP99Us: 100,
  scheduleLagMaxUs: 0,
  inFlight,
});

/** An interval of one thread: `n` starts of `us` response time each, and what else `fill` records. */
function interval(n: number, us: number, fill: (r: IntervalRecorder) => void = () => undefined) {
  const r = new IntervalRecorder();
  for (let i = 0; i < n; i++) r.recordScheduled(OP.startWorkflow, 0, us / 2, us);
  fill(r);
  return r.snapshot();
}

function aggregator(threads: number[], phaseOf: (i: number) => Phase = () => 'main') {
  const finals: FinalizedInterval[] = [];
  const agg = new IntervalAggregator(
    threads,
    1000,
    phaseOf,
    () => ({ cpuCores: 0.5, rssBytes: 1 }),
    (f) => finals.push(f),
  );
  return { agg, finals };
}

describe('the interval aggregator', () => {
  it('finalizes an interval once every thread sent it, in order', () => {
    const { agg, finals } = aggregator([0, 1]);
    agg.add(0, 0, interval(1, 1000), health(0.1));
    agg.add(0, 1, interval(1, 1000), health(0.1));
    expect(finals).toEqual([]);
    agg.add(1, 1, interval(1, 1000), health(0.1));
    // Interval 1 is complete but 0 is not: nothing is final before 0.
    expect(finals).toEqual([]);
    agg.add(1, 0, interval(1, 1000), health(0.1));
    expect(finals.map((f) => f.result.index)).toEqual([0, 1]);
    expect(finals[1]?.result).toMatchObject({ startMs: 1000, endMs: 2000, phase: 'main' });
  });

  it('does not wait for a thread that finished before an interval', () => {
    const { agg, finals } = aggregator([0, 1]);
    agg.add(0, 0, interval(1, 1000), health(0.1));
    agg.add(1, 0, interval(1, 1000), health(0.1));
    agg.threadDone(1, 0);
    agg.add(0, 1, interval(1, 1000), health(0.1));
    expect(finals.map((f) => f.result.index)).toEqual([0, 1]);
  });

  it("merges the threads' histograms: percentiles of the merged samples, never averaged", () => {
    const { agg, finals } = aggregator([0, 1]);
    agg.add(0, 0, interval(90, 1000), health(0.2, 3));
    agg.add(1, 0, interval(10, 50_000), health(0.6, 4));
    const op = finals[0]?.result.ops[OP.startWorkflow];
    expect(op).toMatchObject({ count: 100, of: 'response' });
    expect(op?.p50Us).toBeGreaterThanOrEqual(999);
    expect(op?.p50Us).toBeLessThanOrEqual(1001);
    // An average of the threads' p99s would be about 25 ms; the merged p99 is the slow thread's.
    expect(op?.p99Us).toBeGreaterThanOrEqual(49_900);
    expect(finals[0]?.result.health).toMatchObject({ maxElu: 0.6, inFlight: 7, processCpuCores: 0.5 });
    expect(finals[0]?.result.health.meanElu).toBeCloseTo(0.4);
    expect([...(finals[0]?.histograms.keys() ?? [])]).toEqual([
      'start_workflow.service',
      'start_workflow.response',
      'start_workflow.wait',
    ]);
  });

  it('counts errors under their operation, and keeps warm-up out of the latency totals but not the counters', () => {
    const { agg, finals } = aggregator([0], (i) => (i === 0 ? 'warmup' : 'main'));
    const withExtras = (r: IntervalRecorder): void => {
      r.count(COUNTER.workflowsStarted, 5);
      r.recordMetric(METRIC.workflowE2e, 2000);
      r.error(OP.startWorkflow, 'UNAVAILABLE');
    };
    agg.add(0, 0, interval(5, 100_000, withExtras), health(0.1));
    agg.add(0, 1, interval(5, 1000, withExtras), health(0.1));
    agg.flushAll();
    expect(finals.map((f) => f.result.phase)).toEqual(['warmup', 'main']);
    expect(finals[1]?.result.ops[OP.startWorkflow]?.errors).toBe(1);
    const total = agg.totals.ops.get(OP.startWorkflow);
    // Only the measured interval's 5 starts, not the warm-up's slow ones.
    expect(total?.histograms.count).toBe(5);
    expect(total?.histograms.response.maxValue).toBeLessThan(2000);
    expect(total?.errors).toBe(1);
    expect(agg.totals.metrics.get(METRIC.workflowE2e)?.totalCount).toBe(1);
    expect(agg.totals.counters.get(COUNTER.workflowsStarted)).toBe(10);
    expect(agg.totals.errors.get(errorKey(OP.startWorkflow, 'UNAVAILABLE'))).toBe(2);
  });

  it('flushes what is still open at the end of a run', () => {
    const { agg, finals } = aggregator([0, 1]);
    agg.add(0, 0, interval(1, 1000), health(0.1));
    agg.flushAll();
    expect(finals.map((f) => f.result.ops[OP.startWorkflow]?.count)).toEqual([1]);
  });
});
