/**
 * result.json, schema version 1: everything a run measured, with its configuration and N, self-describing
 * enough to render a report, compare runs and gate CI without the run's machine. Latency values are µs;
 * times are epoch ms; every histogram is HdrHistogram's compressed base64 (lossless to merge).
 * Versioned: readers check `schema` and `version` (see read.ts) and refuse what they do not know.
 */
import type { EngineSample, EngineStats } from '../../engine/index.js';

export const RESULT_SCHEMA = 'stampede.result';
export const RESULT_VERSION = 1;

export interface LatencyStats {
  n: number;
  meanUs: number;
  stdevUs: number;
  minUs: number;
  p50Us: number;
  p90Us: number;
  p99Us: number;
  p999Us: number;
  p9999Us: number;
  maxUs: number;
  /** Encoded histogram (µs). */
  histogram: string;
}

export interface OperationResult {
  /** Successful operations in the measured phases. */
  count: number;
  errors: number;
  /** count / measured seconds. */
  throughputPerSec: number;
  /** Send -> reply. */
  service: LatencyStats;
  /** Intended start -> reply (open model; absent for closed-model and poller operations). */
  response?: LatencyStats;
  /** Intended start -> send. */
  wait?: LatencyStats;
}

export type Phase = 'warmup' | 'main' | 'drain';

export interface IntervalOp {
  count: number;
  errors: number;
  p50Us: number;
  p90Us: number;
  p99Us: number;
  p999Us: number;
  maxUs: number;
  /** Which histogram the percentiles are of: response time when there is one, else service time. */
  of: 'response' | 'service';
  serviceP50Us: number;
  serviceP99Us: number;
}

export interface IntervalHealth {
  /** Highest per-thread event-loop utilization, 0..1. */
  maxElu: number;
  meanElu: number;
  eventLoopDelayP99Us: number;
  scheduleLagMaxUs: number;
  inFlight: number;
  /** Process CPU (all threads) in cores over the interval. */
  processCpuCores: number;
  rssBytes: number;
}

export interface IntervalResult {
  index: number;
  /** Offset of the interval start from t0, ms. */
  startMs: number;
  endMs: number;
  phase: Phase;
  ops: Record<string, IntervalOp>;
  metrics: Record<string, { n: number; p50Us: number; p99Us: number; maxUs: number }>;
  counters: Record<string, number>;
  errors: Record<string, number>;
  health: IntervalHealth;
  /** Engine-side counters sampled at the end of the interval (embedded engine or admin surface). */
  engine?: IntervalEngineSample;
}

/** Engine counters sampled at the end of an interval: cumulative (the report takes differences) or gauges. */
export type IntervalEngineSample = EngineSample;

/** Engine counter differences over a run: where a workload piles onto single executions and shards. */
export interface Contention {
  transactions: number;
  /** Writes that failed a condition or had an unknown outcome, then retried. */
  conflicts: number;
  /** Updates that queued behind another update of the same run. */
  lockWaits: number;
  /** Signals and other external events buffered because a workflow task was in flight. */
  bufferedEvents: number;
  /** Conditional-write (LWT) attempts by outcome, summed over statement classes. */
  lwt: Record<string, number>;
}

export interface Verification {
  /** 'passed' | 'failed' | 'unavailable' (the target cannot be read back, e.g. no visibility). */
  status: 'passed' | 'failed' | 'unavailable';
  started: number;
  /** Runs by final status, as read back from the engine. */
  byStatus: Record<string, number>;
  /** Started but unknown to the engine. */
  lost: number;
  /** Still running though the scenario closes its workflows during the run. */
  stuck: number;
  /** Runs read back in full (a sample) whose histories were checked for well-formedness. */
  historiesChecked: number;
  /** Problems found in those histories and in the scenario's invariants (listed in notes). */
  problems: number;
  notes: string[];
}

export interface GeneratorHealth {
  saturated: boolean;
  warnings: string[];
  maxElu: number;
  eventLoopDelayP99Us: number;
  scheduleLagMaxUs: number;
  dropped: number;
  peakRssBytes: number;
  cpuCoresMean: number;
}

export interface ResultV1 {
  schema: typeof RESULT_SCHEMA;
  version: typeof RESULT_VERSION;
  runId: string;
  /** Short label for reports (defaults to scenario + store). */
  label: string;
  createdAt: string;
  tool: { name: 'stampede'; version: string; gitSha?: string };
  environment: {
    node: string;
    platform: string;
    arch: string;
    cpuModel: string;
    cpus: number;
    totalMemoryBytes: number;
    hostname: string;
  };
  /** Compiled options, secrets redacted. */
  options: Record<string, unknown>;
  scenario: { name: string; stresses: string; options: Record<string, unknown> };
  target: { kind: 'embedded' | 'external'; address: string; store: string; serverVersion: string; timeScale: number };
  segment: { index: number; count: number };
  timing: {
    /** Epoch ms of t0 (schedule start). */
    t0Ms: number;
    warmupMs: number;
    /** Measured phase length, ms. */
    measuredMs: number;
    intervalMs: number;
    endMs: number;
  };
  operations: Record<string, OperationResult>;
  /** Workflow-level latencies (workflow_e2e, schedule-to-start, timer lateness, ...). */
  metrics: Record<string, LatencyStats>;
  /** Counters over the whole run (all phases). */
  counters: Record<string, number>;
  /** Errors by `${op}|${type}`. */
  errors: Record<string, number>;
  intervals: IntervalResult[];
  health: GeneratorHealth;
  engine?: EngineStats;
  /** What the run did to single executions and to the store (engine counters, end of run minus start). */
  contention?: Contention;
  verification: Verification;
  /** pass: ran to the end and verified; fail: verification failed or the run broke; partial: interrupted. */
  verdict: 'pass' | 'fail' | 'partial';
  notes: string[];
  /** Files written beside result.json, relative names. */
  /** `expected`: what the starters expected of each workflow (scenario invariants), for `stampede verify`. */
  files: { hlog?: string; report?: string; expected?: string };
}
