/**
 * A run's result.json, assembled from what the run gathered: its options and plan, the totals and intervals the
 * aggregator kept, the engine's statistics, and the verification. No orchestration here: run.ts gathers, this
 * builds the result, and every figure in it comes from result/summary.ts.
 */
import { cpus, hostname, totalmem } from 'node:os';
import type { EngineStats } from '../../engine/index.js';
import { COUNTER } from '../../result/catalogue.js';
import {
  RESULT_SCHEMA,
  RESULT_VERSION,
  type Contention,
  type IntervalResult,
  type LatencyStats,
  type OperationResult,
  type ResultV1,
  type Verification,
} from '../../result/schema.js';
import { latencyStats, operationResult } from '../../result/summary.js';
import type { Totals } from '../coordinator/aggregator.js';
import type { ClockOffset } from '../recorder/clock-offset.js';
import { TOOL_VERSION } from '../version.js';
import { gitSha } from './git.js';
import type { RunPlan } from './plan.js';
import type { RunOptions } from './run-options.js';

/** Finishing problems noted in the result; the rest are counted. */
const NOTED_FINISH_PROBLEMS = 10;

export interface RunRecord {
  options: RunOptions;
  plan: RunPlan;
  target: ResultV1['target'];
  /** Epoch ms of the schedule's start, and ms after it: the starters' end (never before warm-up) and the run's. */
  t0Ms: number;
  /** The engine's clock against this generator's, when the engine stamped replies in real time. */
  clockOffset: ClockOffset | undefined;
  startersDoneAtMs: number;
  endMs: number;
  totals: Totals;
  intervals: IntervalResult[];
  peakRssBytes: number;
  engineStats: EngineStats | undefined;
  contention: Contention | undefined;
  verification: Verification;
  /** Why the run was stopped early, if it was. */
  interrupted: string | undefined;
  finishNotes: string[];
  /** The starters recorded expectations (written to expected.json beside the result). */
  hasExpected: boolean;
}

export function assembleResult(r: RunRecord): ResultV1 {
  const o = r.options;
  const measuredMs = Math.max(1, r.startersDoneAtMs - o.warmupMs);
  const operations: Record<string, OperationResult> = {};
  for (const [name, t] of r.totals.ops)
    operations[name] = operationResult(t.histograms.measured(), t.errors, measuredMs);
  const metrics: Record<string, LatencyStats> = {};
  for (const [name, h] of r.totals.metrics) metrics[name] = latencyStats(h);
  const notes: string[] = [...r.finishNotes.slice(0, NOTED_FINISH_PROBLEMS)];
  if (r.finishNotes.length > NOTED_FINISH_PROBLEMS)
    notes.push(`... and ${r.finishNotes.length - NOTED_FINISH_PROBLEMS} more finishing problems`);
  if (r.interrupted) notes.push(`interrupted: ${r.interrupted}`);
  const sha = gitSha();
  return {
    schema: RESULT_SCHEMA,
    version: RESULT_VERSION,
    runId: r.plan.runTag,
    label: o.label ?? `${o.scenario} ${r.target.store}`,
    createdAt: new Date().toISOString(),
    tool: { name: 'stampede', version: TOOL_VERSION, ...(sha ? { gitSha: sha } : {}) },
    environment: {
      node: process.version,
      platform: process.platform,
      arch: process.arch,
      cpuModel: cpus()[0]?.model ?? 'unknown',
      cpus: cpus().length,
      totalMemoryBytes: totalmem(),
      hostname: hostname(),
    },
    options: r.plan.recordedOptions,
    scenario: { name: o.scenario, stresses: r.plan.scenario.stresses, options: r.plan.scenarioValues },
    target: r.target,
    segment: { ...o.segment, ...(r.clockOffset ? { clockOffset: r.clockOffset } : {}) },
    timing: {
      t0Ms: r.t0Ms,
      ...(o.startAtMs !== undefined ? { startAt: true } : {}),
      warmupMs: o.warmupMs,
      measuredMs,
      intervalMs: o.intervalMs,
      endMs: r.endMs,
    },
    operations,
    metrics,
    counters: Object.fromEntries(r.totals.counters),
    errors: Object.fromEntries(r.totals.errors),
    intervals: r.intervals,
    health: generatorHealth(
      r.intervals,
      r.totals.counters.get(COUNTER.dropped) ?? 0,
      r.totals.counters.get(COUNTER.skipped) ?? 0,
      r.peakRssBytes,
    ),
    ...(r.engineStats ? { engine: r.engineStats } : {}),
    ...(r.contention ? { contention: r.contention } : {}),
    verification: r.verification,
    verdict: r.interrupted ? 'partial' : r.verification.status === 'failed' ? 'fail' : 'pass',
    notes,
    files: {
      hlog: 'intervals.hlog',
      ...(o.report ? { report: 'report.html' } : {}),
      ...(r.hasExpected ? { expected: 'expected.json' } : {}),
    },
  };
}

/** Saturation: a generator thread busy > 90 % of an interval, or iterations starting > 10 ms late, says so. */
function generatorHealth(
  intervals: IntervalResult[],
  dropped: number,
  skipped: number,
  peakRss: number,
): ResultV1['health'] {
  const measured = intervals.filter((i) => i.phase !== 'warmup');
  const maxElu = Math.max(0, ...measured.map((i) => i.health.maxElu));
  const lag = Math.max(0, ...measured.map((i) => i.health.scheduleLagMaxUs));
  const eld = Math.max(0, ...measured.map((i) => i.health.eventLoopDelayP99Us));
  const busy = measured.filter((i) => i.health.maxElu > 0.9).length;
  const late = measured.filter((i) => i.health.scheduleLagMaxUs > 10_000).length;
  const warnings: string[] = [];
  if (busy > 0)
    warnings.push(
      `generator saturated: a thread was > 90 % busy in ${busy} of ${measured.length} intervals; add --starters/--pollers or lower the rate`,
    );
  if (late > measured.length * 0.1)
    warnings.push(
      `iterations started > 10 ms behind schedule in ${late} intervals (max ${Math.round(lag / 1000)} ms): the generator could not keep the rate`,
    );
  if (dropped > 0) warnings.push(`${dropped} iterations dropped at the in-flight cap: the target did not keep up`);
  if (skipped > 0)
    warnings.push(
      `${skipped} iterations skipped: the generator fell more than 1 s behind its schedule and did not replay it late; lower the rate or add --starters`,
    );
  const cpu = measured.map((i) => i.health.processCpuCores);
  return {
    saturated: busy > 0 || late > measured.length * 0.1 || skipped > 0,
    warnings,
    maxElu,
    eventLoopDelayP99Us: eld,
    scheduleLagMaxUs: lag,
    dropped,
    peakRssBytes: peakRss,
    cpuCoresMean: cpu.length ? cpu.reduce((a, b) => a + b, 0) / cpu.length : 0,
  };
}
