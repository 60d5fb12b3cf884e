/**
 * `stampede capacity`: runs steps (each a `stampede run` at a constant arrival rate, warm-up excluded) as the search
 * asks, judges each against the SLOs and for stability, and writes one result: the run at the accepted rate with the
 * whole search attached (`capacity`), plus every step's own result under steps/. A budget or a signal stops the
 * search cleanly: the step in flight is cut short and not judged, every completed step is kept, and the result says
 * partial.
 */
import { randomUUID } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { startEngine, type Engine, type EngineStats } from '../../engine/index.js';
import { renderReport } from '../../reports/html/render.js';
import { SCENARIOS } from '../../scenarios/index.js';
import { UsageError } from '../errors.js';
import type { RunOptions } from '../run/run-options.js';
import type { CapacityResult, CapacityStep, ResultV1 } from '../../result/schema.js';
import { embeddedEngineOptions } from '../run/embedded-engine.js';
import { compileOptions } from '../../scenarios/sdk/option-specs.js';
import { formatDuration } from '../../result/units.js';
import { ensureWritableDir } from '../../result/out-dir.js';
import { assembleCapacity } from './assemble.js';
import { formatCapacitySummary, formatStepLine } from './format.js';
import { judgeStep } from './judge.js';
import { achievedRate, completedRate, measureStep } from './measure.js';
import type { CapacityOptions } from './capacity-options.js';
import { CapacitySearch, describeSearch } from './search.js';
import { latencySeries, startStep, stepOptions, type StepRun } from './step.js';

export interface CapacityOutcome {
  result: ResultV1;
  capacity: CapacityResult;
  outDir: string;
  /** Why a step could not run (the search stopped there; the result is written, partial). */
  error?: unknown;
}

export interface CapacityHandle {
  /** Stops the search: the step in flight is cut short (not judged) and the result is written, partial. */
  stop(reason: string): void;
  result: Promise<CapacityOutcome>;
}

/** Overhead of a step beyond warm-up and measurement (engine start, drain, verification) until one is measured. */
const DEFAULT_OVERHEAD_MS = 5000;

/** How a search ended, and the error that ended it, if one did. */
interface SearchEnd {
  status: CapacityResult['status'];
  stopReason: string;
  failure?: unknown;
}

/** What carries from one step to the next. */
interface StepContext {
  closes: boolean;
  shared: Engine | undefined;
  /** The previous step's engine statistics (an external engine's counters are cumulative). */
  previousEngine: EngineStats | undefined;
  /** The last step's overhead beyond warm-up and measurement, for the budget. */
  overheadMs: number;
}

export function startCapacity(base: RunOptions, c: CapacityOptions, write: (line: string) => void): CapacityHandle {
  const search = new Search(base, c, write);
  return { stop: (reason) => search.stop(reason), result: search.run() };
}

class Search {
  private stopReason: string | undefined;
  private current: StepRun | undefined;
  private readonly t0 = performance.now();
  private readonly tag = `cap-${randomUUID().slice(0, 8)}`;
  private readonly outDir: string;

  constructor(
    private readonly base: RunOptions,
    private readonly c: CapacityOptions,
    private readonly write: (line: string) => void,
  ) {
    this.outDir = resolve(
      base.out ?? join('results', `${new Date().toISOString().replace(/[:.]/g, '-')}-capacity-${base.scenario}`),
    );
  }

  stop(reason: string): void {
    this.stopReason ??= reason;
    this.current?.stop(reason);
  }

  private say(line: string, data?: Record<string, unknown>): void {
    if (this.base.output === 'quiet') return;
    this.write(this.base.output === 'json' ? JSON.stringify(data ?? { type: 'info', message: line }) : line);
  }

  async run(): Promise<CapacityOutcome> {
    const { base, c } = this;
    const scenario = SCENARIOS.get(base.scenario);
    if (!scenario) throw new UsageError(`unknown scenario ${base.scenario}`);
    const values = compileOptions(scenario.options, base.scenarioOptions, `scenario ${scenario.name}`).values;
    const suggestedScale = base.timeScaleGiven ? undefined : scenario.timeScale?.(values);
    const closes = scenario.closesDuringRun(values, {
      timeScale: suggestedScale ?? base.engine.timeScale ?? 1,
      drainTimeoutMs: base.drainTimeoutMs,
    });
    // The budget stops whatever runs when it ends (the prime, a step), as a signal would.
    const budgetTimer = Number.isFinite(c.budgetMs) ? setTimeout(() => this.stop('budget'), c.budgetMs) : undefined;
    // A persistent store keeps whatever a step left behind whichever engine reads it, so restarting the engine for
    // every step buys no isolation there and costs a shard re-acquisition per step: one engine serves them all. The
    // memory store starts empty with each engine, so each step gets a fresh one.
    let shared: Engine | undefined;
    try {
      ensureWritableDir(join(this.outDir, 'steps'), '--out', true);
      if (base.targets.length === 0 && (base.engine.store ?? 'memory') !== 'memory')
        shared = await startEngine({ ...embeddedEngineOptions(base, suggestedScale), host: '127.0.0.1', port: 0 });
      return await this.search(closes, shared);
    } finally {
      clearTimeout(budgetTimer);
      await shared?.stop();
    }
  }

