/**
 * `stampede merge`: several results of one run (its --segment shares, from several processes or machines) into
 * one, losslessly: histograms are added (totals from result.json, per-interval ones from each intervals.hlog),
 * intervals are aligned by index, counters summed. Every percentile comes from result/summary.ts over the merged
 * histograms, never averaged; only an interval without .hlog lines falls back to the worst of its inputs.
 */
import { ResultFileError } from '../result/errors.js';
import { addEncoded, newHistogram, type Histogram, type OpLatencies } from '../result/histogram.js';
import { metricTag, opTag, readHlog } from '../result/hlog.js';
import type {
  IntervalHealth,
  IntervalMetric,
  IntervalOp,
  IntervalResult,
  LatencyStats,
  OperationResult,
  ResultV1,
  Verification,
} from '../result/schema.js';
import { intervalMetric, intervalOp, latencyStats, operationResult, sumRecords } from '../result/summary.js';

export interface MergeInput {
  result: ResultV1;
  /** The input's intervals.hlog, when it has one (per-interval percentiles need it). */
  hlog: string | undefined;
  source: string;
}

/** Histograms of each interval by their .hlog tag, merged over the inputs. */
type IntervalHistograms = Map<number, Map<string, Histogram>>;

function sum<T>(items: readonly T[], of: (t: T) => number): number {
  return items.reduce((n, t) => n + of(t), 0);
}

function mergeEncoded(parts: (LatencyStats | undefined)[]): Histogram | undefined {
  const present = parts.filter((p): p is LatencyStats => p !== undefined);
  if (present.length === 0) return undefined;
  const h = newHistogram();
  for (const p of present) addEncoded(h, p.histogram);
  return h;
}

/** Results of different runs do not merge; segments that do not make one whole schedule merge with a warning. */
function checkInputs(inputs: MergeInput[]): string[] {
  if (inputs.length < 2) throw new ResultFileError('merge needs at least two results');
  const first = inputs[0]?.result as ResultV1;
  const problems: string[] = [];
  for (const { result: r, source } of inputs) {
    if (r.scenario.name !== first.scenario.name)
      problems.push(`${source} ran scenario ${r.scenario.name}, not ${first.scenario.name}`);
    if (r.timing.intervalMs !== first.timing.intervalMs)
      problems.push(`${source} has ${r.timing.intervalMs} ms intervals, not ${first.timing.intervalMs} ms`);
    if (r.timing.warmupMs !== first.timing.warmupMs)
      problems.push(`${source} warmed up ${r.timing.warmupMs} ms, not ${first.timing.warmupMs} ms`);
  }
  if (problems.length > 0) throw ResultFileError.of(problems);
  const warnings: string[] = [];
  const counts = new Set(inputs.map((i) => i.result.segment.count));
  const indices = inputs.map((i) => i.result.segment.index).sort((a, b) => a - b);
  if (counts.size !== 1 || indices.join() !== Array.from({ length: first.segment.count }, (_, i) => i).join()) {
    warnings.push(
      `segments ${inputs.map((i) => `${i.result.segment.index}/${i.result.segment.count}`).join(', ')} do not make one whole schedule`,
    );
  }
  return warnings;
}

function mergeOperations(results: ResultV1[], measuredMs: number): Record<string, OperationResult> {
  const operations: Record<string, OperationResult> = {};
  for (const name of new Set(results.flatMap((r) => Object.keys(r.operations)))) {
    const parts = results.map((r) => r.operations[name]);
    const op: OpLatencies<Histogram> = { service: mergeEncoded(parts.map((p) => p?.service)) ?? newHistogram() };
    for (const kind of ['response', 'wait'] as const) {
      const h = mergeEncoded(parts.map((p) => p?.[kind]));
      if (h) op[kind] = h;
    }
    operations[name] = operationResult(
      op,
      sum(parts, (p) => p?.errors ?? 0),
      measuredMs,
    );
  }
  return operations;
}

function mergeMetrics(results: ResultV1[]): Record<string, LatencyStats> {
  const metrics: Record<string, LatencyStats> = {};
  for (const name of new Set(results.flatMap((r) => Object.keys(r.metrics)))) {
    const h = mergeEncoded(results.map((r) => r.metrics[name]));
    if (h) metrics[name] = latencyStats(h);
  }
  return metrics;
}

