/**
 * `stampede run`: starts the embedded engine (unless --target), spawns starter and poller threads, runs the
 * schedule, drains, verifies every started workflow against the engine, and writes result.json, the .hlog
 * interval log and report.html. Orchestration only: plan.ts decides what runs, thread-inits.ts describes the
 * threads, assemble-result.ts builds the result. Returns the result; the CLI turns its verdict into an exit code.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ClusterView, Engine } from '../../engine/index.js';
import { renderReport } from '../../reports/html/render.js';
import { COUNTER, OP } from '../../result/catalogue.js';
import { HlogWriter } from '../../result/hlog.js';
import { ensureWritableDir } from '../../result/out-dir.js';
import type { ClusterRecord, IntervalResult, Phase, ResultV1, Verification } from '../../result/schema.js';
import { EngineAdminClient } from '../client/admin-client.js';
import { RoutedClient } from '../client/routed-client.js';
import { IntervalAggregator } from '../coordinator/aggregator.js';
import { Coordinator } from '../coordinator/coordinator.js';
import { workflowIdPrefix, type ThreadEffectiveOptions } from '../coordinator/protocol.js';
import { RunFailedError, UsageError } from '../errors.js';
import { clockOffset, narrowest, type ClockOffset } from '../recorder/clock-offset.js';
import { nowMs } from '../recorder/wall-clock.js';
import { finishContext, verifyContext } from '../verify/engine-reader.js';
import { checkScenario } from '../verify/read-back.js';
import { countOpen, verifyRun } from '../verify/run-verification.js';
import { TOOL_VERSION } from '../version.js';
import { assembleResult } from './assemble-result.js';
import { applyScenarioThresholds } from './scenario-thresholds.js';
import { startEmbeddedEngine } from './embedded-engine.js';
import { batchSizeWarnings } from './batch-size-check.js';
import { EngineSampler } from './engine-sampler.js';
import { planRun, type RunPlan } from './plan.js';
import { ProcessSampler } from './process-sampler.js';
import { describeRun, type Progress } from './progress.js';
import type { RunOptions } from './run-options.js';
import { effectiveMismatches, threadInits } from './thread-inits.js';

/** For programmatic callers (`stampede capacity`): observe a run as it goes, and tune its verification. */
export interface RunHooks {
  /** Each interval as soon as it is final (after its engine sample is attached), on the main thread. */
  onInterval?(interval: IntervalResult): void;
  /** How long verification waits for visibility to catch up with the workflows started (default 10 s). */
  verifySettleMs?: number;
  /** An embedded engine the caller started (and stops): the run uses it instead of starting its own. */
  engine?: Engine;
  /** The run options as each thread applies them, once every thread is ready. */
  onThreadsReady?(effective: ThreadEffectiveOptions[]): void;
}

export interface RunHandle {
  /** Stops the run early (SIGINT): starters stop, the run drains briefly and writes a partial result. */
  stop(reason: string): void;
  result: Promise<{ result: ResultV1; outDir: string }>;
}

/** How long an interrupted run still waits for its workflows to close. */
const INTERRUPTED_DRAIN_MS = 5000;
/** t0 is this far after the threads are told: every thread has the start message before its first interval. */
const START_LEAD_MS = 200;
/** How long the engine must report none of the run's workflows open before the drain ends. */
const OPEN_ZERO_STABLE_MS = 1000;
/** Margin of the run's length over its own clock when retention is compared with it. */
const RETENTION_MARGIN_MS = 10_000;

export function startRun(o: RunOptions, log: Progress, hooks: RunHooks = {}): RunHandle {
  let stopRequested: string | undefined;
  let stopHook: ((reason: string) => void) | undefined;
  const handle: RunHandle = {
    stop(reason) {
      stopRequested ??= reason;
      stopHook?.(reason);
    },
    result: run(
      o,
      log,
      (hook) => {
        stopHook = hook;
        if (stopRequested) hook(stopRequested);
      },
      hooks,
    ),
  };
  return handle;
}

