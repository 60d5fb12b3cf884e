/**
 * `stampede gate`: thresholds on a result plus a noise-aware comparison with a baseline, one verdict, and the
 * files CI systems read (JUnit XML, JSON, Bencher's BMF, github-action-benchmark's custom format).
 */
import type { ResultV1 } from '../../result/schema.js';
import { percentilesOf } from '../../result/summary.js';
import { formatMicros } from '../../result/units.js';
import { compareWithBaseline, type Comparison, type CompareOptions } from './compare.js';
import { evaluateThreshold, measuredIterationRate, type Threshold, type ThresholdOutcome } from './threshold.js';
import { METRIC, isPoll } from '../../result/catalogue.js';

export interface GateResult {
  pass: boolean;
  /** How the runs' configurations differ (a comparison of unlike runs is reported, not refused). */
  differences: string[];
  current: { label: string; runId: string; scenario: string; verdict: ResultV1['verdict'] };
  baseline?: { label: string; runId: string };
  thresholds: ThresholdOutcome[];
  comparisons: Comparison[];
  options: CompareOptions;
}

/** A percentile of an encoded histogram (what thresholds use for p95, p99.99 and the like). */
export function percentileOf(encoded: string, p: number): number {
  return percentilesOf(encoded, [p]).values[0] ?? 0;
}

export function runGate(
  current: ResultV1,
  thresholds: Threshold[],
  baseline: ResultV1 | undefined,
  options: CompareOptions,
): GateResult {
  const outcomes: ThresholdOutcome[] = [
    // A run whose workflows were lost or that broke passes no gate.
    {
      threshold: 'verdict==pass',
      pass: current.verdict === 'pass',
      actual: undefined,
      limit: undefined,
      unit: 'count',
      detail: `run verdict ${current.verdict}, verification ${current.verification.status}`,
    },
    ...thresholds.map((t) => evaluateThreshold(t, current, percentileOf)),
  ];
  const comparisons = baseline ? compareWithBaseline(current, baseline, options) : [];
  return {
    differences: baseline ? configDifferences(baseline, current) : [],
    pass: outcomes.every((o) => o.pass) && comparisons.every((c) => c.verdict !== 'regression'),
    current: { label: current.label, runId: current.runId, scenario: current.scenario.name, verdict: current.verdict },
    ...(baseline ? { baseline: { label: baseline.label, runId: baseline.runId } } : {}),
    thresholds: outcomes,
    comparisons,
    options,
  };
}

const COMPARED_OPTIONS = [
  'executor',
  'ratePerSec',
  'vus',
  'stages',
  'durationMs',
  'starters',
  'pollers',
  'connections',
];

/** Settings that make two runs unlike: the load, the target, the scenario's options. */
function configDifferences(a: ResultV1, b: ResultV1): string[] {
  const out: string[] = [];
  const show = (v: unknown): string => JSON.stringify(v) ?? 'unset';
  for (const k of COMPARED_OPTIONS) {
    if (show(a.options[k]) !== show(b.options[k])) out.push(`${k}: ${show(a.options[k])} vs ${show(b.options[k])}`);
  }
  if (a.target.store !== b.target.store) out.push(`store: ${a.target.store} vs ${b.target.store}`);
  if (a.target.timeScale !== b.target.timeScale) out.push(`time scale: ${a.target.timeScale} vs ${b.target.timeScale}`);
  for (const k of new Set([...Object.keys(a.scenario.options), ...Object.keys(b.scenario.options)])) {
    if (show(a.scenario.options[k]) !== show(b.scenario.options[k]))
      out.push(`${a.scenario.name} ${k}: ${show(a.scenario.options[k])} vs ${show(b.scenario.options[k])}`);
  }
  return out;
}

function fmt(value: number | undefined, unit: ThresholdOutcome['unit'] | Comparison['unit']): string {
  if (value === undefined || !Number.isFinite(value)) return '-';
  switch (unit) {
    case 'us':
      return formatMicros(value);
    case 'percent':
      return `${value.toFixed(3)}%`;
    case 'per-second':
      return `${value.toFixed(1)}/s`;
    case 'count':
      return String(value);
  }
}

export function formatGate(g: GateResult): string {
  const lines: string[] = [];
  lines.push(
    `gate: ${g.current.label} (${g.current.scenario}, run ${g.current.runId})${g.baseline ? ` vs baseline ${g.baseline.label} (run ${g.baseline.runId})` : ''}`,
  );
  for (const t of g.thresholds) {
    lines.push(
      `  ${t.pass ? 'ok  ' : 'FAIL'} ${t.threshold.padEnd(32)} ${t.actual === undefined ? '' : `actual ${fmt(t.actual, t.unit)}`}${t.limit === undefined ? '' : `, limit ${fmt(t.limit, t.unit)}`} (${t.detail})`,
    );
  }
  if (g.differences.length > 0)
    lines.push(`  note: the runs are configured differently (baseline vs current): ${g.differences.join('; ')}`);
  if (g.comparisons.length > 0) {
    lines.push(
      `  baseline comparison (per-interval samples, Welch's t-test, alpha ${g.options.alpha}, minimum effect ${(g.options.minEffect * 100).toFixed(0)} %${g.options.minAbsUs ? ` and ${fmt(g.options.minAbsUs, 'us')} for latencies` : ''}):`,
    );
    for (const c of g.comparisons) {
      const mark = c.verdict === 'regression' ? 'FAIL' : c.verdict === 'improvement' ? 'better' : 'ok  ';
      lines.push(
        `  ${mark.padEnd(6)} ${c.name.padEnd(30)} ${fmt(c.baseline.mean, c.unit)} -> ${fmt(c.current.mean, c.unit)} (${c.change >= 0 ? '+' : ''}${(c.change * 100).toFixed(1)} %, p=${Number.isNaN(c.pValue) ? '-' : c.pValue.toPrecision(2)}, n=${c.baseline.n}/${c.current.n}) ${c.verdict}`,
      );
    }
  }
  lines.push(`gate ${g.pass ? 'PASSED' : 'FAILED'}`);
  return lines.join('\n');
}

