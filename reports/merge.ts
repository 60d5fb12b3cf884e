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
import { formatClockOffset } from '../result/units.js';

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

/**
 * The options that make a run what it is: every part of one run agrees on them (`segment.count` too). The rest may
 * differ per machine (threads, output folder, label, target member, the segment's own task queue).
 */
const RUN_DEFINING = [
  'runTag',
  'scenario',
  'scenarioOptions',
  'namespace',
  'executor',
  'ratePerSec',
  'startRatePerSec',
  'stages',
  'vus',
  'durationMs',
  'warmupMs',
  'iterations',
  'intervalMs',
  'seed',
  'startAtMs',
] as const;

export interface MergeOptions {
  /** Merge what is there when segments of the run are missing (the result says which and is partial). */
  allowPartial?: boolean;
}

function describeValue(v: unknown): string {
  return v === undefined ? 'unset' : JSON.stringify(v);
}

/**
 * Parts of different runs or configurations are refused with one line; a segment given twice is refused; missing
 * segments are refused unless `allowPartial`, and then named. Returns the missing segments' labels.
 */
function checkInputs(inputs: MergeInput[], o: MergeOptions): { missing: string[] } {
  const [head] = inputs;
  if (!head) throw new ResultFileError('merge needs at least one result');
  const first = head.result;
  // One part of a split run falls through to the missing-segments check, which says what else to give.
  if (inputs.length < 2 && first.segment.count < 2) throw new ResultFileError('merge needs at least two results');
  for (const { result: r, source } of inputs.slice(1)) {
    const diffs: string[] = [];
    if (r.scenario.name !== first.scenario.name) diffs.push(`scenario ${r.scenario.name}, not ${first.scenario.name}`);
    if (r.segment.count !== first.segment.count)
      diffs.push(`split in ${r.segment.count} segments, not ${first.segment.count}`);
    for (const key of RUN_DEFINING) {
      const [a, b] = [r.options[key], first.options[key]];
      if (JSON.stringify(a) !== JSON.stringify(b)) diffs.push(`${key} ${describeValue(a)}, not ${describeValue(b)}`);
    }
    if (r.timing.intervalMs !== first.timing.intervalMs && !diffs.some((d) => d.startsWith('intervalMs')))
      diffs.push(`${r.timing.intervalMs} ms intervals, not ${first.timing.intervalMs} ms`);
    if (diffs.length > 0)
      throw new ResultFileError(`${source} is not a part of the same run as ${head.source}: ${diffs.join('; ')}`);
  }
  const bySegment = new Map<number, string[]>();
  for (const { result: r, source } of inputs)
    bySegment.set(r.segment.index, [...(bySegment.get(r.segment.index) ?? []), source]);
  for (const [index, sources] of bySegment)
    if (sources.length > 1)
      throw new ResultFileError(`segment ${index}/${first.segment.count} is given twice: ${sources.join(', ')}`);
  const missing = Array.from({ length: first.segment.count }, (_, i) => i)
    .filter((i) => !bySegment.has(i))
    .map((i) => `${i}/${first.segment.count}`);
  if (missing.length > 0 && !o.allowPartial)
    throw new ResultFileError(
      `segment${missing.length > 1 ? 's' : ''} ${missing.join(', ')} of run ${describeValue(first.options['runTag'])} ${missing.length > 1 ? 'are' : 'is'} missing: give every segment's result, or pass --allow-partial to merge what is here`,
    );
  return { missing };
}

/**
 * Where each part's intervals go on the merged timeline. Parts started with one `--start-at` and with their clocks
 * measured against the engine are placed on the engine's clock: a machine whose clock was off started its schedule
 * off by as much, and its intervals move by that many intervals. Otherwise parts line up by interval index.
 */