  /** The engine's first seconds are slow (JIT): a first step at full rate would fail on that alone. */
  private async prime(shared: Engine | undefined): Promise<void> {
    const { base, c } = this;
    const ratePerSec = Math.max(0.1, Math.round((c.fromPerSec / 4) * 100) / 100);
    const durationMs = Math.max(2000, base.warmupMs);
    this.say(
      `prime: ${ratePerSec}/s for ${formatDuration(durationMs)}, not judged (warms the engine and this process)`,
    );
    const o = stepOptions(
      base,
      this.tag,
      {
        name: 'prime',
        ratePerSec,
        warmupMs: 0,
        durationMs,
        out: join(this.outDir, 'steps', '00-prime'),
        label: 'prime',
        verifySample: 0,
        drainTimeoutMs: Math.min(base.drainTimeoutMs, 10_000),
      },
      c.verbose,
    );
    this.current = startStep(o, shared);
    try {
      await this.current.done;
    } catch (err) {
      if (err instanceof UsageError) throw err;
      this.say(`prime failed (${err instanceof Error ? err.message : String(err)}); searching anyway`);
    } finally {
      this.current = undefined;
    }
  }

  private async search(closes: boolean, shared: Engine | undefined): Promise<CapacityOutcome> {
    const { base, c } = this;
    const params = {
      fromPerSec: c.fromPerSec,
      toPerSec: c.toPerSec,
      factor: c.factor,
      resolution: c.resolution,
      maxHolds: 3,
      maxProbeDown: 4,
    };
    const searcher = new CapacitySearch(params);
    const description = describeSearch(params);
    this.say(`capacity: ${base.scenario}, SLOs ${c.slos.map((t) => t.source).join(', ')}; ${description}`);
    this.say(
      `each step: ${formatDuration(base.warmupMs)} warm-up (excluded) + ${formatDuration(c.stepDurationMs)} measured; hold ${formatDuration(c.holdMs)}${Number.isFinite(c.budgetMs) ? `; budget ${formatDuration(c.budgetMs)}` : ''}`,
    );
    if (c.prime && !this.stopReason) await this.prime(shared);

    const steps: CapacityStep[] = [];
    const results = new Map<number, ResultV1>();
    const ctx: StepContext = { closes, shared, previousEngine: undefined, overheadMs: DEFAULT_OVERHEAD_MS };
    let end: SearchEnd = { status: 'interrupted', stopReason: '' };
    for (let index = 1; ; index++) {
      const next = searcher.next();
      if (next.kind === 'done') {
        end = { status: next.status, stopReason: next.reason };
        break;
      }
      const refused = this.stopBefore(index, next, ctx.overheadMs);
      if (refused) {
        end = refused;
        break;
      }
      const outcome = await this.runStep(index, next, ctx);
      if ('failure' in outcome) {
        end = outcome;
        break;
      }
      steps.push(outcome.step);
      results.set(index, outcome.result);
      this.say(formatStepLine(outcome.step), { type: 'step', ...outcome.step });
      if (outcome.step.verdict === 'interrupted') {
        end = this.interruptedDuring(index, outcome.stoppedBy);
        break;
      }
      searcher.record(next.stage, next.ratePerSec, outcome.step.verdict === 'pass');
    }
    return this.finish(
      {
        tag: this.tag,
        description,
        steps,
        results,
        acceptedPerSec: searcher.highestPass(),
        status: end.status,
        stopReason: end.stopReason,
        warmupMs: base.warmupMs,
        wallMs: performance.now() - this.t0,
      },
      end.failure,
    );
  }

  /** Why the search must stop before step `index` (a signal, the step limit, the budget), if it must. */
  private stopBefore(index: number, next: { stage: CapacityStep['stage'] }, overheadMs: number): SearchEnd | undefined {
    const { base, c } = this;
    if (this.stopReason)
      return {
        status: this.stopReason === 'budget' ? 'budget' : 'interrupted',
        stopReason: `stopped (${this.stopReason}) before step ${index}`,
      };
    if (index > c.maxSteps)
      return { status: 'budget', stopReason: `the step limit (--max-steps ${c.maxSteps}) was reached` };
    const durationMs = next.stage === 'hold' ? c.holdMs : c.stepDurationMs;
    const needMs = base.warmupMs + durationMs + overheadMs;
    const leftMs = this.t0 + c.budgetMs - performance.now();
    if (needMs > leftMs)
      return {
        status: 'budget',
        stopReason: `the budget (${formatDuration(c.budgetMs)}) has ${formatDuration(Math.max(0, Math.round(leftMs)))} left, step ${index} needs about ${formatDuration(Math.round(needMs))}`,
      };
    return undefined;
  }

