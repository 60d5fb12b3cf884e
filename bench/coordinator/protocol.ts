/**
 * Messages between the coordinator (main thread) and worker threads: discriminated unions. Histograms cross
 * encoded; errors cross serialized (structured clone drops classes) and are rebuilt on the main thread.
 */
import type { SerializedError } from '../errors.js';
import type { ExecutorConfig, ExecutorName } from '../executors/index.js';
import type { Routing } from '../client/routed-client.js';
import type { ClockBounds } from '../recorder/clock-offset.js';
import type { IntervalData } from '../recorder/interval-recorder.js';

/** Everything a thread needs, passed as workerData (plain data only). */
export interface ThreadInit {
  /** How long the run waits after the schedule for follow-ups and for workflows to close. */
  drainTimeoutMs: number;
  role: 'starter' | 'poller';
  threadIndex: number;
  threadCount: number;
  segmentIndex: number;
  segmentCount: number;
  /** The engine members to drive (one or more) and how calls pick one (bench/client/routed-client.ts). */
  targets: string[];
  routing: Routing;
  namespace: string;
  taskQueue: string;
  scenario: string;
  scenarioOptions: Record<string, unknown>;
  /** Executor and its configuration (the thread plans its schedule from this plain description). */
  executor: { name: ExecutorName; config: ExecutorConfig };
  /** Per-thread cap of iterations in flight (open model); beyond it iterations are dropped and counted. */
  maxInFlight: number;
  intervalMs: number;
  runTag: string;
  seed: number;
  /**
   * Iterations a starter runs at once (like wrk2's connections). Iterations that fall due while all are busy
   * wait their turn, and the wait counts in their response time; beyond `maxInFlight` they are dropped.
   */
  connections: number;
  /** Workflow-task and activity polls kept outstanding (pollers). */
  workflowPollers: number;
  activityPollers: number;
  /**
   * Eager execution (`--eager`, default on): starts ask for their first workflow task in the reply (when the target
   * advertises eager start) and workflow tasks ask for their activities back; off, every task goes through a poll.
   */
  eager: boolean;
  /** Engine time scale (to turn virtual event times into real durations). */
  timeScale: number;
  identity: string;
  /**
   * This process among the generators of a run (run tag, segment, a random part): starts carry it in their header,
   * and only a worker of the same process measures the workflow's end-to-end latency (one clock).
   */
  origin: string;
}

/**
 * The run options a thread acts on, as the thread applies them, reported in 'ready'. The run checks them against
 * the options it records in result.json, so an option that does not reach the threads fails the run instead of
 * being recorded as if it had run (as `--no-eager` once was).
 */
export interface ThreadEffectiveOptions {
  scenario: string;
  scenarioOptions: Record<string, unknown>;
  namespace: string;
  taskQueue: string;
  executor: ExecutorName;
  seed: number;
  intervalMs: number;
  drainTimeoutMs: number;
  workflowPollers: number;
  activityPollers: number;
  eager: boolean;
  runTag: string;
  segment: { index: number; count: number };
}

export interface HealthSample {
  /** Event-loop utilization of this thread over the interval, 0..1 (Node's per-thread CPU-busy measure). */
  elu: number;
  /** Event-loop delay p99 over the interval, µs. */
  eventLoopDelayP99Us: number;
  /** Largest lateness of an iteration start behind its schedule, µs (starters). */
  scheduleLagMaxUs: number;
  inFlight: number;
}

export type ThreadMessage =
  | { type: 'ready'; effective: ThreadEffectiveOptions }
  | { type: 'interval'; index: number; data: IntervalData; health: HealthSample }
  /** `totals`: the thread's counters over the whole run (authoritative; intervals may still be in flight). */
  | {
      type: 'done';
      lastIndex: number;
      totals: Record<string, number>;
      expected: Record<string, Record<string, number>>;
      /** Bounds on the engine's clock minus this one, from replies the engine stamped (none: no such reply). */
      clockOffset: ClockBounds | undefined;
    }
  | { type: 'fatal'; error: SerializedError }
  | { type: 'response'; id: number; ok: true; value: unknown }
  | { type: 'response'; id: number; ok: false; error: SerializedError }
  | { type: 'log'; message: string };

export type CoordinatorMessage =
  /** Begin at epoch ms `t0Ms` (same origin for every thread). */
  | { type: 'start'; t0Ms: number }
  /** Stop: starters end their schedule early; pollers stop polling. Then send the last interval and 'done'. */
  | { type: 'stop'; reason: string }
  /** A question with an answer: the thread replies with a 'response' carrying the same id. */
  | { type: 'request'; id: number; body: ThreadRequest };

/** What the coordinator can ask a thread. */
export type ThreadRequest = { kind: 'counters' };

/** Workflow ids of a run: `<run tag>-<k>`, or `<run tag>-s<segment>-<k>` when the run is split in segments. */
export function workflowIdPrefix(runTag: string, segmentIndex: number, segmentCount: number): string {
  return segmentCount > 1 ? `${runTag}-s${segmentIndex}-` : `${runTag}-`;
}