async function run(
  o: RunOptions,
  progress: Progress,
  onStopHook: (hook: (reason: string) => void) => void,
  hooks: RunHooks,
): Promise<{ result: ResultV1; outDir: string }> {
  const plan = planRun(o);
  // Refused before the engine starts: results that cannot be written would be found out only at the end.
  ensureWritableDir(plan.outDir, '--out', false);
  let engine: Engine | undefined = hooks.engine;
  let targets = o.targets.length > 0 ? o.targets : hooks.engine ? [hooks.engine.address] : [];
  if (targets.length === 0) {
    engine = await startEmbeddedEngine(o, plan, progress);
    targets = [engine.address];
  }
  const client = new RoutedClient(targets, { routing: o.routing, namespace: o.namespace });
  const r = new Run(o, plan, progress, hooks, client, targets, engine);
  try {
    return await r.execute(onStopHook);
  } catch (err) {
    // A thread that died explains whatever failed after it.
    if (r.coordinator.failedWith && !(err instanceof RunFailedError)) throw r.coordinator.failedWith;
    throw err;
  } finally {
    await r.close();
    client.close();
    if (!hooks.engine) await engine?.stop();
  }
}

/** One run's moving parts, from the threads' start to the written result. */
class Run {
  readonly coordinator: Coordinator;
  private aggregator: IntervalAggregator | undefined;
  private hlog: HlogWriter | undefined;
  private readonly intervals: IntervalResult[] = [];
  private readonly processSampler = new ProcessSampler();
  /** Made once the target answers (a target that does not answer gets no admin client). */
  private sampler!: EngineSampler;
  private readonly finishNotes: string[] = [];
  private t0 = 0;
  private startersDoneAtMs: number | undefined;
  private interrupted: string | undefined;

  constructor(
    private readonly o: RunOptions,
    private readonly plan: RunPlan,
    private readonly progress: Progress,
    private readonly hooks: RunHooks,
    private readonly client: RoutedClient,
    private readonly targets: string[],
    private readonly engine: Engine | undefined,
  ) {
    // The aggregator needs the thread list, known once the threads are described (startThreads).
    this.coordinator = new Coordinator({
      interval: (id, m) => this.aggregator?.add(id, m.index, m.data, m.health),
      done: (id, lastIndex) => this.aggregator?.threadDone(id, lastIndex),
      log: (message) => progress.info(message),
    });
  }

  async execute(onStopHook: (hook: (reason: string) => void) => void): Promise<{ result: ResultV1; outDir: string }> {
    const { o, plan, coordinator } = this;
    const { serverVersion, retentionVirtualMs } = await this.connect();
    const cluster = await this.describeCluster();
    // Made only once the target answers, so a run that cannot start leaves no empty folder behind.
    ensureWritableDir(plan.outDir, '--out', true);
    // Engine counters for every interval: in-process when embedded, over the admin surface otherwise.
    // A cluster's members are each sampled (the ring's addresses), else the first target.
    const sampled = cluster?.clustered ? cluster.members.map((m) => m.address) : this.targets.slice(0, 1);
    const admins = this.engine ? [] : sampled.map((address) => new EngineAdminClient(address));
    this.sampler = new EngineSampler(this.engine, admins, o.intervalMs);
    await this.sampler.baseline();
    const { timeScale, batchThresholds } = await this.sampler.targetInfo();
    // Payloads that would push logged batches past the store's thresholds, said before the load starts.
    for (const line of batchSizeWarnings(o, batchThresholds)) this.progress.warning(line);
    await this.startThreads(timeScale);
    onStopHook((reason) => this.stop(reason));
    await this.runSchedule();
    await this.finishScenario();
    const closes = plan.scenario.closesDuringRun(plan.scenarioValues, { timeScale, drainTimeoutMs: o.drainTimeoutMs });
    if (closes && o.pollers > 0) await this.drain();
    coordinator.broadcast({ type: 'stop', reason: 'run finished' }, 'poller');
    await coordinator.finished('poller');
    this.aggregator?.flushAll();
    const endMs = nowMs() - this.t0;
    this.progress.done();
    const verification = await this.verify(closes, retentionVirtualMs, timeScale);
    const contention = await this.sampler.contention();
    this.sampler.stop();
    const assembled = assembleResult({
      options: o,
      plan,
      target: {
        kind: this.engine ? 'embedded' : 'external',
        address: this.targets.join(','),
        ...(this.targets.length > 1 ? { targets: this.targets } : {}),
        routing: o.routing,
        ...(cluster ? { cluster } : {}),
        store: this.engine ? (o.engine.store ?? 'memory') : 'external',
        serverVersion,
        timeScale,
      },
      t0Ms: this.t0,
      clockOffset: this.clockOffset(),
      startersDoneAtMs: this.startersDoneAtMs ?? endMs,
      endMs,
      totals: this.aggregator?.totals ?? { ops: new Map(), metrics: new Map(), counters: new Map(), errors: new Map() },
      intervals: this.intervals,
      peakRssBytes: this.processSampler.peakRssBytes,
      engineStats: await this.sampler.finalStats(),
      contention,
      verification,
      interrupted: this.interrupted,
      finishNotes: this.finishNotes,
      hasExpected: coordinator.expected.size > 0,
    });
    const result = applyScenarioThresholds(assembled, plan.thresholds);
    await this.write(result);
    return { result, outDir: plan.outDir };
  }

