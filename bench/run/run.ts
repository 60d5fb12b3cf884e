/**
 * `stampede run`: starts the embedded engine (unless --target), spawns starter and poller threads, runs the
 * schedule, drains, verifies every started workflow against the engine, and writes result.json, the .hlog
 * interval log and report.html. Returns the result; the CLI turns its verdict into an exit code.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, hostname, totalmem } from 'node:os';
import { join, resolve } from 'node:path';
import { randomUUID } from 'node:crypto';
import { isDeepStrictEqual } from 'node:util';
import { startEngine, type Engine, type EngineStats } from '../../engine/index.js';
import { SCENARIOS } from '../../scenarios/index.js';
import { WorkflowServiceClient } from '../client/workflow-service.js';
import { Coordinator } from '../coordinator/coordinator.js';
import { IntervalAggregator } from '../coordinator/aggregator.js';
import { workflowIdPrefix, type ThreadEffectiveOptions, type ThreadInit } from '../coordinator/protocol.js';
import { RunFailedError, UsageError } from '../errors.js';
import { planSchedule } from '../executors/index.js';
import type { RunOptions } from './run-options.js';
import { encodeHistogram, summarize, type Histogram } from '../../result/histogram.js';
import { nowMs } from '../recorder/wall-clock.js';
import { HlogWriter } from '../../result/hlog.js';
import {
  RESULT_SCHEMA,
  RESULT_VERSION,
  type IntervalResult,
  type LatencyStats,
  type OperationResult,
  type Phase,
  type ResultV1,
} from '../../result/schema.js';
import { compileOptions } from '../../scenarios/sdk/option-specs.js';
import type { Progress } from './progress.js';
import { countOpen, verifyRun } from '../verify/run-verification.js';
import { finishContext, verifyContext } from '../verify/engine-reader.js';
import { renderReport } from '../../reports/render.js';
import { redactSecrets } from '../../result/redact.js';
import { gitSha } from './git.js';
import { EngineAdminClient } from '../client/admin-client.js';
import { EngineSampler } from './engine-sampler.js';
import { TOOL_VERSION } from '../version.js';
import { embeddedEngineOptions } from './embedded-engine.js';

function latency(h: Histogram): LatencyStats {
  return { ...summarize(h), histogram: encodeHistogram(h) };
}

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

/** Where a thread's options differ from those the run records: `key: recorded X, thread ran Y`. */
export function effectiveMismatches(recorded: Record<string, unknown>, effective: ThreadEffectiveOptions[]): string[] {
  const out = new Set<string>();
  for (const e of effective)
    for (const [key, value] of Object.entries(e))
      if (!isDeepStrictEqual(recorded[key], value))
        out.add(`${key}: recorded ${JSON.stringify(recorded[key])}, a thread ran ${JSON.stringify(value)}`);
  return [...out];
}

