/**
 * What a thread measures during one reporting interval. Operations get three histograms (wrk2's and
 * cassandra-stress's trio): service time (send -> reply), response time (intended start -> reply, which
 * carries any queueing a stalled target causes: no coordinated omission), and wait time (intended -> send).
 * Plain metrics (workflow end-to-end, timer lateness, ...) get one histogram; counters count.
 * `snapshot()` encodes everything and resets, so memory stays bounded however long the run.
 */
import { encodeHistogram, newHistogram, recordUs, type Histogram } from '../../result/histogram.js';

export interface OpHistogramsEncoded {
  service?: string;
  response?: string;
  wait?: string;
}

export interface IntervalData {
  /** Operation -> encoded histograms. */
  ops: Record<string, OpHistogramsEncoded>;
  /** Metric -> encoded histogram (µs). */
  metrics: Record<string, string>;
  counters: Record<string, number>;
  /** `${op}|${errorType}` -> count. */
  errors: Record<string, number>;
}

interface OpHistograms {
  service: Histogram;
  response: Histogram;
  wait: Histogram;
  open: boolean;
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
      o = { service: newHistogram(), response: newHistogram(), wait: newHistogram(), open: false };
      this.ops.set(name, o);
    }
    return o;
  }

  /** An operation of the open model: times in µs on one clock. */
  recordScheduled(name: string, intendedUs: number, sentUs: number, doneUs: number): void {
    const o = this.op(name);
    o.open = true;
    recordUs(o.service, doneUs - sentUs);
    recordUs(o.response, doneUs - intendedUs);
    recordUs(o.wait, sentUs - intendedUs);
  }

  /** An operation with no intended start (closed model, pollers): service time only. */
  recordService(name: string, serviceUs: number): void {
    recordUs(this.op(name).service, serviceUs);
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
    const key = `${op}|${type}`;
    this.errors.set(key, (this.errors.get(key) ?? 0) + 1);
  }

  snapshot(): IntervalData {
    const ops: Record<string, OpHistogramsEncoded> = {};
    for (const [name, o] of this.ops) {
      if (o.service.totalCount === 0) continue;
      ops[name] = o.open
        ? { service: encodeHistogram(o.service), response: encodeHistogram(o.response), wait: encodeHistogram(o.wait) }
        : { service: encodeHistogram(o.service) };
      o.service.reset();
      o.response.reset();
      o.wait.reset();
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