function intervalHistograms(inputs: MergeInput[], intervalMs: number): IntervalHistograms {
  const out: IntervalHistograms = new Map();
  for (const input of inputs) {
    if (!input.hlog) continue;
    for (const line of readHlog(input.hlog)) {
      const index = Math.round((line.startSec * 1000) / intervalMs);
      let byTag = out.get(index);
      if (!byTag) {
        byTag = new Map();
        out.set(index, byTag);
      }
      let h = byTag.get(line.tag);
      if (!h) {
        h = newHistogram();
        byTag.set(line.tag, h);
      }
      h.add(line.histogram);
    }
  }
  return out;
}

/** One operation of a merged interval: from the merged histograms, else the worst of the inputs. */
function mergeIntervalOp(name: string, ps: IntervalOp[], hists: Map<string, Histogram> | undefined): IntervalOp {
  const count = sum(ps, (p) => p.count);
  const errors = sum(ps, (p) => p.errors);
  const service = hists?.get(opTag(name, 'service'));
  const response = hists?.get(opTag(name, 'response'));
  if (service) return intervalOp({ service, ...(response ? { response } : {}) }, errors, count);
  const worst = (of: (p: IntervalOp) => number): number => Math.max(...ps.map(of));
  return {
    count,
    errors,
    p50Us: worst((p) => p.p50Us),
    p90Us: worst((p) => p.p90Us),
    p99Us: worst((p) => p.p99Us),
    p999Us: worst((p) => p.p999Us),
    maxUs: worst((p) => p.maxUs),
    of: ps[0]?.of ?? 'service',
    serviceP50Us: worst((p) => p.serviceP50Us),
    serviceP99Us: worst((p) => p.serviceP99Us),
  };
}

function mergeIntervalMetric(ps: IntervalMetric[], h: Histogram | undefined): IntervalMetric {
  const n = sum(ps, (p) => p.n);
  if (h) return intervalMetric(h, n);
  return {
    n,
    p50Us: Math.max(...ps.map((p) => p.p50Us)),
    p99Us: Math.max(...ps.map((p) => p.p99Us)),
    maxUs: Math.max(...ps.map((p) => p.maxUs)),
  };
}

function mergeIntervalHealth(parts: IntervalResult[]): IntervalHealth {
  return {
    maxElu: Math.max(...parts.map((p) => p.health.maxElu)),
    meanElu: sum(parts, (p) => p.health.meanElu) / parts.length,
    eventLoopDelayP99Us: Math.max(...parts.map((p) => p.health.eventLoopDelayP99Us)),
    scheduleLagMaxUs: Math.max(...parts.map((p) => p.health.scheduleLagMaxUs)),
    inFlight: sum(parts, (p) => p.health.inFlight),
    processCpuCores: sum(parts, (p) => p.health.processCpuCores),
    rssBytes: sum(parts, (p) => p.health.rssBytes),
  };
}

function mergeIntervals(results: ResultV1[], histograms: IntervalHistograms, intervalMs: number): IntervalResult[] {
  const indices = [...new Set(results.flatMap((r) => r.intervals.map((iv) => iv.index)))].sort((a, b) => a - b);
  return indices.map((index) => {
    const parts = results
      .map((r) => r.intervals.find((iv) => iv.index === index))
      .filter((iv): iv is IntervalResult => iv !== undefined);
    const hists = histograms.get(index);
    const ops: Record<string, IntervalOp> = {};
    for (const name of new Set(parts.flatMap((p) => Object.keys(p.ops))))
      ops[name] = mergeIntervalOp(
        name,
        parts.map((p) => p.ops[name]).filter((x): x is IntervalOp => x !== undefined),
        hists,
      );
    const metrics: IntervalResult['metrics'] = {};
    for (const name of new Set(parts.flatMap((p) => Object.keys(p.metrics))))
      metrics[name] = mergeIntervalMetric(
        parts.map((p) => p.metrics[name]).filter((x): x is IntervalMetric => x !== undefined),
        hists?.get(metricTag(name)),
      );
    return {
      index,
      startMs: index * intervalMs,
      endMs: (index + 1) * intervalMs,
      phase: parts[0]?.phase ?? 'main',
      ops,
      metrics,
      counters: sumRecords(parts.map((p) => p.counters)),
      errors: sumRecords(parts.map((p) => p.errors)),
      health: mergeIntervalHealth(parts),
    };
  });
}