  private interruptedDuring(index: number, stoppedBy: string | undefined): SearchEnd {
    const by = stoppedBy ?? this.stopReason ?? 'interrupted';
    return by === 'budget'
      ? { status: 'budget', stopReason: `the budget (${formatDuration(this.c.budgetMs)}) ran out during step ${index}` }
      : { status: 'interrupted', stopReason: `stopped (${by}) during step ${index}` };
  }

  /** Runs step `index` at the rate the search asks for and judges it (an interrupted step is not judged). */
  private async runStep(
    index: number,
    next: { stage: CapacityStep['stage']; ratePerSec: number },
    ctx: StepContext,
  ): Promise<{ step: CapacityStep; result: ResultV1; stoppedBy: string | undefined } | Required<SearchEnd>> {
    const { base, c } = this;
    const durationMs = next.stage === 'hold' ? c.holdMs : c.stepDurationMs;
    const dir = join(
      this.outDir,
      'steps',
      `${String(index).padStart(2, '0')}-${next.stage}-${String(next.ratePerSec).replace('.', '_')}`,
    );
    const o = stepOptions(
      base,
      this.tag,
      {
        name: `s${index}`,
        ratePerSec: next.ratePerSec,
        warmupMs: base.warmupMs,
        durationMs,
        out: dir,
        label: `step ${index} ${next.stage} ${next.ratePerSec}/s`,
      },
      c.verbose,
    );
    const startedAt = new Date().toISOString();
    this.current = startStep(o, ctx.shared);
    let run: Awaited<StepRun['done']>;
    try {
      run = await this.current.done;
    } catch (err) {
      // A usage problem before any step ran is the user's: say it as such.
      if (err instanceof UsageError && index === 1) throw err;
      return {
        status: 'error',
        stopReason: `step ${index} (${next.ratePerSec}/s) could not run: ${err instanceof Error ? err.message : String(err)}`,
        failure: err,
      };
    } finally {
      this.current = undefined;
    }
    const { result, side, wallMs, stoppedBy } = run;
    ctx.overheadMs = Math.max(1000, wallMs - base.warmupMs - durationMs);
    const measurements = measureStep(result, side, ctx.previousEngine, ctx.closes);
    if (result.engine) ctx.previousEngine = result.engine;
    const achievedPerSec = achievedRate(result);
    const interrupted = stoppedBy !== undefined || result.verdict === 'partial';
    const judged = interrupted
      ? { checks: [], reasons: [`stopped (${stoppedBy ?? 'interrupted'}) before the step finished: not judged`] }
      : judgeStep(result, measurements, next.ratePerSec, c.slos, c.limits, achievedPerSec);
    const step: CapacityStep = {
      index,
      stage: next.stage,
      ratePerSec: next.ratePerSec,
      verdict: interrupted ? 'interrupted' : judged.reasons.length === 0 ? 'pass' : 'fail',
      reasons: judged.reasons,
      checks: judged.checks,
      achievedPerSec,
      ...(ctx.closes ? { completedPerSec: completedRate(result) } : {}),
      latency: latencySeries(result, c.slos),
      measurements,
      runId: result.runId,
      dir: relative(this.outDir, dir),
      startedAt,
      warmupMs: base.warmupMs,
      durationMs,
      wallMs: Math.round(wallMs),
    };
    return { step, result, stoppedBy };
  }

  /** Assembles the search's result from its steps, writes it (and the report), and prints the summary. */
  private finish(search: Parameters<typeof assembleCapacity>[0], failure: unknown): CapacityOutcome {
    const { base, c } = this;
    const assembled = assembleCapacity(search, c, base.label, base.report);
    if (!assembled) {
      if (failure instanceof Error) throw failure;
      throw new UsageError(`no step completed, so there is no result: ${search.stopReason}`);
    }
    const { result, capacity } = assembled;
    writeFileSync(join(this.outDir, 'result.json'), `${JSON.stringify(result, null, 2)}\n`);
    if (base.report) writeFileSync(join(this.outDir, 'report.html'), renderReport([result]));
    // Like `run --quiet`, the summary is printed whatever the progress mode.
    if (base.output === 'json')
      this.write(
        JSON.stringify({
          type: 'capacity',
          outDir: this.outDir,
          verdict: result.verdict,
          ...capacity,
          steps: undefined,
          curve: undefined,
        }),
      );
    else this.write(formatCapacitySummary(result, capacity, this.outDir));
    return { result, capacity, outDir: this.outDir, ...(failure !== undefined ? { error: failure } : {}) };
  }
}