function alignment(
  results: ResultV1[],
  intervalMs: number,
): { shifts: number[]; t0Ms: number; notes: string[]; warnings: string[] } {
  const notes: string[] = [];
  const warnings: string[] = [];
  const measured = results.every((r) => r.segment.clockOffset !== undefined);
  if (measured)
    notes.push(
      `clocks against the engine's: ${results
        .map(
          (r) => `segment ${r.segment.index} ${r.segment.clockOffset ? formatClockOffset(r.segment.clockOffset) : ''}`,
        )
        .join(', ')}`,
    );
  const localT0 = Math.min(...results.map((r) => r.timing.t0Ms));
  if (!results.every((r) => r.timing.startAt)) {
    const spread = Math.max(...results.map((r) => r.timing.t0Ms)) - localT0;
    if (spread > intervalMs)
      warnings.push(
        `the parts started ${(spread / 1000).toFixed(1)} s apart (no --start-at): their intervals are lined up by index, not by time`,
      );
    return { shifts: results.map(() => 0), t0Ms: localT0, notes, warnings };
  }
  if (!measured) return { shifts: results.map(() => 0), t0Ms: localT0, notes, warnings };
  const engineT0 = results.map((r) => r.timing.t0Ms + (r.segment.clockOffset?.offsetMs ?? 0));
  const origin = Math.min(...engineT0);
  const shifts = engineT0.map((t) => Math.round((t - origin) / intervalMs));
  results.forEach((r, i) => {
    const shift = shifts[i] ?? 0;
    if (shift !== 0)
      notes.push(
        `segment ${r.segment.index} started its schedule ${(((engineT0[i] as number) - origin) / 1000).toFixed(1)} s after the earliest on the engine's clock (its own clock is off): its intervals moved ${shift} later`,
      );
  });
  return { shifts, t0Ms: origin, notes, warnings };
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

function intervalHistograms(inputs: MergeInput[], intervalMs: number, shifts: number[]): IntervalHistograms {
  const out: IntervalHistograms = new Map();
  for (const [i, input] of inputs.entries()) {
    if (!input.hlog) continue;
    for (const line of readHlog(input.hlog)) {
      const index = Math.round((line.startSec * 1000) / intervalMs) + (shifts[i] ?? 0);
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

export function mergeResults(
  inputs: MergeInput[],
  o: MergeOptions = {},
): {
  result: ResultV1;
  intervalHistograms: IntervalHistograms;
  warnings: string[];
  notes: string[];
} {
  const { missing } = checkInputs(inputs, o);
  const warnings: string[] = [];
  if (missing.length > 0)
    warnings.push(
      `partial: segment${missing.length > 1 ? 's' : ''} ${missing.join(', ')} missing; the counts cover ${inputs.length} of ${inputs[0]?.result.segment.count} segments`,
    );
  const first = inputs[0]?.result as ResultV1;
  const intervalMs = first.timing.intervalMs;
  const aligned = alignment(
    inputs.map((i) => i.result),
    intervalMs,
  );
  warnings.push(...aligned.warnings);
  // Each part's intervals where they fall on the merged timeline.
  const results = inputs.map((input, i) => {
    const shift = aligned.shifts[i] ?? 0;
    if (shift === 0) return input.result;
    return {
      ...input.result,
      intervals: input.result.intervals.map((iv) => ({
        ...iv,
        index: iv.index + shift,
        startMs: iv.startMs + shift * intervalMs,
        endMs: iv.endMs + shift * intervalMs,
      })),
    };
  });
  const measuredMs = Math.max(...results.map((r) => r.timing.measuredMs));
  if (!inputs.every((i) => i.hlog !== undefined))
    warnings.push(
      'some inputs have no intervals.hlog: per-interval percentiles are the worst of the inputs, not recomputed',
    );
  const histograms = intervalHistograms(inputs, intervalMs, aligned.shifts);
  // Segments drive one target: its statistics are not summed but taken once, from the engine that ran longest.
  const withEngine = results
    .filter((r) => r.engine)
    .sort((a, b) => (b.engine?.uptimeMs ?? 0) - (a.engine?.uptimeMs ?? 0))[0];
  const result: ResultV1 = {
    ...first,
    createdAt: new Date().toISOString(),
    segment: { index: 0, count: 1 },
    timing: {
      t0Ms: aligned.t0Ms,
      ...(results.every((r) => r.timing.startAt) ? { startAt: true } : {}),
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
      : missing.length > 0 || results.some((r) => r.verdict === 'partial')
        ? 'partial'
        : 'pass',
    notes: [
      `merged from ${inputs.length} results: ${inputs.map((i) => `${i.source} (segment ${i.result.segment.index}/${i.result.segment.count})`).join(', ')}`,
      ...warnings,
      ...aligned.notes,
    ],
    files: { hlog: 'intervals.hlog', report: 'report.html' },
  };
  return { result, intervalHistograms: histograms, warnings, notes: aligned.notes };
}
