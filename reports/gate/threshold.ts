/**
 * Threshold expressions, k6-like, evaluated against a result:
 *
 *   p99(start)<50ms        a latency percentile of an operation (response time when measured, else service)
 *   p50(start.service)<5ms the service time explicitly; p(99)(x), p99.9(x), any pN(x) work too; max, min, mean
 *   p99(workflow)<2s       a workflow-level metric (workflow = workflow_e2e)
 *   errors<0.1%            errors over all operations as a share of calls (a bare number is a count)
 *   errors(start)<1        errors of one operation
 *   throughput>=0.95*target  measured iterations per second vs the configured rate
 *   throughput(start)>100  one operation's completions per second
 *   dropped==0, lost==0, stuck==0, problems==0, counter(name)>0
 *   accepted_rate>=200     a capacity result's accepted rate, iterations per second (`stampede capacity`)
 *
 * Units: us/µs, ms (the default for latencies), s, m; % for shares; `*target` scales by the configured rate.
 */
import type { LatencyStats, OperationResult, ResultV1 } from '../../result/schema.js';
import { METRIC } from '../../result/catalogue.js';

type Op = '<' | '<=' | '>' | '>=' | '==' | '!=';

export interface Threshold {
  source: string;
  stat: string;
  target: string | undefined;
  op: Op;
  value: number;
  unit: 'us' | 'percent' | 'count' | 'per-second';
  /** The value multiplies the run's configured target rate. */
  ofTarget: boolean;
}

export interface ThresholdOutcome {
  threshold: string;
  pass: boolean;
  /** The measured value, in the threshold's unit (µs for latencies). */
  actual: number | undefined;
  limit: number | undefined;
  unit: Threshold['unit'];
  detail: string;
}

const LATENCY_STATS = new Set(['p50', 'p90', 'p95', 'p99', 'p99.9', 'p99.99', 'max', 'min', 'mean', 'avg', 'med']);
/** A named latency statistic, or any percentile pN with 0 < N < 100 (p98: no more than 2 % above the limit). */
function isLatencyStat(stat: string): boolean {
  if (LATENCY_STATS.has(stat)) return true;
  const m = /^p(\d+(?:\.\d+)?)$/.exec(stat);
  return m !== null && Number(m[1]) > 0 && Number(m[1]) < 100;
}
const COUNT_STATS = new Set(['dropped', 'lost', 'stuck', 'problems']);
const ALIASES: Record<string, string> = {
  start: 'start_workflow',
  signal: 'signal_workflow',
  query: 'query_workflow',
  cancel: 'cancel_workflow',
  workflow: METRIC.workflowE2e,
  e2e: METRIC.workflowE2e,
};

const UNIT_US: Record<string, number> = { us: 1, µs: 1, ms: 1000, s: 1_000_000, m: 60_000_000 };

const PATTERN =
  /^\s*(?<stat>p\(\s*[\d.]+\s*\)|[a-z][a-z0-9_.]*)\s*(?:\(\s*(?<target>[A-Za-z0-9_.-]+)\s*\))?\s*(?<op><=|>=|==|!=|<|>)\s*(?<num>-?\d+(?:\.\d+)?)\s*(?<unit>us|µs|ms|s|m|%)?\s*(?<of>\*\s*target)?\s*$/;

/** Parses one threshold, or returns why it cannot. */
export function parseThreshold(source: string): Threshold | string {
  const m = PATTERN.exec(source);
  if (!m?.groups) {
    return `threshold "${source}" is not of the form stat(target)<op><value>, e.g. p99(start)<50ms, errors<0.1%, throughput>=0.95*target`;
  }
  const g = m.groups as { stat: string; target?: string; op: Op; num: string; unit?: string; of?: string };
  let stat = g.stat.replace(/\s/g, '');
  const pk6 = /^p\(([\d.]+)\)$/.exec(stat);
  if (pk6) stat = `p${pk6[1]}`;
  if (stat === 'p999') stat = 'p99.9';
  if (stat === 'rate') stat = 'throughput';
  if (stat === 'error_rate') stat = 'errors';
  if (stat === 'capacity' || stat === 'accepted') stat = 'accepted_rate';
  const value = Number(g.num);
  // Every statistic a gate reads is a latency, a count, a share or a rate: a negative limit is a typo that would
  // make the threshold always pass (or always fail), so it is refused.
  if (value < 0) return `threshold "${source}": the limit must be >= 0 (${stat} is never negative)`;
  if (g.unit === '%' && value > 100) return `threshold "${source}": a percentage must be at most 100`;
  const base = { source, stat, target: g.target, op: g.op, ofTarget: Boolean(g.of) };
  if (isLatencyStat(stat)) {
    if (!g.target) return `threshold "${source}": ${stat} needs an operation or metric, e.g. ${stat}(start)<50ms`;
    if (g.unit === '%' || g.of) return `threshold "${source}": a latency limit takes a time unit (us, ms, s, m)`;
    return { ...base, value: value * (UNIT_US[g.unit ?? 'ms'] ?? 1000), unit: 'us' };
  }
  if (stat === 'errors') {
    if (g.of || (g.unit && g.unit !== '%')) return `threshold "${source}": errors take a count or a percentage`;
    return g.unit === '%' ? { ...base, value, unit: 'percent' } : { ...base, value, unit: 'count' };
  }
  if (stat === 'accepted_rate') {
    if (g.unit || g.of || g.target)
      return `threshold "${source}": accepted_rate is per second, without a unit or target, e.g. accepted_rate>=200`;
    return { ...base, value, unit: 'per-second' };
  }
  if (stat === 'throughput') {
    if (g.unit) return `threshold "${source}": throughput is per second, without a unit (or N*target)`;
    return { ...base, value, unit: 'per-second' };
  }
  if (COUNT_STATS.has(stat) || stat === 'counter') {
    if (stat === 'counter' && !g.target) return `threshold "${source}": counter needs a name, e.g. counter(dropped)==0`;
    if (g.unit || g.of) return `threshold "${source}": ${stat} is a count, without a unit`;
    return { ...base, value, unit: 'count' };
  }
  return `threshold "${source}": unknown statistic "${stat}" (p50, p90, p95, p99, p99.9, max, min, mean, errors, throughput, accepted_rate, dropped, lost, stuck, problems, counter)`;
}

