/**
 * Merges the threads' interval snapshots on the main thread. An interval is final once every thread has sent
 * it (or finished before it); then it is summarized (result/summary.ts), its histograms go to the interval log and
 * the run totals, and it is dropped: memory stays flat however long the run.
 */
import { errorSource } from '../../result/catalogue.js';
import { addEncoded, newHistogram, OpHistograms, type Histogram } from '../../result/histogram.js';
import { metricTag, tagOp } from '../../result/hlog.js';
import type { IntervalHealth, IntervalOp, IntervalResult, Phase } from '../../result/schema.js';
import { intervalMetric, intervalOp } from '../../result/summary.js';
import type { IntervalData } from '../recorder/interval-recorder.js';
import type { HealthSample } from './protocol.js';

interface Pending {
  index: number;
  reported: Set<number>;
  ops: Map<string, OpHistograms>;
  metrics: Map<string, Histogram>;
  counters: Map<string, number>;
  errors: Map<string, number>;
  health: HealthSample[];
}

export interface FinalizedInterval {
  result: IntervalResult;
  /** Merged histograms of the interval (for the .hlog), by their .hlog tag. */
  histograms: Map<string, Histogram>;
}

/** The run so far, over the measured phases for latencies and errors, over every phase for counters. */
export interface Totals {
  ops: Map<string, { histograms: OpHistograms; errors: number }>;
  metrics: Map<string, Histogram>;
  counters: Map<string, number>;
  errors: Map<string, number>;
}

function addTo(into: Map<string, number>, key: string, n: number): void {
  into.set(key, (into.get(key) ?? 0) + n);
}

function histogramOf<K>(m: Map<K, Histogram>, key: K): Histogram {
  let h = m.get(key);
  if (!h) {
    h = newHistogram();
    m.set(key, h);
  }
  return h;
}

export class IntervalAggregator {
  private readonly pending = new Map<number, Pending>();
  /** Thread -> last index it will ever send (once done). */
  private readonly finished = new Map<number, number>();
  private nextToFinalize = 0;
  readonly totals: Totals = { ops: new Map(), metrics: new Map(), counters: new Map(), errors: new Map() };

  constructor(
    private readonly threads: number[],
    private readonly intervalMs: number,
    private readonly phaseOf: (index: number) => Phase,
    private readonly sampleProcess: () => { cpuCores: number; rssBytes: number },
    private readonly onFinal: (f: FinalizedInterval) => void,
  ) {}

  add(thread: number, index: number, data: IntervalData, health: HealthSample): void {
    let p = this.pending.get(index);
    if (!p) {
      p = {
        index,
        reported: new Set(),
        ops: new Map(),
        metrics: new Map(),
        counters: new Map(),
        errors: new Map(),
        health: [],
      };
      this.pending.set(index, p);
    }
    p.reported.add(thread);
    p.health.push(health);
    for (const [name, enc] of Object.entries(data.ops)) {
      let o = p.ops.get(name);
      if (!o) {
        o = new OpHistograms();
        p.ops.set(name, o);
      }
      o.addEncoded(enc);
    }
    for (const [name, enc] of Object.entries(data.metrics)) addEncoded(histogramOf(p.metrics, name), enc);
    for (const [k, v] of Object.entries(data.counters)) addTo(p.counters, k, v);
    for (const [k, v] of Object.entries(data.errors)) addTo(p.errors, k, v);
    this.drain();
  }

  threadDone(thread: number, lastIndex: number): void {
    this.finished.set(thread, lastIndex);
    this.drain();
  }

  /** Finalizes every interval still open (end of run, or a thread lost). */
  flushAll(): void {
    const indices = [...this.pending.keys()].sort((a, b) => a - b);
    for (const i of indices) this.finalize(i);
  }

  private complete(index: number): boolean {
    const p = this.pending.get(index);
    return this.threads.every((t) => p?.reported.has(t) || (this.finished.get(t) ?? Infinity) < index);
  }

  private drain(): void {
    // Threads send consecutive indices from 0, so the next interval to close is always the lowest one open.
    while (this.pending.has(this.nextToFinalize) && this.complete(this.nextToFinalize))
      this.finalize(this.nextToFinalize);
  }

  private finalize(index: number): void {
    const p = this.pending.get(index);
    this.pending.delete(index);
    if (index >= this.nextToFinalize) this.nextToFinalize = index + 1;
    if (!p) return;
    const phase = this.phaseOf(index);
    const measured = phase !== 'warmup';
    const errorsOf = new Map<string, number>();
    for (const [k, v] of p.errors) addTo(errorsOf, errorSource(k), v);
    const ops: Record<string, IntervalOp> = {};
    const histograms = new Map<string, Histogram>();
    for (const [name, o] of p.ops) {
      ops[name] = intervalOp(o.measured(), errorsOf.get(name) ?? 0);
      tagOp(histograms, name, o.measured());
      if (measured) this.total(name).histograms.add(o);
    }
    const metrics: IntervalResult['metrics'] = {};
    for (const [name, h] of p.metrics) {
      metrics[name] = intervalMetric(h);
      histograms.set(metricTag(name), h);
      if (measured) histogramOf(this.totals.metrics, name).add(h);
    }
    for (const [k, v] of p.counters) addTo(this.totals.counters, k, v);
    for (const [k, v] of p.errors) {
      addTo(this.totals.errors, k, v);
      const t = this.totals.ops.get(errorSource(k));
      if (t && measured) t.errors += v;
    }
    this.onFinal({
      result: {
        index,
        startMs: index * this.intervalMs,
        endMs: (index + 1) * this.intervalMs,
        phase,
        ops,
        metrics,
        counters: Object.fromEntries(p.counters),
        errors: Object.fromEntries(p.errors),
        health: this.health(p.health),
      },
      histograms,
    });
  }

  private total(op: string): { histograms: OpHistograms; errors: number } {
    let t = this.totals.ops.get(op);
    if (!t) {
      t = { histograms: new OpHistograms(), errors: 0 };
      this.totals.ops.set(op, t);
    }
    return t;
  }

  private health(samples: HealthSample[]): IntervalHealth {
    const proc = this.sampleProcess();
    const elus = samples.map((h) => h.elu);
    return {
      maxElu: elus.length ? Math.max(...elus) : 0,
      meanElu: elus.length ? elus.reduce((a, b) => a + b, 0) / elus.length : 0,
      eventLoopDelayP99Us: samples.length ? Math.max(...samples.map((h) => h.eventLoopDelayP99Us)) : 0,
      scheduleLagMaxUs: samples.length ? Math.max(...samples.map((h) => h.scheduleLagMaxUs)) : 0,
      inFlight: samples.reduce((n, h) => n + h.inFlight, 0),
      processCpuCores: proc.cpuCores,
      rssBytes: proc.rssBytes,
    };
  }
}
