/**
 * What every worker thread shares: the WorkflowService client, the interval recorder and its clock-aligned
 * flushes (interval i covers [t0 + i*I, t0 + (i+1)*I)), health sampling, and the message plumbing. A thread
 * that throws reports `fatal` and exits non-zero, so the coordinator fails the run loudly.
 */
import { seededRandom } from '../../scenarios/sdk/random.js';
import { monitorEventLoopDelay, performance, type EventLoopUtilization } from 'node:perf_hooks';
import { parentPort, workerData } from 'node:worker_threads';
import { isServiceError, grpc } from '../client/workflow-service.js';
import { RoutedClient } from '../client/routed-client.js';
import { serializeError } from '../errors.js';
import { ClockOffsetProbe } from '../recorder/clock-offset.js';
import { IntervalRecorder } from '../recorder/interval-recorder.js';
import { nowMs } from '../recorder/wall-clock.js';
import type {
  CoordinatorMessage,
  HealthSample,
  ThreadEffectiveOptions,
  ThreadInit,
  ThreadMessage,
} from '../coordinator/protocol.js';
import { COUNTER, RPC_COUNTER_PREFIX } from '../../result/catalogue.js';

export class ThreadRuntime {
  readonly init = workerData as ThreadInit;
  readonly recorder = new IntervalRecorder();
  /** This clock against the engine's, from the replies it stamps (only when its event times are real time). */
  readonly clock = new ClockOffsetProbe();
  private readonly rpcCounters = new Map<string, string>();
  readonly client = new RoutedClient(this.init.targets, {
    routing: this.init.routing,
    namespace: this.init.namespace,
    onCall: (method) => {
      let name = this.rpcCounters.get(method);
      if (name === undefined) {
        name = `${RPC_COUNTER_PREFIX}${method}`;
        this.rpcCounters.set(method, name);
      }
      this.recorder.count(name);
    },
  });
  /** Eager execution, as this thread runs it (see ThreadInit.eager). */
  readonly eager: boolean = this.init.eager;
  /** The target advertises eager workflow start (GetSystemInfo), learnt in `ready()`. */
  eagerStartSupported = false;
  /** Work started by a reply rather than a poll (eager tasks), awaited before the thread finishes. */
  private readonly backgroundWork = new Set<Promise<void>>();
  t0Ms = 0;
  stopRequested = false;
  private index = 0;
  private flushTimer: NodeJS.Timeout | undefined;
  private elu: EventLoopUtilization = performance.eventLoopUtilization();
  private readonly delay = monitorEventLoopDelay({ resolution: 10 });
  scheduleLagMaxUs = 0;
  inFlight = 0;
  private readonly startWaiters: ((t0: number) => void)[] = [];
  /** Follow-up actions scheduled by iterations (StarterContext.later), and what they are waiting on. */
  private readonly followUps = new Map<NodeJS.Timeout, () => Promise<void>>();
  private readonly runningFollowUps = new Set<Promise<void>>();
  /** Expectations by workflow id (StarterContext.expect), sent with 'done'. */
  readonly expected = new Map<string, Record<string, number>>();
  private readonly stopWaiters: (() => void)[] = [];

  /** A reply the engine stamped at `engineUs` (a task's startedTime), sent at `sentUs` and received now. */
  observeEngineClock(sentUs: number, receivedUs: number, engineUs: number): void {
    if (this.init.timeScale === 1) this.clock.observe(sentUs, receivedUs, engineUs);
  }

  constructor() {
    if (!parentPort) throw new Error('a stampede thread must run inside a worker thread');
    parentPort.on('message', (m: CoordinatorMessage) => this.onMessage(m));
    this.delay.enable();
  }

  post(m: ThreadMessage): void {
    parentPort?.postMessage(m);
  }

  private onMessage(m: CoordinatorMessage): void {
    if (m.type === 'request') {
      // 'counters': the counters so far, including the interval still open.
      this.post({ type: 'response', id: m.id, ok: true, value: Object.fromEntries(this.recorder.cumulative) });
      return;
    }
    if (m.type === 'start') {
      this.t0Ms = m.t0Ms;
      this.armFlush();
      for (const w of this.startWaiters.splice(0)) w(m.t0Ms);
    } else {
      this.stopRequested = true;
      for (const w of this.stopWaiters.splice(0)) w();
    }
  }

  waitForStart(): Promise<number> {
    return new Promise((resolve) => this.startWaiters.push(resolve));
  }

  /** Resolves when the coordinator asks to stop. */
  waitForStop(): Promise<void> {
    if (this.stopRequested) return Promise.resolve();
    return new Promise((resolve) => this.stopWaiters.push(resolve));
  }

  private armFlush(): void {
    const due = this.t0Ms + (this.index + 1) * this.init.intervalMs;
    this.flushTimer = setTimeout(
      () => {
        this.flush();
        this.armFlush();
      },
      Math.max(0, due - nowMs()),
    );
  }

  private flush(): void {
    const elu = performance.eventLoopUtilization(this.elu);
    this.elu = performance.eventLoopUtilization();
    const health: HealthSample = {
      elu: elu.utilization,
      eventLoopDelayP99Us: Math.round(this.delay.percentile(99) / 1000),
      scheduleLagMaxUs: Math.round(this.scheduleLagMaxUs),
      inFlight: this.inFlight + this.pendingFollowUps,
    };
    this.delay.reset();
    this.scheduleLagMaxUs = 0;
    this.post({ type: 'interval', index: this.index, data: this.recorder.snapshot(), health });
    this.index += 1;
  }