export interface RunHandle {
  /** Stops the run early (SIGINT): starters stop, the run drains briefly and writes a partial result. */
  stop(reason: string): void;
  result: Promise<{ result: ResultV1; outDir: string }>;
}

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
  const scenario = SCENARIOS.get(o.scenario);
  if (!scenario)
    throw new UsageError(`unknown scenario ${o.scenario} (available: ${[...SCENARIOS.keys()].join(', ')})`);
  const scenarioOpts = compileOptions(scenario.options, o.scenarioOptions, `scenario ${o.scenario}`);
  const problems = [...scenarioOpts.problems, ...(scenario.check?.(scenarioOpts.values) ?? [])];
  // A scenario may cap the iterations (e.g. the number of customers who sign up).
  const cap = scenarioOpts.problems.length === 0 ? scenario.iterations?.(scenarioOpts.values) : undefined;
  const iterations = cap === undefined ? o.iterations : Math.min(cap, o.iterations ?? Infinity);
  const executorConfig = {
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
  if (problems.length > 0) throw UsageError.of(problems);
  if (Array.isArray(schedule)) throw new Error('unreachable');

  const runTag = o.runTag ?? `sp-${randomUUID().slice(0, 8)}`;
  // What result.json records as the run's options; the threads' own account of what they run is checked against it.
  const recordedOptions = redactSecrets({
    ...o,
    durationMs: Number.isFinite(o.durationMs) ? o.durationMs : null,
    runTag,
  });
  const outDir = resolve(o.out ?? join('results', `${new Date().toISOString().replace(/[:.]/g, '-')}-${o.scenario}`));

  let engine: Engine | undefined = hooks.engine;
  let target = o.target ?? hooks.engine?.address;
  if (!target) {
    const suggested = o.timeScaleGiven ? undefined : scenario.timeScale?.(scenarioOpts.values);
    const engineOptions = embeddedEngineOptions(o, suggested);
    progress.info(
      `starting embedded engine (store ${engineOptions.store ?? 'memory'}, ${engineOptions.numShards ?? 4} shards${(engineOptions.timeScale ?? 1) !== 1 ? `, time x${formatScale(engineOptions.timeScale ?? 1)}${suggested !== undefined ? ` (the ${scenario.name} default; --time-scale overrides)` : ''}` : ''})`,
    );
    engine = await startEngine({ ...engineOptions, host: '127.0.0.1', port: 0 });
    target = engine.address;
  }
  const client = new WorkflowServiceClient(target);
  // The aggregator needs the thread list, known once the threads are described below.
  let aggregator: IntervalAggregator | undefined;
  const coordinator = new Coordinator({
    interval: (id, m) => aggregator?.add(id, m.index, m.data, m.health),
    done: (id, lastIndex) => aggregator?.threadDone(id, lastIndex),
    log: (message) => progress.info(message),
  });
  let hlog: HlogWriter | undefined;
  try {
    let serverVersion = 'unknown';
    try {
      await client.waitForReady(10_000);
      serverVersion = (await client.call('GetSystemInfo', {}, { timeoutMs: 10_000 })).serverVersion || 'unknown';
    } catch (err) {
      throw new UsageError(`cannot reach ${target}: ${err instanceof Error ? err.message : String(err)}`);
    }
    let retentionVirtualMs: number | undefined;
    try {
      const ns = await client.call('DescribeNamespace', { namespace: o.namespace }, { timeoutMs: 10_000 });
      const ttl = ns.config?.workflowExecutionRetentionTtl;
      if (ttl) retentionVirtualMs = Number(ttl.seconds) * 1000 + Math.floor((ttl.nanos ?? 0) / 1e6);
    } catch (err) {
      throw new UsageError(
        `namespace ${o.namespace} is not usable on ${target}: ${err instanceof Error ? err.message : String(err)}`,
      );
    }

    // Made only once the target answers, so a run that cannot start leaves no empty folder behind.
    mkdirSync(outDir, { recursive: true });

    // Engine counters for every interval: in-process when embedded, over the admin surface otherwise.
    const sampler = new EngineSampler(engine, engine ? undefined : new EngineAdminClient(target), o.intervalMs);
    await sampler.baseline();
    const timeScale = await sampler.timeScale();
    const scheduleEndMs = schedule.endMs;
    const phaseOf = (index: number): Phase => {
      const end = (index + 1) * o.intervalMs;
      if (end <= o.warmupMs) return 'warmup';
      return index * o.intervalMs < (startersDoneAtMs ?? scheduleEndMs) ? 'main' : 'drain';
    };
    let startersDoneAtMs: number | undefined = undefined;
    const intervals: IntervalResult[] = [];
    let lastCpu = process.cpuUsage();
    let lastCpuAt = nowMs();
    let peakRss = 0;
    const sampleProcess = (): { cpuCores: number; rssBytes: number } => {
      const cpu = process.cpuUsage();
      const at = nowMs();
      const cores = (cpu.user - lastCpu.user + cpu.system - lastCpu.system) / 1000 / Math.max(1, at - lastCpuAt);
      lastCpu = cpu;
      lastCpuAt = at;
      const rss = process.memoryUsage.rss();
      peakRss = Math.max(peakRss, rss);
      return { cpuCores: cores, rssBytes: rss };
    };

    const base: ThreadInit = {
      role: 'starter',
      threadIndex: 0,
      threadCount: o.starters,
      segmentIndex: o.segment.index,
      segmentCount: o.segment.count,
      target,
      namespace: o.namespace,
      taskQueue: o.taskQueue,
      scenario: o.scenario,
      scenarioOptions: o.scenarioOptions,
      executor: { name: o.executor, config: { ...executorConfig } },
      maxInFlight: Math.max(1, Math.ceil(o.maxInFlight / Math.max(1, o.starters))),
      connections: Math.max(1, Math.ceil(o.connections / Math.max(1, o.starters))),
      intervalMs: o.intervalMs,
      runTag,
      seed: o.seed,
      workflowPollers: o.workflowPollers,
      activityPollers: o.activityPollers,
      eager: o.eager,
      timeScale,
      drainTimeoutMs: o.drainTimeoutMs,
      identity: `stampede@${hostname()}`,
    };
    const inits: ThreadInit[] = [
      ...Array.from({ length: o.starters }, (_, i) => ({
        ...base,
        role: 'starter' as const,
        threadIndex: i,
        threadCount: o.starters,
      })),
      ...Array.from({ length: o.pollers }, (_, i) => ({
        ...base,
        role: 'poller' as const,
        threadIndex: i,
        threadCount: o.pollers,
      })),
    ];
    const agg = new IntervalAggregator(
      inits.map((_, i) => i),
      o.intervalMs,
      phaseOf,
      sampleProcess,
      (f) => {
        const engineSample = sampler.latest();
        if (engineSample) f.result.engine = engineSample;
        intervals.push(f.result);
        hlog?.interval(f.result.startMs, f.result.endMs, f.histograms);
        progress.interval(f.result, o.intervalMs);
        hooks.onInterval?.(f.result);
      },
    );
    aggregator = agg;
    progress.info(
      `${o.scenario}: ${describeLoad(o)}, warm-up ${fmt(o.warmupMs)} + ${Number.isFinite(o.durationMs) ? fmt(o.durationMs) : 'until done'}; ${o.starters} starter + ${o.pollers} poller thread(s) -> ${target}`,
    );
    coordinator.spawn(inits);
    await coordinator.ready(30_000);
    const effective = coordinator.threads.flatMap((t) => (t.effective ? [t.effective] : []));
    hooks.onThreadsReady?.(effective);
    const mismatches = effectiveMismatches(recordedOptions, effective);
    if (mismatches.length > 0)
      throw new RunFailedError(`the threads would not run the options this run records: ${mismatches.join('; ')}`);
    const t0 = Math.ceil(nowMs()) + 200;
    hlog = new HlogWriter(
      join(outDir, 'intervals.hlog'),
      t0,
      `stampede ${TOOL_VERSION} run ${runTag} scenario ${o.scenario}; values in microseconds`,
    );
    coordinator.broadcast({ type: 'start', t0Ms: t0 });

    let interrupted: string | undefined;
    onStopHook((reason) => {
      if (interrupted) return;
      interrupted = reason;
      progress.info(`stopping (${reason}): finishing in-flight work and writing a partial result`);
      coordinator.broadcast({ type: 'stop', reason }, 'starter');
    });

    if (o.starters === 0) {
      // Workers only: serve the task queue for the run's length (e.g. to finish another run's workflows).
      const until = nowMs() + o.warmupMs + o.durationMs;
      while (!interrupted && nowMs() < until) await coordinator.guard(new Promise((r) => setTimeout(r, 100)));
    }
    await coordinator.finished('starter');
    startersDoneAtMs = Math.max(
      o.warmupMs,
      Math.min(nowMs() - t0, Number.isFinite(scheduleEndMs) ? scheduleEndMs : Infinity),
    );
    const counter = (name: string): number => agg.totals.counters.get(name) ?? 0;

    // Drain: wait for the started workflows to close (counters lag by one interval at most).
    const finishNotes: string[] = [];
    if (scenario.finish && !interrupted) {
      progress.info(`${scenario.name}: finishing ${coordinator.expected.size} workflow(s)`);
      await coordinator.guard(
        scenario
          .finish(finishContext(client, o.namespace, coordinator.expected, finishNotes), scenarioOpts.values)
          .catch((err: unknown) => {
            finishNotes.push(`finishing failed: ${err instanceof Error ? err.message : String(err)}`);
          }),
      );
    }
    const closes = scenario.closesDuringRun(scenarioOpts.values, { timeScale, drainTimeoutMs: o.drainTimeoutMs });
    if (closes && o.pollers > 0) {
      const drainUntil = nowMs() + (interrupted ? Math.min(5000, o.drainTimeoutMs) : o.drainTimeoutMs);
      const startedTotal = coordinator.total('starter', 'workflows_started');
      progress.info(`draining: waiting for ${startedTotal} workflow(s) to close`);
      while (
        nowMs() < drainUntil &&
        (await coordinator.guard(coordinator.liveTotal('poller', 'workflows_closed'))) < startedTotal
      ) {
        await coordinator.guard(new Promise((r) => setTimeout(r, 100)));
      }
      // Starts whose reply was lost (a fault, a restart) created workflows the starters could not count: serve
      // the task queue until the engine reports none of the run's workflows open (when it can say).
      const prefix = workflowIdPrefix(runTag, o.segment.index, o.segment.count);
      while (nowMs() < drainUntil && !interrupted) {
        const open = await countOpen(client, o.namespace, prefix);
        if (open === undefined || open === 0) break;
        await coordinator.guard(new Promise((r) => setTimeout(r, 250)));
      }
    }
    coordinator.broadcast({ type: 'stop', reason: 'run finished' }, 'poller');
    await coordinator.finished('poller');
    agg.flushAll();
    const endMs = nowMs() - t0;
    progress.done();

    const started = coordinator.total('starter', 'workflows_started');
    const prefix = workflowIdPrefix(runTag, o.segment.index, o.segment.count);
    const verification = await verifyRun({
      client,
      namespace: o.namespace,
      prefix,
      started,
      closesDuringRun: closes && !interrupted,
      settleMs: hooks.verifySettleMs ?? 10_000,
      sampleSize: o.verifySample,
      ...(retentionVirtualMs
        ? {
            retention: {
              realMs: retentionVirtualMs / timeScale,
              runMs: nowMs() - t0 + 10_000,
              closedByWorkers: coordinator.total('poller', 'workflows_closed'),
            },
          }
        : {}),
      ...(scenario.verify && o.verifySample > 0
        ? {
            scenarioCheck: () =>
              scenario.verify!(
                verifyContext(client, o.namespace, prefix, coordinator.expected, o.verifySample),
                scenarioOpts.values,
              ),
          }
        : {}),
    });

    const contention = await sampler.contention();
    sampler.stop();
    const engineStats: EngineStats | undefined = await sampler.finalStats();

    const measuredMs = Math.max(1, (startersDoneAtMs ?? endMs) - o.warmupMs);
    const operations: Record<string, OperationResult> = {};
    for (const [name, t] of agg.totals.ops) {
      operations[name] = {
        count: t.service.totalCount,
        errors: t.errors,
        throughputPerSec: t.service.totalCount / (measuredMs / 1000),
        service: latency(t.service),
        ...(t.open ? { response: latency(t.response), wait: latency(t.wait) } : {}),
      };
    }
    const metrics: Record<string, LatencyStats> = {};
    for (const [name, h] of agg.totals.metrics) metrics[name] = latency(h);
    const health = generatorHealth(intervals, counter('dropped'), peakRss);

    const notes: string[] = [...finishNotes.slice(0, 10)];
    if (finishNotes.length > 10) notes.push(`... and ${finishNotes.length - 10} more finishing problems`);
    if (interrupted) notes.push(`interrupted: ${interrupted}`);
    const verdict: ResultV1['verdict'] = interrupted ? 'partial' : verification.status === 'failed' ? 'fail' : 'pass';
    const store = engine ? (o.engine.store ?? 'memory') : 'external';
    const result: ResultV1 = {
      schema: RESULT_SCHEMA,
      version: RESULT_VERSION,
      runId: runTag,
      label: o.label ?? `${o.scenario} ${store}`,
      createdAt: new Date().toISOString(),
      tool: { name: 'stampede', version: TOOL_VERSION, ...(gitSha() ? { gitSha: gitSha() ?? '' } : {}) },
      environment: {
        node: process.version,
        platform: process.platform,
        arch: process.arch,
        cpuModel: cpus()[0]?.model ?? 'unknown',
        cpus: cpus().length,
        totalMemoryBytes: totalmem(),
        hostname: hostname(),
      },
      options: recordedOptions,
      scenario: { name: o.scenario, stresses: scenario.stresses, options: scenarioOpts.values },
      target: { kind: engine ? 'embedded' : 'external', address: target, store, serverVersion, timeScale },
      segment: o.segment,
      timing: { t0Ms: t0, warmupMs: o.warmupMs, measuredMs, intervalMs: o.intervalMs, endMs },
      operations,
      metrics,
      counters: Object.fromEntries(agg.totals.counters),
      errors: Object.fromEntries(agg.totals.errors),
      intervals,
      health,
      ...(engineStats ? { engine: engineStats } : {}),
      ...(contention ? { contention } : {}),
      verification,
      verdict,
      notes,
      files: {
        hlog: 'intervals.hlog',
        ...(o.report ? { report: 'report.html' } : {}),
        ...(coordinator.expected.size > 0 ? { expected: 'expected.json' } : {}),
      },
    };
    await hlog.close();
    hlog = undefined;
    if (coordinator.expected.size > 0)
      writeFileSync(join(outDir, 'expected.json'), JSON.stringify(Object.fromEntries(coordinator.expected)));
    writeFileSync(join(outDir, 'result.json'), `${JSON.stringify(result, null, 2)}\n`);
    if (o.report) writeFileSync(join(outDir, 'report.html'), renderReport([result]));
    return { result, outDir };
  } catch (err) {
    if (coordinator.failedWith && !(err instanceof RunFailedError)) throw coordinator.failedWith;
    throw err;
  } finally {
    await hlog?.close().catch(() => undefined);
    await coordinator.terminateAll().catch(() => undefined);
    client.close();
    if (!hooks.engine) await engine?.stop();
  }
}