  /** The target answers, says what it is, and serves the namespace (its retention decides what can be read back). */
  private async connect(): Promise<{ serverVersion: string; retentionVirtualMs: number | undefined }> {
    const { client, o } = this;
    const target = this.targets.join(', ');
    let serverVersion = 'unknown';
    try {
      await client.waitForReady(10_000);
      serverVersion = (await client.call('GetSystemInfo', {}, { timeoutMs: 10_000 })).serverVersion || 'unknown';
    } catch (err) {
      throw new UsageError(`cannot reach ${target}: ${err instanceof Error ? err.message : String(err)}`);
    }
    try {
      const ns = await client.call('DescribeNamespace', { namespace: o.namespace }, { timeoutMs: 10_000 });
      const ttl = ns.config?.workflowExecutionRetentionTtl;
      const retentionVirtualMs = ttl ? Number(ttl.seconds) * 1000 + Math.floor((ttl.nanos ?? 0) / 1e6) : undefined;
      return { serverVersion, retentionVirtualMs };
    } catch (err) {
      throw new UsageError(
        `namespace ${o.namespace} is not usable on ${target}: ${err instanceof Error ? err.message : String(err)}`,
      );
    }
  }

  /**
   * The engine cluster the targets belong to, as its first member advertises it (routing `owner` follows it and
   * fails the run if there is none). Members the ring names but the targets do not are said: they get no load of
   * their own with `spread` routing. A target without the admin surface (a real Temporal) has no view.
   */
  private async describeCluster(): Promise<ClusterRecord | undefined> {
    const { client, progress } = this;
    try {
      await client.start();
    } catch (err) {
      throw new UsageError(`--routing owner: ${err instanceof Error ? err.message : String(err)}`);
    }
    const view = client.ring ?? (await this.readRing());
    if (!view) return undefined;
    const unlisted = view.members.filter((m) => !this.targets.includes(m.address)).map((m) => m.address);
    if (view.clustered && unlisted.length > 0 && this.o.routing === 'spread')
      progress.warning(
        `the engine cluster has member(s) not in --target: ${unlisted.join(', ')} (they serve only what is forwarded to them; --routing owner sends them their share)`,
      );
    return {
      clustered: view.clustered,
      numShards: view.numShards,
      members: view.members.map((m) => ({ hostId: m.hostId, address: m.address })),
    };
  }

  private async readRing(): Promise<ClusterView | undefined> {
    const admin = new EngineAdminClient(this.targets[0] ?? '');
    try {
      return await admin.describeCluster();
    } catch {
      return undefined;
    } finally {
      admin.close();
    }
  }