  later(delayMs: number, fn: () => Promise<void>): void {
    if (this.stopRequested) return;
    const timer = setTimeout(() => {
      this.followUps.delete(timer);
      const p = fn().finally(() => this.runningFollowUps.delete(p));
      this.runningFollowUps.add(p);
    }, delayMs);
    this.followUps.set(timer, fn);
  }

  /**
   * Waits for the follow-ups to run, at most `maxWaitMs`; those not yet due by then (or when a stop is
   * requested) are dropped and counted.
   */
  async drainFollowUps(maxWaitMs: number): Promise<void> {
    const deadline = performance.now() + maxWaitMs;
    for (;;) {
      if (this.stopRequested || performance.now() >= deadline) {
        if (this.followUps.size > 0) this.recorder.count(COUNTER.followUpsDropped, this.followUps.size);
        for (const t of this.followUps.keys()) clearTimeout(t);
        this.followUps.clear();
      }
      if (this.followUps.size === 0 && this.runningFollowUps.size === 0) return;
      await Promise.race([...this.runningFollowUps, new Promise((r) => setTimeout(r, 50))]);
    }
  }

  get pendingFollowUps(): number {
    return this.followUps.size + this.runningFollowUps.size;
  }

  expect(workflowId: string, name: string, amount: number): void {
    let e = this.expected.get(workflowId);
    if (!e) {
      e = {};
      this.expected.set(workflowId, e);
    }
    e[name] = (e[name] ?? 0) + amount;
  }

  /** Sends the last (partial) interval and 'done'. */
  finish(): void {
    if (this.flushTimer) clearTimeout(this.flushTimer);
    this.flush();
    this.post({
      type: 'done',
      lastIndex: this.index - 1,
      totals: Object.fromEntries(this.recorder.cumulative),
      expected: Object.fromEntries(this.expected),
      clockOffset: this.clock.bounds(),
    });
    this.client.close();
    this.delay.disable();
  }

  /** Connects, learns what the target supports, then tells the coordinator this thread is ready. */
  async ready(): Promise<void> {
    await this.client.waitForReady(15_000);
    await this.client.start();
    if (this.eager) {
      try {
        const info = await this.client.call('GetSystemInfo', {}, { timeoutMs: 15_000 });
        this.eagerStartSupported = info.capabilities?.eagerWorkflowStart === true;
      } catch {
        // A target without GetSystemInfo: no eager start.
      }
    }
    this.post({ type: 'ready', effective: this.effectiveOptions() });
  }

  /** The run options as this thread applies them (the values its loops read, not a copy of the request). */
  effectiveOptions(): ThreadEffectiveOptions {
    const i = this.init;
    return {
      scenario: i.scenario,
      scenarioOptions: i.scenarioOptions,
      namespace: i.namespace,
      taskQueue: i.taskQueue,
      executor: i.executor.name,
      seed: i.seed,
      intervalMs: i.intervalMs,
      drainTimeoutMs: i.drainTimeoutMs,
      workflowPollers: i.workflowPollers,
      activityPollers: i.activityPollers,
      eager: this.eager,
      runTag: i.runTag,
      segment: { index: i.segmentIndex, count: i.segmentCount },
    };
  }

  /** Tracks work that runs beside the thread's loops (an eager task); errors are the work's own to record. */
  background(work: Promise<void>): void {
    const p = work.catch(() => undefined).finally(() => this.backgroundWork.delete(p));
    this.backgroundWork.add(p);
  }

  async drainBackground(): Promise<void> {
    while (this.backgroundWork.size > 0) await Promise.all([...this.backgroundWork]);
  }
}

/** An error's type for counting: the gRPC status name, or the error's class. */
/**
 * A batch the store refused for its size (Cassandra's batch_size_fail_threshold, Astra's 50 KB guardrail): the
 * engine answers UNAVAILABLE as Temporal does, with this in the details; counted as its own error type.
 */
export const BATCH_TOO_LARGE_TYPE = 'UNAVAILABLE/BATCH_TOO_LARGE';

export function isBatchTooLarge(err: unknown): boolean {
  return isServiceError(err) && err.code === grpc.status.UNAVAILABLE && /batch too large/i.test(err.details);
}

export function errorType(err: unknown): string {
  if (isBatchTooLarge(err)) return BATCH_TOO_LARGE_TYPE;
  if (isServiceError(err)) return grpc.status[err.code] ?? `GRPC_${err.code}`;
  if (err instanceof Error) return err.name;
  return 'Error';
}

/** Runs a thread's main function; any escape is reported as fatal and the thread exits with code 1. */
export function runThread(main: (rt: ThreadRuntime) => Promise<void>): void {
  let rt: ThreadRuntime;
  try {
    rt = new ThreadRuntime();
  } catch (err) {
    parentPort?.postMessage({ type: 'fatal', error: serializeError(err) } satisfies ThreadMessage);
    process.exit(1);
  }
  main(rt).then(
    () => rt.drainBackground().then(() => rt.finish()),
    (err: unknown) => {
      rt.post({ type: 'fatal', error: serializeError(err) });
      process.exit(1);
    },
  );
}

/** Deterministic PRNG (splitmix32) for scenario randomness reproducible from the run seed. */

export { seededRandom };
