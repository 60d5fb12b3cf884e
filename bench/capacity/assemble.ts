/**
 * The capacity result: the run at the accepted rate (its hold, else its step, else the last step) with the whole
 * search attached as `capacity` — every step with its verdict and reasons, the latency-vs-throughput curve, the
 * bottleneck and the sizing projection. Being a run result, `report` and `gate` read it like any other.
 */
import { join } from 'node:path';
import type { CapacityResult, CapacityStep, ResultV1 } from '../../result/schema.js';
import { findBottleneck } from './bottleneck.js';
import type { CapacityOptions } from './capacity-options.js';
import { formatResolution } from './search.js';
import { projectSizing } from './sizing.js';

export interface SearchOutcome {
  tag: string;
  description: string;
  steps: CapacityStep[];
  /** Each completed step's run result, by step index. */
  results: Map<number, ResultV1>;
  acceptedPerSec: number;
  status: CapacityResult['status'];
  stopReason: string;
  warmupMs: number;
  wallMs: number;
}

const VERDICT: Record<CapacityResult['status'], ResultV1['verdict']> = {
  complete: 'pass',
  'at-limit': 'pass',
  budget: 'partial',
  interrupted: 'partial',
  error: 'partial',
  unconfirmed: 'fail',
  'no-passing-rate': 'fail',
};

function curveOf(steps: CapacityStep[]): CapacityResult['curve'] {
  return steps.flatMap((s) =>
    Object.entries(s.latency).map(([series, l]) => ({
      step: s.index,
      ratePerSec: s.ratePerSec,
      achievedPerSec: s.achievedPerSec,
      ...(s.completedPerSec !== undefined ? { completedPerSec: s.completedPerSec } : {}),
      series,
      p50Us: l.p50Us,
      p99Us: l.p99Us,
      verdict: s.verdict,
    })),
  );
}

/** The capacity section and the result it rides on; undefined when no step produced a result. */
export function assembleCapacity(
  o: SearchOutcome,
  c: CapacityOptions,
  label: string | undefined,
  writeReport: boolean,
): { result: ResultV1; capacity: CapacityResult } | undefined {
  const { steps, acceptedPerSec: accepted } = o;
  const latestPass = (hold: boolean): CapacityStep | undefined =>
    [...steps]
      .reverse()
      .find((s) => s.ratePerSec === accepted && s.verdict === 'pass' && (!hold || s.stage === 'hold'));
  const acceptedStep = latestPass(true) ?? latestPass(false);
  const headStep = acceptedStep ?? steps.at(-1);
  const headline = headStep ? o.results.get(headStep.index) : undefined;
  if (!headStep || !headline) return undefined;

  const bottleneck = findBottleneck(steps, accepted);
  const notes: string[] = [];
  let sizing: CapacityResult['sizing'];
  if (acceptedStep) {
    const projected = projectSizing(acceptedStep, bottleneck, {
      targetRatePerSec: c.targetRatePerSec,
      storeNodes: c.storeNodes,
      planningUtilisation: c.planningUtilisation,
    });
    sizing = projected.sizing;
    if (projected.note) notes.push(projected.note);
  }
  const failedBelow = steps.filter((s) => s.verdict === 'fail' && s.ratePerSec < accepted && s.stage !== 'hold');
  if (failedBelow.length > 0)
    notes.push(
      `not monotonic: ${failedBelow.map((s) => `${s.ratePerSec}/s (step ${s.index})`).join(', ')} failed below the accepted rate (noise, or a rate-dependent effect: see those steps)`,
    );
  if (acceptedStep && acceptedStep.measurements.generator.busyIntervals > 0)
    notes.push('a generator thread was > 90 % busy at the accepted rate: check its health before trusting the figure');

  const confirmed = acceptedStep?.stage === 'hold';
  const capacity: CapacityResult = {
    acceptedRatePerSec: accepted,
    confirmed,
    status: o.status,
    stopReason: o.stopReason,
    search: {
      description: o.description,
      fromPerSec: c.fromPerSec,
      toPerSec: Number.isFinite(c.toPerSec) ? c.toPerSec : null,
      factor: c.factor,
      resolution: formatResolution(c.resolution),
      warmupMs: o.warmupMs,
      stepDurationMs: c.stepDurationMs,
      holdMs: c.holdMs,
      budgetMs: Number.isFinite(c.budgetMs) ? c.budgetMs : null,
    },
    slos: c.slos.map((t) => t.source),
    stability: { ...c.limits },
    steps,
    curve: curveOf(steps),
    bottleneck,
    ...(sizing ? { sizing } : {}),
    notes,
    wallMs: Math.round(o.wallMs),
  };
  const passed = steps.filter((s) => s.verdict === 'pass').map((s) => s.ratePerSec);
  const result: ResultV1 = {
    ...headline,
    runId: o.tag,
    label:
      label ??
      `capacity ${headline.scenario.name} ${headline.target.store}${headline.engine ? ` ${headline.engine.numShards} shards` : ''}`,
    createdAt: new Date().toISOString(),
    verdict: VERDICT[o.status],
    notes: [
      `capacity search: ${accepted > 0 ? `${accepted}/s accepted${confirmed ? ' and confirmed' : ', not confirmed'}` : 'no rate accepted'} (${o.status}: ${o.stopReason}); the rest of this result is step ${headStep.index} at ${headStep.ratePerSec}/s (rates that passed: ${passed.join(', ') || 'none'})`,
      ...headline.notes,
    ],
    files: {
      ...(headline.files.hlog ? { hlog: join(headStep.dir, headline.files.hlog) } : {}),
      ...(writeReport ? { report: 'report.html' } : {}),
    },
    capacity,
  };
  return { result, capacity };
}
