/**
 * Turns results into the long-format rows the charts read: one row per (run, time, series, value). Several
 * results become one data set, so every chart overlays runs by colour.
 */
import type { ResultV1 } from '../../result/schema.js';
import { percentilesOf, summarizeEncoded } from '../../result/summary.js';
import { COUNTER, isGeneratorMetric, isPoll, METRIC } from '../../result/catalogue.js';

const SPECTRUM_PERCENTILES = [0, 10, 25, 50, 75, 90, 95, 99, 99.5, 99.9, 99.95, 99.99, 99.995, 99.999, 100];

export interface Row {
  run: string;
  /** Seconds from t0 (interval end). */
  t: number;
  series: string;
  value: number;
  phase?: string;
}

export function runLabels(results: ResultV1[]): string[] {
  const seen = new Map<string, number>();
  return results.map((r) => {
    const n = (seen.get(r.label) ?? 0) + 1;
    seen.set(r.label, n);
    return n === 1 ? r.label : `${r.label} (${n})`;
  });
}

export function throughputRows(results: ResultV1[], labels: string[]): Row[] {
  const rows: Row[] = [];
  results.forEach((r, i) => {
    const run = labels[i] ?? r.label;
    for (const iv of r.intervals) {
      for (const [op, o] of Object.entries(iv.ops)) {
        rows.push({
          run,
          t: iv.endMs / 1000,
          series: op,
          value: (o.count * 1000) / r.timing.intervalMs,
          phase: iv.phase,
        });
      }
      const closed = iv.counters[COUNTER.workflowsClosed];
      if (closed !== undefined)
        rows.push({
          run,
          t: iv.endMs / 1000,
          series: 'workflows closed',
          value: (closed * 1000) / r.timing.intervalMs,
          phase: iv.phase,
        });
    }
  });
  return rows;
}

/** p50 / p99 / p99.9 of one operation (response time if measured, else service time) over time, in ms. */
export function latencyRows(results: ResultV1[], labels: string[], op: string): Row[] {
  const rows: Row[] = [];
  results.forEach((r, i) => {
    const run = labels[i] ?? r.label;
    for (const iv of r.intervals) {
      const o = iv.ops[op];
      if (!o || o.count === 0) continue;
      rows.push({ run, t: iv.endMs / 1000, series: 'p50', value: o.p50Us / 1000, phase: iv.phase });
      rows.push({ run, t: iv.endMs / 1000, series: 'p99', value: o.p99Us / 1000, phase: iv.phase });
      rows.push({ run, t: iv.endMs / 1000, series: 'p99.9', value: o.p999Us / 1000, phase: iv.phase });
      rows.push({ run, t: iv.endMs / 1000, series: 'max', value: o.maxUs / 1000, phase: iv.phase });
    }
  });
  return rows;
}

export interface SpectrumRow {
  run: string;
  series: string;
  /** 1 / (1 - p): 10 = p90, 100 = p99, 1000 = p99.9. */
  x: number;
  percentile: number;
  ms: number;
}

/** The percentile spectrum of encoded histograms, for a log 1/(1-p) axis (HdrHistogram's plot). */
function spectrumRows(run: string, series: string, encoded: string | undefined): SpectrumRow[] {
  if (!encoded) return [];
  const { count, values } = percentilesOf(encoded, SPECTRUM_PERCENTILES);
  if (count === 0) return [];
  const rows: SpectrumRow[] = [];
  SPECTRUM_PERCENTILES.forEach((p, i) => {
    // Percentiles the samples cannot tell apart from the maximum are left out.
    if (p === 100 || (1 - p / 100) * count >= 1 || p <= 50) {
      const x = p === 100 ? Math.max(10, count) : 1 / (1 - p / 100);
      rows.push({ run, series, x, percentile: p, ms: (values[i] ?? 0) / 1000 });
    }
  });
  return rows;
}

