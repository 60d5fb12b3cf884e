/**
 * `stampede merge`: several results of one run (its --segment shares, from several processes or machines) into
 * one, losslessly: histograms are added (totals from result.json, per-interval ones from each intervals.hlog),
 * intervals are aligned by index, counters summed. Percentiles are recomputed from the merged histograms, never
 * averaged.
 */
import { ResultFileError } from '../result/errors.js';
import { addEncoded, encodeHistogram, newHistogram, summarize, type Histogram } from '../result/histogram.js';
import { readHlog } from '../result/hlog.js';
import type {
  IntervalHealth,
  IntervalOp,
  IntervalResult,
  LatencyStats,
  OperationResult,
  ResultV1,
} from '../result/schema.js';

export interface MergeInput {
  result: ResultV1;
  /** The input's intervals.hlog, when it has one (per-interval percentiles need it). */
  hlog: string | undefined;
  source: string;
}

function latency(h: Histogram): LatencyStats {
  return { ...summarize(h), histogram: encodeHistogram(h) };
}

function mergeLatency(parts: (LatencyStats | undefined)[]): Histogram | undefined {
  const present = parts.filter((p): p is LatencyStats => p !== undefined);
  if (present.length === 0) return undefined;
  const h = newHistogram();
  for (const p of present) addEncoded(h, p.histogram);
  return h;
}

function sumRecords(records: Record<string, number>[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const r of records) for (const [k, v] of Object.entries(r)) out[k] = (out[k] ?? 0) + v;
  return out;
}

