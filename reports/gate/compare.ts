/**
 * Noise-aware comparison with a baseline result. Each run contributes one sample per measured interval (an
 * operation's p50, its p99, its throughput), so a run of 30 one-second intervals gives 30 samples; Welch's
 * t-test (unequal variances) says whether the current run is worse than the baseline beyond chance, and a
 * minimum effect size (relative, and for latencies also absolute) keeps a statistically real but tiny shift
 * from failing the gate. All must hold for a regression: a noisy shared runner then does not cry wolf, and a
 * 2x slowdown never passes.
 */
import jstatModule from 'jstat';
import type { IntervalResult, ResultV1 } from '../../result/schema.js';
import { METRIC, isPoll } from '../../result/catalogue.js';

const { jStat } = jstatModule;

export type Direction = 'lower-is-better' | 'higher-is-better';

export interface Comparison {
  name: string;
  unit: 'us' | 'per-second';
  direction: Direction;
  baseline: { mean: number; n: number };
  current: { mean: number; n: number };
  /** (current - baseline) / baseline. */
  change: number;
  /** One-sided p-value that the current run is worse. */
  pValue: number;
  verdict: 'regression' | 'improvement' | 'no significant change' | 'insufficient data';
}

export interface CompareOptions {
  /** Smallest relative change that counts (0.1 = 10 %). */
  minEffect: number;
  /** Significance level of the one-sided test. */
  alpha: number;
  /**
   * Smallest absolute change of a latency (µs) that counts. Below a millisecond or so, a shared runner's
   * scheduling jitter moves medians by more than 10 % between two runs of the same build; such a shift is
   * real for that pair of runs but says nothing about the code.
   */
  minAbsUs?: number;
}

interface Stat {
  mean: number;
  variance: number;
  n: number;
}

function stat(xs: number[]): Stat {
  const n = xs.length;
  const mean = xs.reduce((a, b) => a + b, 0) / Math.max(1, n);
  const variance = n > 1 ? xs.reduce((a, x) => a + (x - mean) ** 2, 0) / (n - 1) : 0;
  return { mean, variance, n };
}

/**
 * Welch's t-test, one-sided: the p-value of "b's mean exceeds a's" (H1: mean(b) > mean(a)). Identical,
 * noise-free samples give 0.5 for equal means and 0 or 1 otherwise.
 */
export function welchGreater(a: number[], b: number[]): number {
  const x = stat(a);
  const y = stat(b);
  const se2 = x.variance / x.n + y.variance / y.n;
  if (se2 === 0) return y.mean > x.mean ? 0 : y.mean < x.mean ? 1 : 0.5;
  const t = (y.mean - x.mean) / Math.sqrt(se2);
  const df = se2 ** 2 / ((x.variance / x.n) ** 2 / (x.n - 1) + (y.variance / y.n) ** 2 / (y.n - 1));
  return 1 - jStat.studentt.cdf(t, df);
}

function measured(r: ResultV1): IntervalResult[] {
  // Intervals wholly inside the measured phase, each with a full interval of data.
  return r.intervals.filter((iv) => iv.phase === 'main' && iv.endMs - iv.startMs >= r.timing.intervalMs * 0.99);
}

type Series = { name: string; unit: Comparison['unit']; direction: Direction; values: (r: ResultV1) => number[] };

function seriesOf(results: ResultV1[]): Series[] {
  const common = (pick: (r: ResultV1) => string[]): string[] => {
    const [first, ...rest] = results.map((r) => new Set(pick(r)));
    return [...(first ?? [])].filter((n) => rest.every((s) => s.has(n))).sort();
  };
  const out: Series[] = [];
  for (const op of common((r) => Object.keys(r.operations).filter((n) => !isPoll(n)))) {
    const perInterval = (r: ResultV1, f: (o: NonNullable<IntervalResult['ops'][string]>) => number): number[] =>
      measured(r).flatMap((iv) => {
        const o = iv.ops[op];
        return o && o.count > 0 ? [f(o)] : [];
      });
    out.push(
      { name: `p50(${op})`, unit: 'us', direction: 'lower-is-better', values: (r) => perInterval(r, (o) => o.p50Us) },
      { name: `p99(${op})`, unit: 'us', direction: 'lower-is-better', values: (r) => perInterval(r, (o) => o.p99Us) },
      {
        name: `throughput(${op})`,
        unit: 'per-second',
        direction: 'higher-is-better',
        values: (r) => measured(r).map((iv) => ((iv.ops[op]?.count ?? 0) * 1000) / Math.max(1, iv.endMs - iv.startMs)),
      },
    );
  }
  for (const m of common((r) => Object.keys(r.metrics).filter((n) => n === METRIC.workflowE2e))) {
    const perInterval = (r: ResultV1, f: (s: { p50Us: number; p99Us: number }) => number): number[] =>
      measured(r).flatMap((iv) => {
        const s = iv.metrics[m];
        return s && s.n > 0 ? [f(s)] : [];
      });
    out.push(
      { name: `p50(${m})`, unit: 'us', direction: 'lower-is-better', values: (r) => perInterval(r, (s) => s.p50Us) },
      { name: `p99(${m})`, unit: 'us', direction: 'lower-is-better', values: (r) => perInterval(r, (s) => s.p99Us) },
    );
  }
  return out;
}

export function compareWithBaseline(current: ResultV1, baseline: ResultV1, o: CompareOptions): Comparison[] {
  return seriesOf([current, baseline]).map((s) => {
    const b = s.values(baseline);
    const c = s.values(current);
    const bs = stat(b);
    const cs = stat(c);
    const change = bs.mean === 0 ? (cs.mean === 0 ? 0 : Infinity) : (cs.mean - bs.mean) / bs.mean;
    const base = { name: s.name, unit: s.unit, direction: s.direction, baseline: { mean: bs.mean, n: bs.n } };
    const cur = { mean: cs.mean, n: cs.n };
    if (b.length < 3 || c.length < 3)
      return { ...base, current: cur, change, pValue: Number.NaN, verdict: 'insufficient data' as const };
    // "Worse" is higher for latencies, lower for throughput.
    const pWorse = s.direction === 'lower-is-better' ? welchGreater(b, c) : welchGreater(c, b);
    const pBetter = s.direction === 'lower-is-better' ? welchGreater(c, b) : welchGreater(b, c);
    const worseBy = s.direction === 'lower-is-better' ? change : -change;
    const bigEnough = s.unit !== 'us' || Math.abs(cs.mean - bs.mean) >= (o.minAbsUs ?? 0);
    const verdict =
      pWorse < o.alpha && worseBy > o.minEffect && bigEnough
        ? 'regression'
        : pBetter < o.alpha && -worseBy > o.minEffect && bigEnough
          ? 'improvement'
          : 'no significant change';
    return { ...base, current: cur, change, pValue: pWorse, verdict };
  });
}
