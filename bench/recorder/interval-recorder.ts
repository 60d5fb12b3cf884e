/**
 * What a thread measures during one reporting interval: per operation its latency trio (result/histogram.ts's
 * OpHistograms), per plain metric (workflow end-to-end, timer lateness, ...) one histogram, and counters.
 * `snapshot()` encodes everything and resets, so memory stays bounded however long the run.
 */
import {
  encodeHistogram,
  newHistogram,
  OpHistograms,
  recordUs,
  type Histogram,
  type OpLatencies,
} from '../../result/histogram.js';
import { errorKey } from '../../result/catalogue.js';

export interface IntervalData {
  /** Operation -> encoded histograms. */
  ops: Record<string, OpLatencies<string>>;
  /** Metric -> encoded histogram (µs). */
  metrics: Record<string, string>;
  counters: Record<string, number>;
  /** errorKey(op, type) -> count. */
  errors: Record<string, number>;
}

export class IntervalRecorder {
  private readonly ops = new Map<string, OpHistograms>();
  private readonly metrics = new Map<string, Histogram>();
  private readonly counters = new Map<string, number>();
  private readonly errors = new Map<string, number>();
  /** Counters since the thread started (never reset): the authoritative totals a thread reports when done. */
  readonly cumulative = new Map<string, number>();

  private op(name: string): OpHistograms {
    let o = this.ops.get(name);
    if (!o) {
      o = new OpHistograms();
      this.ops.set(name, o);
    }
    return o;
  }

  /** An operation of the open model: times in µs on one clock. */
  recordScheduled(name: string, intendedUs: number, sentUs: number, doneUs: number): void {
    this.op(name).recordScheduled(intendedUs, sentUs, doneUs);
  }

  /** An operation with no intended start (closed model, pollers): service time only. */
  recordService(name: string, serviceUs: number): void {
    this.op(name).recordService(serviceUs);
  }

  recordMetric(name: string, us: number): void {
    let h = this.metrics.get(name);
    if (!h) {
      h = newHistogram();
      this.metrics.set(name, h);
    }
    recordUs(h, us);
  }

  count(name: string, n = 1): void {
    this.counters.set(name, (this.counters.get(name) ?? 0) + n);
    this.cumulative.set(name, (this.cumulative.get(name) ?? 0) + n);
  }

  error(op: string, type: string): void {
    const key = errorKey(op, type);
    this.errors.set(key, (this.errors.get(key) ?? 0) + 1);
  }

  snapshot(): IntervalData {
    const ops: Record<string, OpLatencies<string>> = {};
    for (const [name, o] of this.ops) {
      if (o.count === 0) continue;
      ops[name] = o.encode();
      o.reset();
    }
    const metrics: Record<string, string> = {};
    for (const [name, h] of this.metrics) {
      if (h.totalCount === 0) continue;
      metrics[name] = encodeHistogram(h);
      h.reset();
    }
    const data: IntervalData = {
      ops,
      metrics,
      counters: Object.fromEntries(this.counters),
      errors: Object.fromEntries(this.errors),
    };
    this.counters.clear();
    this.errors.clear();
    return data;
  }
}