function mergeHealth(results: ResultV1[]): ResultV1['health'] {
  return {
    saturated: results.some((r) => r.health.saturated),
    warnings: results.flatMap((r) => r.health.warnings.map((w) => `segment ${r.segment.index}: ${w}`)),
    maxElu: Math.max(...results.map((r) => r.health.maxElu)),
    eventLoopDelayP99Us: Math.max(...results.map((r) => r.health.eventLoopDelayP99Us)),
    scheduleLagMaxUs: Math.max(...results.map((r) => r.health.scheduleLagMaxUs)),
    dropped: sum(results, (r) => r.health.dropped),
    peakRssBytes: Math.max(...results.map((r) => r.health.peakRssBytes)),
    cpuCoresMean: sum(results, (r) => r.health.cpuCoresMean),
  };
}

function mergeVerification(results: ResultV1[]): Verification {
  const v = results.map((r) => r.verification);
  const statuses = v.map((x) => x.status);
  return {
    status: statuses.includes('failed') ? 'failed' : statuses.includes('unavailable') ? 'unavailable' : 'passed',
    started: sum(v, (x) => x.started),
    byStatus: sumRecords(v.map((x) => x.byStatus)),
    lost: sum(v, (x) => x.lost),
    stuck: sum(v, (x) => x.stuck),
    historiesChecked: sum(v, (x) => x.historiesChecked ?? 0),
    problems: sum(v, (x) => x.problems ?? 0),
    notes: results.flatMap((r) => r.verification.notes.map((n) => `segment ${r.segment.index}: ${n}`)),
  };
}

export function mergeResults(inputs: MergeInput[]): {
  result: ResultV1;
  intervalHistograms: IntervalHistograms;
  warnings: string[];
} {
  const warnings = checkInputs(inputs);
  const results = inputs.map((i) => i.result);
  const first = results[0] as ResultV1;
  const intervalMs = first.timing.intervalMs;
  const measuredMs = Math.max(...results.map((r) => r.timing.measuredMs));
  if (!inputs.every((i) => i.hlog !== undefined))
    warnings.push(
      'some inputs have no intervals.hlog: per-interval percentiles are the worst of the inputs, not recomputed',
    );
  const histograms = intervalHistograms(inputs, intervalMs);
  // Segments drive one target: its statistics are not summed but taken once, from the engine that ran longest.
  const withEngine = results
    .filter((r) => r.engine)
    .sort((a, b) => (b.engine?.uptimeMs ?? 0) - (a.engine?.uptimeMs ?? 0))[0];
  const result: ResultV1 = {
    ...first,
    createdAt: new Date().toISOString(),
    segment: { index: 0, count: 1 },
    timing: {
      t0Ms: Math.min(...results.map((r) => r.timing.t0Ms)),
      warmupMs: first.timing.warmupMs,
      measuredMs,
      intervalMs,
      endMs: Math.max(...results.map((r) => r.timing.endMs)),
    },
    operations: mergeOperations(results, measuredMs),
    metrics: mergeMetrics(results),
    counters: sumRecords(results.map((r) => r.counters)),
    errors: sumRecords(results.map((r) => r.errors)),
    intervals: mergeIntervals(results, histograms, intervalMs),
    health: mergeHealth(results),
    ...(withEngine?.engine ? { engine: withEngine.engine } : {}),
    ...(withEngine?.contention ? { contention: withEngine.contention } : {}),
    verification: mergeVerification(results),
    verdict: results.some((r) => r.verdict === 'fail')
      ? 'fail'
      : results.some((r) => r.verdict === 'partial')
        ? 'partial'
        : 'pass',
    notes: [
      `merged from ${inputs.length} results: ${inputs.map((i) => `${i.source} (segment ${i.result.segment.index}/${i.result.segment.count})`).join(', ')}`,
      ...warnings,
    ],
    files: { hlog: 'intervals.hlog', report: 'report.html' },
  };
  return { result, intervalHistograms: histograms, warnings };
}
