/**
 * What a run will do, decided before anything starts: the scenario and its compiled options, the arrival schedule,
 * the run tag, where the results go, and the options result.json will record. Every problem is collected and
 * thrown as one UsageError.
 */
import { randomUUID } from 'node:crypto';
import { join, resolve } from 'node:path';
import { SCENARIOS } from '../../scenarios/index.js';
import { compileOptions, type OptionSpecs, type OptionValues } from '../../scenarios/sdk/option-specs.js';
import type { AnyScenario } from '../../scenarios/sdk/scenario.js';
import { redactSecrets } from '../../result/redact.js';
import { UsageError } from '../errors.js';
import { planSchedule, type ExecutorConfig } from '../executors/index.js';
import type { Schedule } from '../executors/schedule.js';
import type { RunOptions } from './run-options.js';
import type { Threshold } from '../../reports/gate/threshold.js';
import { parseScenarioThresholds } from './scenario-thresholds.js';

export interface RunPlan {
  scenario: AnyScenario;
  scenarioValues: OptionValues<OptionSpecs>;
  executorConfig: ExecutorConfig;
  schedule: Schedule;
  /** The scenario's own thresholds, checked on the result (they fail the verification). */
  thresholds: Threshold[];
  runTag: string;
  /** What result.json records as the run's options; the threads' own account of what they run is checked against it. */
  recordedOptions: Record<string, unknown>;
  outDir: string;
}

export function planRun(o: RunOptions): RunPlan {
  const scenario = SCENARIOS.get(o.scenario);
  if (!scenario)
    throw new UsageError(`unknown scenario ${o.scenario} (available: ${[...SCENARIOS.keys()].join(', ')})`);
  const scenarioOpts = compileOptions(scenario.options, o.scenarioOptions, `scenario ${o.scenario}`);
  const problems = [...scenarioOpts.problems, ...(scenario.check?.(scenarioOpts.values) ?? [])];
  const thresholds = parseScenarioThresholds(
    scenarioOpts.problems.length === 0 ? (scenario.thresholds?.(scenarioOpts.values) ?? []) : [],
  );
  problems.push(...thresholds.problems);
  // A scenario may cap the iterations (e.g. the number of customers who sign up).
  const cap = scenarioOpts.problems.length === 0 ? scenario.iterations?.(scenarioOpts.values) : undefined;
  const iterations = cap === undefined ? o.iterations : Math.min(cap, o.iterations ?? Infinity);
  const executorConfig: ExecutorConfig = {
    ratePerSec: o.ratePerSec,
    startRatePerSec: o.startRatePerSec,
    stages: o.stages,
    vus: o.vus,
    durationMs: o.durationMs,
    warmupMs: o.warmupMs,
    iterations,
  };
  const schedule = planSchedule(o.executor, executorConfig);
  if (Array.isArray(schedule)) problems.push(...schedule);
  if (problems.length > 0 || Array.isArray(schedule)) throw UsageError.of(problems);
  const runTag = o.runTag ?? `sp-${randomUUID().slice(0, 8)}`;
  return {
    scenario,
    scenarioValues: scenarioOpts.values,
    executorConfig,
    schedule,
    thresholds: thresholds.thresholds,
    runTag,
    recordedOptions: redactSecrets({ ...o, durationMs: Number.isFinite(o.durationMs) ? o.durationMs : null, runTag }),
    outDir: resolve(o.out ?? join('results', `${new Date().toISOString().replace(/[:.]/g, '-')}-${o.scenario}`)),
  };
}