export function mergeResults(inputs: MergeInput[]): {
  result: ResultV1;
  intervalHistograms: Map<number, Map<string, Histogram>>;
  warnings: string[];
} {
  if (inputs.length < 2) throw new ResultFileError('merge needs at least two results');
  const first = inputs[0]?.result as ResultV1;
  const problems: string[] = [];
  const warnings: string[] = [];
  for (const { result: r, source } of inputs) {
    if (r.scenario.name !== first.scenario.name)
      problems.push(`${source} ran scenario ${r.scenario.name}, not ${first.scenario.name}`);
    if (r.timing.intervalMs !== first.timing.intervalMs)
      problems.push(`${source} has ${r.timing.intervalMs} ms intervals, not ${first.timing.intervalMs} ms`);
    if (r.timing.warmupMs !== first.timing.warmupMs)
      problems.push(`${source} warmed up ${r.timing.warmupMs} ms, not ${first.timing.warmupMs} ms`);
  }
  if (problems.length > 0) throw ResultFileError.of(problems);
  const counts = new Set(inputs.map((i) => i.result.segment.count));
  const indices = inputs.map((i) => i.result.segment.index).sort((a, b) => a - b);
  if (counts.size !== 1 || indices.join() !== Array.from({ length: first.segment.count }, (_, i) => i).join()) {
    warnings.push(
      `segments ${inputs.map((i) => `${i.result.segment.index}/${i.result.segment.count}`).join(', ')} do not make one whole schedule`,
    );
  }

  // Totals.
  const opNames = [...new Set(inputs.flatMap((i) => Object.keys(i.result.operations)))];
  const measuredMs = Math.max(...inputs.map((i) => i.result.timing.measuredMs));
  const operations: Record<string, OperationResult> = {};
  for (const name of opNames) {
    const parts = inputs.map((i) => i.result.operations[name]);
    const service = mergeLatency(parts.map((p) => p?.service)) ?? newHistogram();
    const response = mergeLatency(parts.map((p) => p?.response));
    const wait = mergeLatency(parts.map((p) => p?.wait));
    const count = parts.reduce((n, p) => n + (p?.count ?? 0), 0);
    operations[name] = {
      count,
      errors: parts.reduce((n, p) => n + (p?.errors ?? 0), 0),
      throughputPerSec: count / (measuredMs / 1000),
      service: latency(service),
      ...(response ? { response: latency(response) } : {}),
      ...(wait ? { wait: latency(wait) } : {}),
    };
  }
  const metrics: Record<string, LatencyStats> = {};
  for (const name of new Set(inputs.flatMap((i) => Object.keys(i.result.metrics)))) {
    const h = mergeLatency(inputs.map((i) => i.result.metrics[name]));
    if (h) metrics[name] = latency(h);
  }

  // Intervals, aligned by index; percentiles from the merged interval histograms of the .hlog files.
  const intervalHistograms = new Map<number, Map<string, Histogram>>();
  const intervalMs = first.timing.intervalMs;
  const haveAllLogs = inputs.every((i) => i.hlog !== undefined);
  if (!haveAllLogs)
    warnings.push(
      'some inputs have no intervals.hlog: per-interval percentiles are the worst of the inputs, not recomputed',
    );
  for (const input of inputs) {
    if (!input.hlog) continue;
    for (const line of readHlog(input.hlog)) {
      const index = Math.round((line.startSec * 1000) / intervalMs);
      let byTag = intervalHistograms.get(index);
      if (!byTag) {
        byTag = new Map();
        intervalHistograms.set(index, byTag);
      }
      let h = byTag.get(line.tag);
      if (!h) {
        h = newHistogram();
        byTag.set(line.tag, h);
      }
      h.add(line.histogram);
    }
  }
  const allIndices = [...new Set(inputs.flatMap((i) => i.result.intervals.map((iv) => iv.index)))].sort(
    (a, b) => a - b,
  );
  const intervals: IntervalResult[] = allIndices.map((index) => {
    const parts = inputs
      .map((i) => i.result.intervals.find((iv) => iv.index === index))
      .filter((iv): iv is IntervalResult => iv !== undefined);
    const hists = intervalHistograms.get(index);
    const ops: Record<string, IntervalOp> = {};
    for (const name of new Set(parts.flatMap((p) => Object.keys(p.ops)))) {
      const ps = parts.map((p) => p.ops[name]).filter((x): x is IntervalOp => x !== undefined);
      const service = hists?.get(`${name}.service`);
      const response = hists?.get(`${name}.response`);
      const main = response ?? service;
      const s = main ? summarize(main) : undefined;
      const sv = service ? summarize(service) : undefined;
      ops[name] = {
        count: ps.reduce((n, p) => n + p.count, 0),
        errors: ps.reduce((n, p) => n + p.errors, 0),
        p50Us: s?.p50Us ?? Math.max(...ps.map((p) => p.p50Us)),
        p90Us: s?.p90Us ?? Math.max(...ps.map((p) => p.p90Us)),
        p99Us: s?.p99Us ?? Math.max(...ps.map((p) => p.p99Us)),
        p999Us: s?.p999Us ?? Math.max(...ps.map((p) => p.p999Us)),
        maxUs: s?.maxUs ?? Math.max(...ps.map((p) => p.maxUs)),
        of: ps[0]?.of ?? 'service',
        serviceP50Us: sv?.p50Us ?? Math.max(...ps.map((p) => p.serviceP50Us)),
        serviceP99Us: sv?.p99Us ?? Math.max(...ps.map((p) => p.serviceP99Us)),
      };
    }
    const metricsOut: IntervalResult['metrics'] = {};
    for (const name of new Set(parts.flatMap((p) => Object.keys(p.metrics)))) {
      const h = hists?.get(`metric.${name}`);
      const ps = parts.map((p) => p.metrics[name]).filter((x) => x !== undefined);
      const s = h ? summarize(h) : undefined;
      metricsOut[name] = {
        n: ps.reduce((n, p) => n + p.n, 0),
        p50Us: s?.p50Us ?? Math.max(...ps.map((p) => p.p50Us)),
        p99Us: s?.p99Us ?? Math.max(...ps.map((p) => p.p99Us)),
        maxUs: s?.maxUs ?? Math.max(...ps.map((p) => p.maxUs)),
      };
    }
    const health: IntervalHealth = {
      maxElu: Math.max(...parts.map((p) => p.health.maxElu)),
      meanElu: parts.reduce((n, p) => n + p.health.meanElu, 0) / parts.length,
      eventLoopDelayP99Us: Math.max(...parts.map((p) => p.health.eventLoopDelayP99Us)),
      scheduleLagMaxUs: Math.max(...parts.map((p) => p.health.scheduleLagMaxUs)),
      inFlight: parts.reduce((n, p) => n + p.health.inFlight, 0),
      processCpuCores: parts.reduce((n, p) => n + p.health.processCpuCores, 0),
      rssBytes: parts.reduce((n, p) => n + p.health.rssBytes, 0),
    };
    return {
      index,
      startMs: index * intervalMs,
      endMs: (index + 1) * intervalMs,
      phase: parts[0]?.phase ?? 'main',
      ops,
      metrics: metricsOut,
      counters: sumRecords(parts.map((p) => p.counters)),
      errors: sumRecords(parts.map((p) => p.errors)),
      health,
    };
  });

  const v = inputs.map((i) => i.result.verification);
  const statuses = v.map((x) => x.status);
  const withEngine = inputs
    .filter((i) => i.result.engine)
    .sort((a, b) => (b.result.engine?.uptimeMs ?? 0) - (a.result.engine?.uptimeMs ?? 0))[0];
  const result: ResultV1 = {
    ...first,
    runId: first.runId,
    label: first.label,
    createdAt: new Date().toISOString(),
    segment: { index: 0, count: 1 },
    timing: {
      t0Ms: Math.min(...inputs.map((i) => i.result.timing.t0Ms)),
      warmupMs: first.timing.warmupMs,
      measuredMs,
      intervalMs,
      endMs: Math.max(...inputs.map((i) => i.result.timing.endMs)),
    },
    operations,
    metrics,
    counters: sumRecords(inputs.map((i) => i.result.counters)),
    errors: sumRecords(inputs.map((i) => i.result.errors)),
    intervals,
    health: {
      saturated: inputs.some((i) => i.result.health.saturated),
      warnings: inputs.flatMap((i) => i.result.health.warnings.map((w) => `segment ${i.result.segment.index}: ${w}`)),
      maxElu: Math.max(...inputs.map((i) => i.result.health.maxElu)),
      eventLoopDelayP99Us: Math.max(...inputs.map((i) => i.result.health.eventLoopDelayP99Us)),
      scheduleLagMaxUs: Math.max(...inputs.map((i) => i.result.health.scheduleLagMaxUs)),
      dropped: inputs.reduce((n, i) => n + i.result.health.dropped, 0),
      peakRssBytes: Math.max(...inputs.map((i) => i.result.health.peakRssBytes)),
      cpuCoresMean: inputs.reduce((n, i) => n + i.result.health.cpuCoresMean, 0),
    },
    ...(withEngine?.result.engine ? { engine: withEngine.result.engine } : {}),
    // Segments drive one target: its contention counters are not summed but taken once.
    ...(withEngine?.result.contention ? { contention: withEngine.result.contention } : {}),
    verification: {
      status: statuses.includes('failed') ? 'failed' : statuses.includes('unavailable') ? 'unavailable' : 'passed',
      started: v.reduce((n, x) => n + x.started, 0),
      byStatus: sumRecords(v.map((x) => x.byStatus)),
      lost: v.reduce((n, x) => n + x.lost, 0),
      stuck: v.reduce((n, x) => n + x.stuck, 0),
      historiesChecked: v.reduce((n, x) => n + (x.historiesChecked ?? 0), 0),
      problems: v.reduce((n, x) => n + (x.problems ?? 0), 0),
      notes: inputs.flatMap((i) => i.result.verification.notes.map((n) => `segment ${i.result.segment.index}: ${n}`)),
    },
    verdict: inputs.some((i) => i.result.verdict === 'fail')
      ? 'fail'
      : inputs.some((i) => i.result.verdict === 'partial')
        ? 'partial'
        : 'pass',
    notes: [
      `merged from ${inputs.length} results: ${inputs.map((i) => `${i.source} (segment ${i.result.segment.index}/${i.result.segment.count})`).join(', ')}`,
      ...warnings,
    ],
    files: { hlog: 'intervals.hlog', report: 'report.html' },
  };
  return { result, intervalHistograms, warnings };
}