function compare(a: number, op: Op, b: number): boolean {
  switch (op) {
    case '<':
      return a < b;
    case '<=':
      return a <= b;
    case '>':
      return a > b;
    case '>=':
      return a >= b;
    case '==':
      return a === b;
    case '!=':
      return a !== b;
  }
}

function pick(s: LatencyStats, stat: string): number {
  switch (stat) {
    case 'p50':
    case 'med':
      return s.p50Us;
    case 'p90':
      return s.p90Us;
    case 'p99':
      return s.p99Us;
    case 'p99.9':
      return s.p999Us;
    case 'max':
      return s.maxUs;
    case 'min':
      return s.minUs;
    case 'mean':
    case 'avg':
      return s.meanUs;
    default:
      return Number.NaN; // p95, p99.99: read from the histogram by the caller
  }
}

/** The latency series a target names: an operation (response, else service; `.service` forces it) or a metric. */
export function latencyOf(r: ResultV1, target: string): { stats: LatencyStats; name: string } | undefined {
  const service = target.endsWith('.service');
  const response = target.endsWith('.response');
  const raw = target.replace(/\.(service|response)$/, '');
  const name = ALIASES[raw] ?? raw;
  const op: OperationResult | undefined = r.operations[name];
  if (op) {
    if (service) return { stats: op.service, name: `${name} service time` };
    if (response && !op.response) return undefined;
    return op.response
      ? { stats: op.response, name: `${name} response time` }
      : { stats: op.service, name: `${name} service time` };
  }
  const metric = r.metrics[name];
  return metric ? { stats: metric, name } : undefined;
}

/** Iterations per second over the measured intervals. */
export function measuredIterationRate(r: ResultV1): number {
  const main = r.intervals.filter((iv) => iv.phase === 'main');
  const n = main.reduce((a, iv) => a + (iv.counters.iterations ?? 0), 0);
  return n / Math.max(0.001, r.timing.measuredMs / 1000);
}

export function evaluateThreshold(
  t: Threshold,
  r: ResultV1,
  percentile: (encoded: string, p: number) => number,
): ThresholdOutcome {
  const out = (actual: number | undefined, limit: number | undefined, detail: string): ThresholdOutcome => ({
    threshold: t.source,
    pass: actual !== undefined && limit !== undefined && compare(actual, t.op, limit),
    actual,
    limit,
    unit: t.unit,
    detail,
  });
  let limit = t.value;
  if (t.ofTarget) {
    const rate = r.options.executor === 'constant-arrival-rate' ? Number(r.options.ratePerSec) : Number.NaN;
    if (!Number.isFinite(rate)) return out(undefined, undefined, 'the run has no constant target rate to scale by');
    limit = t.value * rate;
  }
  if (isLatencyStat(t.stat)) {
    const found = latencyOf(r, t.target ?? '');
    if (!found) return out(undefined, limit, `no operation or metric named ${t.target ?? ''} in the result`);
    if (found.stats.n === 0) return out(undefined, limit, `${found.name} has no samples`);
    let actual = pick(found.stats, t.stat);
    if (Number.isNaN(actual)) actual = percentile(found.stats.histogram, Number(t.stat.slice(1)));
    return out(actual, limit, `${found.name}, N=${found.stats.n}`);
  }
  if (t.stat === 'errors') {
    const ops = t.target
      ? [r.operations[ALIASES[t.target] ?? t.target]].filter((o): o is OperationResult => o !== undefined)
      : Object.values(r.operations);
    if (t.target && ops.length === 0) return out(undefined, limit, `no operation named ${t.target}`);
    const errors = ops.reduce((a, o) => a + o.errors, 0);
    const calls = ops.reduce((a, o) => a + o.count + o.errors, 0);
    if (t.unit === 'percent')
      return out(calls > 0 ? (errors / calls) * 100 : 0, limit, `${errors} errors in ${calls} calls`);
    return out(errors, limit, `${errors} errors in ${calls} calls`);
  }
  if (t.stat === 'accepted_rate') {
    const c = r.capacity;
    if (!c) return out(undefined, limit, 'not a capacity result (accepted_rate comes from `stampede capacity`)');
    return out(
      c.acceptedRatePerSec,
      limit,
      `capacity search ${c.status}, ${c.confirmed ? 'confirmed by a hold' : 'not confirmed'}, ${c.steps.length} steps`,
    );
  }
  if (t.stat === 'throughput') {
    if (!t.target) return out(measuredIterationRate(r), limit, 'iterations per second, measured phase');
    const name = ALIASES[t.target] ?? t.target;
    const op = r.operations[name];
    return op
      ? out(op.throughputPerSec, limit, `${name} per second, measured phase`)
      : out(undefined, limit, `no operation named ${t.target}`);
  }
  if (t.stat === 'counter') {
    const v = r.counters[t.target ?? ''];
    return out(v ?? 0, limit, `counter ${t.target ?? ''}${v === undefined ? ' (absent: 0)' : ''}`);
  }
  const counts: Record<string, number> = {
    dropped: r.health.dropped,
    lost: r.verification.lost,
    stuck: r.verification.stuck,
    problems: r.verification.problems,
  };
  return out(counts[t.stat], limit, t.stat);
}