export function healthRows(results: ResultV1[], labels: string[]): Row[] {
  const rows: Row[] = [];
  results.forEach((r, i) => {
    const run = labels[i] ?? r.label;
    for (const iv of r.intervals) {
      const t = iv.endMs / 1000;
      rows.push({ run, t, series: 'process CPU (cores)', value: iv.health.processCpuCores });
      rows.push({ run, t, series: 'max thread busy (ELU)', value: iv.health.maxElu });
      rows.push({ run, t, series: 'event-loop delay p99 (ms)', value: iv.health.eventLoopDelayP99Us / 1000 });
      rows.push({ run, t, series: 'schedule lag max (ms)', value: iv.health.scheduleLagMaxUs / 1000 });
      rows.push({ run, t, series: 'dropped / interval', value: iv.counters[COUNTER.dropped] ?? 0 });
    }
  });
  return rows;
}

export function errorRows(results: ResultV1[], labels: string[]): Row[] {
  const rows: Row[] = [];
  results.forEach((r, i) => {
    const run = labels[i] ?? r.label;
    for (const iv of r.intervals) {
      for (const [k, n] of Object.entries(iv.errors))
        rows.push({ run, t: iv.endMs / 1000, series: k.replace('|', ': '), value: n });
    }
  });
  return rows;
}

/** Differences of a cumulative engine counter between consecutive intervals, per second. */
function engineDeltas(
  r: ResultV1,
  run: string,
  read: (s: NonNullable<ResultV1['intervals'][number]['engine']>) => Record<string, number>,
  perSecond: boolean,
): Row[] {
  const rows: Row[] = [];
  let prev: Record<string, number> | undefined;
  for (const iv of r.intervals) {
    if (!iv.engine) continue;
    const now = read(iv.engine);
    if (prev) {
      const seconds = r.timing.intervalMs / 1000;
      for (const [k, v] of Object.entries(now)) {
        const d = v - (prev[k] ?? 0);
        if (d > 0)
          rows.push({ run, t: iv.endMs / 1000, series: k, value: perSecond ? d / seconds : d, phase: iv.phase });
      }
    }
    prev = now;
  }
  return rows;
}

/** Conditional writes (LWTs) per interval by outcome, summed over statement classes. */
export function lwtOutcomeRows(results: ResultV1[], labels: string[]): Row[] {
  return results.flatMap((r, i) =>
    engineDeltas(
      r,
      labels[i] ?? r.label,
      (s) => {
        const out: Record<string, number> = {};
        for (const st of Object.values(s.statements)) {
          for (const [k, n] of Object.entries(st.outcomes ?? {})) out[k] = (out[k] ?? 0) + n;
          // Refusals of unconditional statements (a history batch too large, a throttled insert) sit beside them:
          // they are writes that did not apply either.
          if (st.outcomes) continue;
          if (st.throttled) out['throttled (unconditional)'] = (out['throttled (unconditional)'] ?? 0) + st.throttled;
          if (st.batchTooLarge)
            out['batch_too_large (unconditional)'] = (out['batch_too_large (unconditional)'] ?? 0) + st.batchTooLarge;
        }
        return out;
      },
      false,
    ),
  );
}

/** Statements refused for the store's rate (throttled) per interval, by statement class, conditional or not. */
export function throttledRows(results: ResultV1[], labels: string[]): Row[] {
  return results.flatMap((r, i) =>
    engineDeltas(
      r,
      labels[i] ?? r.label,
      (s) => Object.fromEntries(Object.entries(s.statements).map(([k, v]) => [k, v.throttled ?? 0])),
      false,
    ),
  );
}

export interface BatchSize {
  run: string;
  statement: string;
  count: number;
  p50: number;
  p99: number;
  max: number;
}

/** The size in bytes of the logged batches of each batch statement class, over the whole run. */
export function batchSizes(results: ResultV1[], labels: string[]): BatchSize[] {
  const out: BatchSize[] = [];
  results.forEach((r, i) => {
    for (const [statement, st] of Object.entries(r.engine?.persistence ?? {})) {
      if (st.batchBytes === undefined) continue;
      const s = summarizeEncoded(st.batchBytes);
      out.push({ run: labels[i] ?? r.label, statement, count: s.n, p50: s.p50Us, p99: s.p99Us, max: s.maxUs });
    }
  });
  return out.sort((a, b) => a.statement.localeCompare(b.statement) || a.run.localeCompare(b.run));
}