function fmt(ms: number): string {
  return ms >= 1000 ? `${ms / 1000}s` : `${ms}ms`;
}

function describeLoad(o: RunOptions): string {
  switch (o.executor) {
    case 'constant-arrival-rate':
      return `${o.ratePerSec}/s constant arrival rate${o.iterations ? `, ${o.iterations} iterations` : ''}`;
    case 'ramping-arrival-rate':
      return `ramping arrival rate ${o.stages.map((s) => `${fmt(s.durationMs)}:${s.targetPerSec}/s`).join(', ')}`;
    case 'constant-concurrency':
      return `${o.vus} virtual users (closed model)`;
  }
}

/** Saturation: a generator thread busy > 90 % of an interval, or iterations starting > 10 ms late, says so. */
function generatorHealth(intervals: IntervalResult[], dropped: number, peakRss: number): ResultV1['health'] {
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
  const cpu = measured.map((i) => i.health.processCpuCores);
  return {
    saturated: busy > 0 || late > measured.length * 0.1,
    warnings,
    maxElu,
    eventLoopDelayP99Us: eld,
    scheduleLagMaxUs: lag,
    dropped,
    peakRssBytes: peakRss,
    cpuCoresMean: cpu.length ? cpu.reduce((a, b) => a + b, 0) / cpu.length : 0,
  };
}

function formatScale(x: number): string {
  return x >= 1000 ? Math.round(x).toLocaleString('en-US') : String(Number(x.toPrecision(4)));
}