  /** Spawns the threads, checks they will run what the result records, and starts them on one t0. */
  private async startThreads(timeScale: number): Promise<void> {
    const { o, plan, coordinator } = this;
    const inits = threadInits(o, plan, this.targets, timeScale);
    this.aggregator = new IntervalAggregator(
      inits.map((_, i) => i),
      o.intervalMs,
      (index) => this.phaseOf(index),
      () => this.processSampler.sample(),
      (f) => {
        const engineSample = this.sampler.latest();
        if (engineSample) f.result.engine = engineSample;
        this.intervals.push(f.result);
        this.hlog?.interval(f.result.startMs, f.result.endMs, f.histograms);
        this.progress.interval(f.result, o.intervalMs);
        this.hooks.onInterval?.(f.result);
      },
    );
    this.progress.info(describeRun(o, this.targets));
    coordinator.spawn(inits);
    await coordinator.ready(30_000);
    const effective = coordinator.threads.flatMap((t) => (t.effective ? [t.effective] : []));
    this.hooks.onThreadsReady?.(effective);
    const mismatches = effectiveMismatches(plan.recordedOptions, effective);
    if (mismatches.length > 0)
      throw new RunFailedError(`the threads would not run the options this run records: ${mismatches.join('; ')}`);
    this.t0 = o.startAtMs ?? Math.ceil(nowMs()) + START_LEAD_MS;
    if (o.startAtMs !== undefined) await this.waitForStartAt(o.startAtMs);
    this.hlog = new HlogWriter(
      join(plan.outDir, 'intervals.hlog'),
      this.t0,
      `stampede ${TOOL_VERSION} run ${plan.runTag} scenario ${o.scenario}; values in microseconds`,
    );
    coordinator.broadcast({ type: 'start', t0Ms: this.t0 });
  }

  /**
   * `--start-at`: the segments of a distributed run start their schedules at one wall-clock instant, so that their
   * intervals line up when merged. An instant already passed (or too close to tell the threads) fails the run
   * before anything starts: a late segment would be misaligned.
   */
  private async waitForStartAt(startAtMs: number): Promise<void> {
    const lead = startAtMs - nowMs();
    const at = new Date(startAtMs).toISOString();
    if (lead < START_LEAD_MS)
      throw new RunFailedError(
        `--start-at ${at} is ${lead < 0 ? `${(-lead / 1000).toFixed(1)} s past` : 'too close'} now that the threads are ready: give every segment time to start (a later instant)`,
      );
    this.progress.info(`waiting ${(lead / 1000).toFixed(1)} s for --start-at ${at}`);
    while (!this.interrupted && nowMs() < startAtMs - START_LEAD_MS)
      await this.coordinator.guard(sleep(Math.min(250, startAtMs - START_LEAD_MS - nowMs())));
  }

  /** The engine's clock against this process's, from the threads' narrowest bounds. */
  private clockOffset(): ClockOffset | undefined {
    const b = narrowest(this.coordinator.threads.map((t) => t.clockOffset));
    return b && clockOffset(b);
  }

  private phaseOf(index: number): Phase {
    const { intervalMs, warmupMs } = this.o;
    if ((index + 1) * intervalMs <= warmupMs) return 'warmup';
    return index * intervalMs < (this.startersDoneAtMs ?? this.plan.schedule.endMs) ? 'main' : 'drain';
  }

  private stop(reason: string): void {
    if (this.interrupted) return;
    this.interrupted = reason;
    this.progress.info(`stopping (${reason}): finishing in-flight work and writing a partial result`);
    this.coordinator.broadcast({ type: 'stop', reason }, 'starter');
  }

  /** Until the starters are done (or, workers only, for the run's length). */
  private async runSchedule(): Promise<void> {
    const { o, coordinator } = this;
    if (o.starters === 0) {
      // Workers only: serve the task queue for the run's length (e.g. to finish another run's workflows).
      const until = nowMs() + o.warmupMs + o.durationMs;
      while (!this.interrupted && nowMs() < until) await coordinator.guard(sleep(100));
    }
    await coordinator.finished('starter');
    const scheduleEndMs = this.plan.schedule.endMs;
    this.startersDoneAtMs = Math.max(
      o.warmupMs,
      Math.min(nowMs() - this.t0, Number.isFinite(scheduleEndMs) ? scheduleEndMs : Infinity),
    );
  }

  /** The scenario's end-of-run step (e.g. telling long-lived workflows to close); its failures become notes. */
  private async finishScenario(): Promise<void> {
    const { scenario, scenarioValues } = this.plan;
    if (!scenario.finish || this.interrupted) return;
    const { coordinator } = this;
    this.progress.info(`${scenario.name}: finishing ${coordinator.expected.size} workflow(s)`);
    const ctx = finishContext(this.client, this.o.namespace, coordinator.expected, this.finishNotes);
    await coordinator.guard(
      scenario.finish(ctx, scenarioValues).catch((err: unknown) => {
        this.finishNotes.push(`finishing failed: ${err instanceof Error ? err.message : String(err)}`);
      }),
    );
  }

