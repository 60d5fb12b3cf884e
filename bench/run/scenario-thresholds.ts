/**
 * A scenario's own thresholds (e.g. `schedules`: no more than 1 % of firings later than 1 s), stated in the
 * language of `stampede gate --threshold` and checked on the run's result: one that fails fails the verification,
 * so the run exits as a failed run does, with the measured figure in the notes.
 */
import { parseThreshold, evaluateThreshold, type Threshold } from '../../reports/gate/threshold.js';
import { percentileOf } from '../../reports/gate/gate.js';
import type { ResultV1 } from '../../result/schema.js';

/** Parses the thresholds, with the problems found (a usage error before the run starts). */
export function parseScenarioThresholds(sources: readonly string[]): { thresholds: Threshold[]; problems: string[] } {
  const parsed = sources.map(parseThreshold);
  return {
    thresholds: parsed.filter((t): t is Threshold => typeof t !== 'string'),
    problems: parsed.filter((t): t is string => typeof t === 'string'),
  };
}

function show(v: number | undefined, unit: Threshold['unit']): string {
  if (v === undefined) return 'n/a';
  return unit === 'us' ? `${(v / 1000).toFixed(1)} ms` : unit === 'percent' ? `${v.toFixed(3)} %` : String(v);
}

/** The result with each threshold's outcome in the verification's notes, failed when one does not hold. */
export function applyScenarioThresholds(result: ResultV1, thresholds: readonly Threshold[]): ResultV1 {
  if (thresholds.length === 0) return result;
  const v = result.verification;
  const notes = [...v.notes];
  let failed = 0;
  for (const t of thresholds) {
    const o = evaluateThreshold(t, result, percentileOf);
    if (!o.pass) failed += 1;
    notes.push(
      `scenario threshold ${o.threshold}: ${o.pass ? 'held' : 'FAILED'} (${show(o.actual, o.unit)} against ${show(o.limit, o.unit)}; ${o.detail})`,
    );
  }
  return {
    ...result,
    verdict: failed > 0 && result.verdict === 'pass' ? 'fail' : result.verdict,
    verification: {
      ...v,
      notes,
      problems: v.problems + failed,
      status: failed > 0 && v.status === 'passed' ? 'failed' : v.status,
    },
  };
}