function xml(s: string): string {
  return s.replace(
    /[<>&"']/g,
    (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;', "'": '&apos;' })[c] ?? c,
  );
}

/** JUnit XML: one test case per threshold and per baseline comparison. */
export function junitXml(g: GateResult): string {
  const cases: string[] = [];
  for (const t of g.thresholds) {
    const body = t.pass
      ? ''
      : `<failure message="${xml(`${t.threshold}: actual ${fmt(t.actual, t.unit)}, limit ${fmt(t.limit, t.unit)}`)}">${xml(t.detail)}</failure>`;
    cases.push(`    <testcase classname="stampede.threshold" name="${xml(t.threshold)}">${body}</testcase>`);
  }
  for (const c of g.comparisons) {
    const msg = `${c.name}: ${fmt(c.baseline.mean, c.unit)} -> ${fmt(c.current.mean, c.unit)} (${(c.change * 100).toFixed(1)} %, p=${c.pValue})`;
    const body =
      c.verdict === 'regression'
        ? `<failure message="${xml(msg)}">${xml(`regression beyond ${g.options.minEffect * 100} % at alpha ${g.options.alpha}`)}</failure>`
        : c.verdict === 'insufficient data'
          ? `<skipped message="${xml('fewer than 3 measured intervals')}"/>`
          : `<system-out>${xml(`${msg} ${c.verdict}`)}</system-out>`;
    cases.push(`    <testcase classname="stampede.baseline" name="${xml(c.name)}">${body}</testcase>`);
  }
  const failures =
    g.thresholds.filter((t) => !t.pass).length + g.comparisons.filter((c) => c.verdict === 'regression').length;
  const skipped = g.comparisons.filter((c) => c.verdict === 'insufficient data').length;
  return `<?xml version="1.0" encoding="UTF-8"?>
<testsuites name="stampede gate" tests="${cases.length}" failures="${failures}">
  <testsuite name="${xml(`${g.current.scenario}: ${g.current.label}`)}" tests="${cases.length}" failures="${failures}" skipped="${skipped}">
${cases.join('\n')}
  </testsuite>
</testsuites>
`;
}

/**
 * Bencher Metric Format: { benchmark: { measure: { value, lower_value?, upper_value? } } }. Latencies in
 * nanoseconds (Bencher's `latency` measure), throughput in operations per second.
 */
export function bencherBmf(
  r: ResultV1,
): Record<string, Record<string, { value: number; lower_value?: number; upper_value?: number }>> {
  const out: Record<string, Record<string, { value: number; lower_value?: number; upper_value?: number }>> = {};
  const prefix = `stampede/${r.scenario.name}`;
  for (const [name, op] of Object.entries(r.operations)) {
    if (isPoll(name)) continue;
    const s = op.response ?? op.service;
    out[`${prefix}/${name}`] = {
      latency: { value: s.p50Us * 1000, lower_value: s.minUs * 1000, upper_value: s.p99Us * 1000 },
      throughput: { value: op.throughputPerSec },
    };
  }
  const e2e = r.metrics[METRIC.workflowE2e];
  if (e2e)
    out[`${prefix}/${METRIC.workflowE2e}`] = {
      latency: { value: e2e.p50Us * 1000, lower_value: e2e.minUs * 1000, upper_value: e2e.p99Us * 1000 },
    };
  out[`${prefix}/iterations`] = { throughput: { value: measuredIterationRate(r) } };
  return out;
}

/** github-action-benchmark's custom formats: latencies (customSmallerIsBetter) and throughput (customBiggerIsBetter). */
export function githubBenchmark(r: ResultV1): {
  smaller: { name: string; unit: string; value: number; range?: string; extra?: string }[];
  bigger: { name: string; unit: string; value: number; extra?: string }[];
} {
  const smaller: { name: string; unit: string; value: number; range?: string; extra?: string }[] = [];
  const bigger: { name: string; unit: string; value: number; extra?: string }[] = [];
  const add = (name: string, s: { p50Us: number; p99Us: number; n: number }): void => {
    smaller.push({ name: `${r.scenario.name} ${name} p50`, unit: 'ms', value: s.p50Us / 1000, extra: `N=${s.n}` });
    smaller.push({ name: `${r.scenario.name} ${name} p99`, unit: 'ms', value: s.p99Us / 1000, extra: `N=${s.n}` });
  };
  for (const [name, op] of Object.entries(r.operations)) {
    if (isPoll(name)) continue;
    add(name, op.response ?? op.service);
    bigger.push({ name: `${r.scenario.name} ${name} throughput`, unit: 'ops/s', value: op.throughputPerSec });
  }
  const e2e = r.metrics[METRIC.workflowE2e];
  if (e2e) add(METRIC.workflowE2e, e2e);
  return { smaller, bigger };
}