  /** Waits for the started workflows to close (counters lag by one interval at most). */
  private async drain(): Promise<void> {
    const { o, coordinator } = this;
    const drainUntil =
      nowMs() + (this.interrupted ? Math.min(INTERRUPTED_DRAIN_MS, o.drainTimeoutMs) : o.drainTimeoutMs);
    const startedTotal = coordinator.total('starter', COUNTER.workflowsStarted);
    this.progress.info(`draining: waiting for ${startedTotal} workflow(s) to close`);
    while (
      nowMs() < drainUntil &&
      (await coordinator.guard(coordinator.liveTotal('poller', COUNTER.workflowsClosed))) < startedTotal
    ) {
      await coordinator.guard(sleep(100));
    }
    // Starts whose reply was lost (a fault, a restart) created workflows the starters could not count, and children
    // and cron firings are runs no starter started (a policy may close them, not a worker): serve the task queue
    // until the engine reports none of the run's workflows open (when it can say).
    // Visibility is written by the engine's visibility tasks after each transaction, so a continue-as-new (the old
    // run's close recorded before the new run's start) can read as "none open" for a moment: only a count of zero
    // that holds for a while ends the drain (one read of zero once stopped the pollers under a run that had just
    // continued as new, and it could never finish).
    let zeroSince: number | undefined;
    while (nowMs() < drainUntil && !this.interrupted) {
      const open = await countOpen(this.client, o.namespace, this.prefix);
      if (open === undefined) break;
      if (open > 0) zeroSince = undefined;
      else if (zeroSince === undefined) zeroSince = nowMs();
      else if (nowMs() - zeroSince >= OPEN_ZERO_STABLE_MS) break;
      await coordinator.guard(sleep(250));
    }
  }

  private get prefix(): string {
    return workflowIdPrefix(this.plan.runTag, this.o.segment.index, this.o.segment.count);
  }

  private verify(closes: boolean, retentionVirtualMs: number | undefined, timeScale: number): Promise<Verification> {
    const { o, plan, coordinator, client } = this;
    const { scenario, scenarioValues } = plan;
    return verifyRun({
      client,
      namespace: o.namespace,
      prefix: this.prefix,
      started: coordinator.total('starter', COUNTER.workflowsStarted),
      extraRuns: coordinator.total('starter', COUNTER.extraRunsExpected),
      startsUnknownOutcome: coordinator.total('starter', COUNTER.startsUnknownOutcome),
      // Errors are keyed `<operation>|<type>`.
      startsFailed: [...(this.aggregator?.totals.errors ?? [])]
        .filter(([key]) => [OP.startWorkflow, OP.signalWithStart].some((op) => key.startsWith(`${op}|`)))
        .reduce((n, [, count]) => n + count, 0),
      closesDuringRun: closes && !this.interrupted,
      settleMs: this.hooks.verifySettleMs ?? 10_000,
      sampleSize: o.verifySample,
      ...(retentionVirtualMs
        ? {
            retention: {
              realMs: retentionVirtualMs / timeScale,
              runMs: nowMs() - this.t0 + RETENTION_MARGIN_MS,
              closedByWorkers: coordinator.total('poller', COUNTER.workflowsClosed),
            },
          }
        : {}),
      ...(scenario.verify && o.verifySample > 0
        ? {
            scenarioCheck: (problems) =>
              checkScenario(
                scenario,
                scenarioValues,
                verifyContext(client, o.namespace, this.prefix, coordinator.expected, o.verifySample),
                problems,
              ),
          }
        : {}),
    });
  }

  private async write(result: ResultV1): Promise<void> {
    const { outDir } = this.plan;
    await this.hlog?.close();
    this.hlog = undefined;
    const { expected } = this.coordinator;
    if (expected.size > 0) writeFileSync(join(outDir, 'expected.json'), JSON.stringify(Object.fromEntries(expected)));
    writeFileSync(join(outDir, 'result.json'), `${JSON.stringify(result, null, 2)}\n`);
    if (this.o.report) writeFileSync(join(outDir, 'report.html'), renderReport([result]));
  }

  async close(): Promise<void> {
    await this.hlog?.close().catch(() => undefined);
    await this.coordinator.terminateAll().catch(() => undefined);
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
