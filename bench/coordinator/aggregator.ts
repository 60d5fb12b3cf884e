/**
 * Merges the threads' interval snapshots on the main thread. An interval is final once every thread has sent
 * it (or finished before it); then its percentiles are computed, its histograms go to the interval log and the
 * run totals, and it is dropped: memory stays flat however long the run.
 */
import { addEncoded, newHistogram, summarize, type Histogram } from '../../result/histogram.js';
import type { IntervalData } from '../recorder/interval-recorder.js';
import type { IntervalHealth, IntervalOp, IntervalResult, Phase } from '../../result/schema.js';
import type { HealthSample } from './protocol.js';

interface OpAgg {
  service: Histogram;
  response: Histogram;
  wait: Histogram;
  open: boolean;
}

interface Pending {
  index: number;
  reported: Set<number>;
  ops: Map<string, OpAgg>;
  metrics: Map<string, Histogram>;
  counters: Map<string, number>;
  errors: Map<string, number>;
  health: HealthSample[];
}

export interface FinalizedInterval {
  result: IntervalResult;
  /** Merged histograms of the interval (for the .hlog), by `${op}.${kind}` or `metric.${name}`. */
  histograms: Map<string, Histogram>;
}

export interface Totals {
  ops: Map<string, OpAgg & { errors: number }>;
  metrics: Map<string, Histogram>;
  counters: Map<string, number>;
  errors: Map<string, number>;
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
        o = { service: newHistogram(), response: newHistogram(), wait: newHistogram(), open: false };
        p.ops.set(name, o);
      }
      addEncoded(o.service, enc.service);
      if (enc.response) {
        o.open = true;
        addEncoded(o.response, enc.response);
        addEncoded(o.wait, enc.wait);
      }
    }
    for (const [name, enc] of Object.entries(data.metrics)) {
      let h = p.metrics.get(name);
      if (!h) {
        h = newHistogram();
        p.metrics.set(name, h);
      }
      addEncoded(h, enc);
    }
    for (const [k, v] of Object.entries(data.counters)) p.counters.set(k, (p.counters.get(k) ?? 0) + v);
    for (const [k, v] of Object.entries(data.errors)) p.errors.set(k, (p.errors.get(k) ?? 0) + v);
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
    const ops: Record<string, IntervalOp> = {};
    const histograms = new Map<string, Histogram>();
    for (const [name, o] of p.ops) {
      const errors = [...p.errors].filter(([k]) => k.startsWith(`${name}|`)).reduce((n, [, v]) => n + v, 0);
      const main = o.open ? o.response : o.service;
      const s = summarize(main);
      const sv = summarize(o.service);
      ops[name] = {
        count: o.service.totalCount,
        errors,
        p50Us: s.p50Us,
        p90Us: s.p90Us,
        p99Us: s.p99Us,
        p999Us: s.p999Us,
        maxUs: s.maxUs,
        of: o.open ? 'response' : 'service',
        serviceP50Us: sv.p50Us,
        serviceP99Us: sv.p99Us,
      };
      histograms.set(`${name}.service`, o.service);
      if (o.open) {
        histograms.set(`${name}.response`, o.response);
        histograms.set(`${name}.wait`, o.wait);
      }
      if (measured) {
        let t = this.totals.ops.get(name);
        if (!t) {
          t = { service: newHistogram(), response: newHistogram(), wait: newHistogram(), open: false, errors: 0 };
          this.totals.ops.set(name, t);
        }
        t.service.add(o.service);
        if (o.open) {
          t.open = true;
          t.response.add(o.response);
          t.wait.add(o.wait);
        }
      }
    }
    const metrics: IntervalResult['metrics'] = {};
    for (const [name, h] of p.metrics) {
      const s = summarize(h);
      metrics[name] = { n: s.n, p50Us: s.p50Us, p99Us: s.p99Us, maxUs: s.maxUs };
      histograms.set(`metric.${name}`, h);
      if (measured) {
        let t = this.totals.metrics.get(name);
        if (!t) {
          t = newHistogram();
          this.totals.metrics.set(name, t);
        }
        t.add(h);
      }
    }
    for (const [k, v] of p.counters) this.totals.counters.set(k, (this.totals.counters.get(k) ?? 0) + v);
    for (const [k, v] of p.errors) {
      this.totals.errors.set(k, (this.totals.errors.get(k) ?? 0) + v);
      const op = k.split('|')[0] ?? '';
      const t = this.totals.ops.get(op);
      if (t && measured) t.errors += v;
    }
    const proc = this.sampleProcess();
    const elus = p.health.map((h) => h.elu);
    const health: IntervalHealth = {
      maxElu: elus.length ? Math.max(...elus) : 0,
      meanElu: elus.length ? elus.reduce((a, b) => a + b, 0) / elus.length : 0,
      eventLoopDelayP99Us: p.health.length ? Math.max(...p.health.map((h) => h.eventLoopDelayP99Us)) : 0,
      scheduleLagMaxUs: p.health.length ? Math.max(...p.health.map((h) => h.scheduleLagMaxUs)) : 0,
      inFlight: p.health.reduce((n, h) => n + h.inFlight, 0),
      processCpuCores: proc.cpuCores,
      rssBytes: proc.rssBytes,
    };
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
        health,
      },
      histograms,
    });
  }
}