export interface ServerWarnings {
  run: string;
  statement: string;
  count: number;
  samples: string[];
}

/** Warnings the store attached to its responses, by statement class, with the first texts as worded by the server. */
export function serverWarnings(results: ResultV1[], labels: string[]): ServerWarnings[] {
  const out: ServerWarnings[] = [];
  results.forEach((r, i) => {
    for (const [statement, st] of Object.entries(r.engine?.persistence ?? {})) {
      if (!st.serverWarnings) continue;
      out.push({
        run: labels[i] ?? r.label,
        statement,
        count: st.serverWarnings,
        samples: st.serverWarningSamples ?? [],
      });
    }
  });
  return out.sort((a, b) => a.statement.localeCompare(b.statement) || a.run.localeCompare(b.run));
}

/** Persistence statements per second by statement class. */
export function statementRateRows(results: ResultV1[], labels: string[]): Row[] {
  return results.flatMap((r, i) =>
    engineDeltas(
      r,
      labels[i] ?? r.label,
      (s) => Object.fromEntries(Object.entries(s.statements).map(([k, v]) => [k, v.count])),
      true,
    ),
  );
}

export interface StatementLatency {
  run: string;
  statement: string;
  count: number;
  errors: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
  outcomes: Record<string, number>;
}

/** Latency of each persistence statement class over the whole run (from the engine's final statistics). */
export function statementLatencies(results: ResultV1[], labels: string[]): StatementLatency[] {
  const out: StatementLatency[] = [];
  results.forEach((r, i) => {
    for (const [statement, st] of Object.entries(r.engine?.persistence ?? {})) {
      const s = summarizeEncoded(st.latencyUs);
      out.push({
        run: labels[i] ?? r.label,
        statement,
        count: st.count,
        errors: st.errors,
        p50Ms: s.p50Us / 1000,
        p99Ms: s.p99Us / 1000,
        maxMs: s.maxUs / 1000,
        outcomes: st.outcomes ?? {},
      });
    }
  });
  return out.sort((a, b) => a.statement.localeCompare(b.statement) || a.run.localeCompare(b.run));
}

/** Operations whose latency is charted: every one but the long polls. */
export function chartedOperations(results: ResultV1[]): string[] {
  return [...new Set(results.flatMap((r) => Object.keys(r.operations).filter((n) => !isPoll(n))))];
}

/** The metrics the workflows measured (not the generator's own). */
export function workflowMetricNames(results: ResultV1[]): string[] {
  return [...new Set(results.flatMap((r) => Object.keys(r.metrics)))].filter((m) => !isGeneratorMetric(m));
}

/** p50, p99 and max of one workflow metric per interval, in ms. */
export function workflowMetricRows(results: ResultV1[], labels: string[], metric: string): Row[] {
  return results.flatMap((r, i) =>
    r.intervals.flatMap((iv) => {
      const x = iv.metrics[metric];
      const run = labels[i] ?? '';
      const t = iv.endMs / 1000;
      return x
        ? [
            { run, t, series: 'p50', value: x.p50Us / 1000 },
            { run, t, series: 'p99', value: x.p99Us / 1000 },
            { run, t, series: 'max', value: x.maxUs / 1000 },
          ]
        : [];
    }),
  );
}

/** The spectra a report draws: each operation's main latency (and its service time too), and workflow end-to-end. */
export function spectrumSeries(results: ResultV1[], labels: string[], ops: string[]): SpectrumRow[] {
  const spectra: SpectrumRow[] = [];
  results.forEach((r, i) => {
    const run = labels[i] ?? r.label;
    for (const op of ops) {
      const o = r.operations[op];
      if (!o) continue;
      spectra.push(
        ...spectrumRows(run, `${op} ${o.response ? 'response' : 'service'}`, (o.response ?? o.service).histogram),
      );
      if (o.response) spectra.push(...spectrumRows(run, `${op} service`, o.service.histogram));
    }
    const e2e = r.metrics[METRIC.workflowE2e];
    if (e2e) spectra.push(...spectrumRows(run, METRIC.workflowE2e, e2e.histogram));
  });
  return spectra;
}
