/**
 * result.json, schema version 1: everything a run measured, with its configuration and N, self-describing
 * enough to render a report, compare runs and gate CI without the run's machine. Latency values are µs;
 * times are epoch ms; every histogram is HdrHistogram's compressed base64 (lossless to merge).
 * Versioned: readers check `schema` and `version` (see read.ts) and refuse what they do not know.
 */
import type { EngineSample, EngineStats } from '../engine/index.js';
import type { OpLatencies } from './histogram.js';

export const RESULT_SCHEMA = 'stampede.result';
export const RESULT_VERSION = 1;

/** Percentiles of one latency histogram, µs, with N (result/summary.ts computes them, and nothing else does). */
export interface LatencySummary {
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
}

/** The engine's clock minus a generator's (bench/recorder/clock-offset.ts). */
export interface ClockOffset {
  /** Add to the generator's wall-clock time to get the engine's. */
  offsetMs: number;
  /** Half the width of the narrowest interval the offset is known to lie in. */
  uncertaintyMs: number;
  samples: number;
}

export interface LatencyStats extends LatencySummary {
  /** Encoded histogram (µs). */
  histogram: string;
}

/**
 * Latencies of an operation (see OpLatencies in histogram.ts): service (send -> reply); response (intended start ->
 * reply) and wait (intended start -> send) for open-model operations only.
 */
export interface OperationResult extends OpLatencies<LatencyStats> {
  /** Successful operations in the measured phases. */
  count: number;
  errors: number;
  /** count / measured seconds. */
  throughputPerSec: number;
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

export interface IntervalMetric {
  n: number;
  p50Us: number;
  p99Us: number;
  maxUs: number;
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
  metrics: Record<string, IntervalMetric>;
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

/** An engine cluster as DescribeCluster answered: one member outside a cluster. */
export interface ClusterRecord {
  clustered: boolean;
  numShards: number;
  members: { hostId: string; address: string }[];
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
  target: {
    kind: 'embedded' | 'external';
    /** The target, or the targets joined by commas. */
    address: string;
    /** The engine members the run drove, when more than one (`--target a:7233,b:7233`). */
    targets?: string[];
    /**
     * How calls picked a member: `spread` (by a hash of the workflow id over the targets), `owner` (to the owner of
     * the workflow's shard, from the engine's ring). Absent in results written before routing existed.
     */
    routing?: 'spread' | 'owner';
    /** The engine cluster as its first member described it when the run started (absent: no admin surface). */
    cluster?: ClusterRecord;
    store: string;
    serverVersion: string;
    timeScale: number;
  };
  segment: {
    index: number;
    count: number;
    /**
     * The engine's clock minus this generator's, from replies the engine stamped (bench/recorder/clock-offset.ts);
     * absent when no reply was stamped in real time (a time scale other than 1, or no task handed out).
     */
    clockOffset?: ClockOffset;
  };
  timing: {
    /** Epoch ms of t0 (schedule start). */
    t0Ms: number;
    /** t0 was fixed by `--start-at` (the segments of a distributed run share it), rather than by when this run was ready. */
    startAt?: boolean;
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
  /**
   * Present in the result of `stampede capacity`: the search for the highest sustainable rate. The rest of such a
   * result is the run at the accepted rate (its confirming hold), so reports and gates read it like any run.
   */
  capacity?: CapacityResult;
}

/** One judgement of a capacity step: an SLO (the `gate --threshold` language) or a stability check. */
export interface CapacityCheck {
  kind: 'slo' | 'stability';
  /** The SLO as written, or the stability check's name. */
  name: string;
  pass: boolean;
  /** Measured value and limit in `unit` (µs for latencies, per second for rates). */
  actual?: number;
  limit?: number;
  unit: 'us' | 'percent' | 'count' | 'per-second' | 'share';
  detail: string;
}

/** What a step measured beyond latency: where the time and the work went. */
export interface CapacityStepMeasurements {
  /** Length of the measured phase the rates are computed over, ms. */
  measuredMs: number;
  generator: {
    /** Busiest generator thread's event-loop utilization, highest interval (0..1). */
    maxElu: number;
    /** Measured intervals in which a generator thread was more than 90 % busy, of `intervals`. */
    busyIntervals: number;
    intervals: number;
    scheduleLagP99Us: number;
    dropped: number;
    /** This process (generator threads, and the engine when embedded), cores. */
    processCpuCores: number;
  };
  /** Whole machine, all processes: busy share of all CPUs over the measured phase (0..1). */
  host?: { cpuBusy: number; cpus: number };
  engine?: {
    /** Embedded engine: utilization of the main thread's event loop, which runs the engine (0..1). */
    mainThreadElu?: number;
    /** External engine: its process CPU, cores (from its admin surface; an engine cluster's members added up). */
    cpuCores?: number;
    /** Engine processes that carried the step (an engine cluster's members; 1 otherwise). */
    members?: number;
    /**
     * Engine CPU per transaction, ms: the engine's CPU (embedded: its event loop's busy time) over its transactions.
     * In a cluster, what a member spends per transaction it carries, forwarding included.
     */
    cpuMsPerTransaction?: number;
    transactionsPerSec: number;
    /** Engine transactions per workflow started, over the whole step. */
    transactionsPerWorkflow?: number;
    /** Engine task backlog (transfer + matching) at the end of the measured phase, and its trend per second. */
    backlogEnd: number;
    backlogGrowthPerSec: number;
  };
  /**
   * The synthetic workers: how long tasks waited to be picked up (schedule-to-start) against the polls kept
   * outstanding. Long waits with the engine not saturated mean too few poll slots.
   */
  workers?: {
    workflowTaskScheduleToStartP99Us?: number;
    activityScheduleToStartP99Us?: number;
    workflowE2eP99Us?: number;
    pollSlots: { workflow: number; activity: number };
  };
  /** Workflows started and not yet closed (closing scenarios): the queue in front of the engine. */
  openWorkflows?: { start: number; end: number; growthPerSec: number };
  persistence?: {
    store: string;
    shards: number;
    shardIoConcurrency: number;
    /**
     * Mean time one transaction holds its shard's serialized write path: history insert + conditional batch (+ any
     * injected store latency), µs.
     */
    shardPathUs: number;
    /** The store's own part of shardPathUs (statement latency, without injected latency), µs per transaction. */
    storeUs: number;
    /** Latency injected before every store call (--inject-store-latency), µs. */
    injectedUs: number;
    /** The write-path statement classes over the step: count, mean and p99 latency (µs). */
    statements: Record<string, { count: number; meanUs: number; p99Us: number }>;
    /** Transactions per second per shard × shardPathUs: 1 means a shard's write path is never idle. */
    shardUtilisation: number;
    /** Conditional writes (LWTs) attempted per second in the measured phase, and the share not applied. */
    lwtPerSec: number;
    lwtPerWorkflow?: number;
    lwtNotAppliedShare: number;
    conflictsPerTransaction: number;
    /** Statements the store refused for its rate (throttled) per second, and their share of all statements. */
    throttledPerSec?: number;
    throttledShare?: number;
    /**
     * SQL stores: mean wait per transaction for a pooled connection (`pool.acquire`) and in row-lock statements
     * (`*.lock*`, SELECT ... FOR SHARE / FOR UPDATE), and in COMMIT (`tx.commit`: the WAL flush), µs.
     */
    poolWaitUs?: number;
    lockWaitUs?: number;
    commitUs?: number;
  };
}

export interface CapacityStep {
  /** 1-based, in the order run. */
  index: number;
  /** ramp: geometric steps up; probe-down: below a failing first step; bisect: narrowing; hold: the confirmation. */
  stage: 'ramp' | 'probe-down' | 'bisect' | 'hold';
  /** Offered arrival rate, iterations per second. */
  ratePerSec: number;
  /** interrupted: stopped by the budget or a signal before it finished; not judged. */
  verdict: 'pass' | 'fail' | 'interrupted';
  /** Every reason the step was rejected (empty when it passed). */
  reasons: string[];
  checks: CapacityCheck[];
  /** Iterations started per second in the measured phase. */
  achievedPerSec: number;
  /** Workflows closed per second in the measured phase (scenarios whose workflows close during the run). */
  completedPerSec?: number;
  /** Latency series the SLOs name, workflow_e2e and the scheduled operation's response time. */
  latency: Record<string, { n: number; p50Us: number; p99Us: number }>;
  measurements: CapacityStepMeasurements;
  runId: string;
  /** The step's own result folder, relative to the capacity result. */
  dir: string;
  startedAt: string;
  warmupMs: number;
  durationMs: number;
  /** Wall time of the whole step (engine start, warm-up, measurement, drain, verification). */
  wallMs: number;
}

/** One point of the latency-vs-throughput curve: a step and one latency series. */
export interface CapacityCurvePoint {
  step: number;
  ratePerSec: number;
  achievedPerSec: number;
  completedPerSec?: number;
  series: string;
  p50Us: number;
  p99Us: number;
  verdict: CapacityStep['verdict'];
}

export type BottleneckKind =
  | 'generator'
  | 'store-rate-limit'
  | 'shard-serialization'
  | 'persistence'
  | 'lwt-contention'
  | 'engine-cpu'
  | 'workers'
  | 'host-cpu'
  | 'slo-only'
  | 'not-reached'
  | 'undetermined';

export interface Bottleneck {
  kind: BottleneckKind;
  summary: string;
  /** Every finding that fired, strongest first, each with the measurements it rests on. */
  findings: { kind: BottleneckKind; evidence: string }[];
  /** The step the reading comes from (the lowest failing rate above the accepted one). */
  step?: number;
}

export interface CapacitySizing {
  /** The step the inputs were measured at (the accepted rate's hold, else its step). */
  step: number;
  ratePerSec: number;
  transactionsPerWorkflow: number;
  shardPathUs: number;
  shards: number;
  /** Per-shard utilisation measured at the accepted rate. */
  utilisation: number;
  /** The utilisation the projection plans for (measured when the shard path limited the run, else the default). */
  planningUtilisation: number;
  planningUtilisationSource: 'measured' | 'default' | 'flag';
  /** planningUtilisation / (transactionsPerWorkflow × shardPath): workflows per second one shard carries at the SLO. */
  perShardRatePerSec: number;
  /** Conditional writes per workflow and per second per store node at the accepted rate (absent on the memory store). */
  lwtPerWorkflow?: number;
  lwtPerSecPerNode?: number;
  storeNodes?: number;
  /** The store limited the run: the per-node figure is a capacity, not just what the node was asked to do. */
  nodeSaturated?: boolean;
  /** Engine CPU per transaction (ms) and the engine members the step ran on, when the engine's CPU was measured. */
  engineCpuMsPerTransaction?: number;
  engineMembers?: number;
  target?: {
    ratePerSec: number;
    shards: number;
    /** Engine members (one core each) that carry the rate at the planning utilisation of a core. */
    members?: number;
    nodes?: number;
    /** The node count is an upper bound (the measured node was not saturated). */
    nodesUpperBound?: boolean;
  };
  /** The formulas with the measured numbers substituted, one line each. */
  formula: string[];
  assumptions: string[];
}

export interface CapacityResult {
  /** Highest offered rate (iterations/s) that passed every SLO and stability check; 0 when none did. */
  acceptedRatePerSec: number;
  /** The accepted rate also passed the final hold. */
  confirmed: boolean;
  /**
   * complete: searched to the resolution and confirmed; unconfirmed: the holds kept failing; no-passing-rate: even
   * the lowest rate tried failed; budget / interrupted: stopped early, completed steps kept; at-limit: --to passed
   * and held (the capacity is at least that; --max-steps running out is a budget stop); error: a step could not run (the reason says why).
   */
  status: 'complete' | 'unconfirmed' | 'no-passing-rate' | 'budget' | 'interrupted' | 'at-limit' | 'error';
  stopReason: string;
  search: {
    description: string;
    fromPerSec: number;
    toPerSec: number | null;
    factor: number;
    resolution: string;
    warmupMs: number;
    stepDurationMs: number;
    holdMs: number;
    budgetMs: number | null;
  };
  slos: string[];
  stability: { maxScheduleLagUs: number; maxBacklogGrowth: number; maxBusyIntervals: number; minAchieved: number };
  steps: CapacityStep[];
  curve: CapacityCurvePoint[];
  bottleneck: Bottleneck;
  sizing?: CapacitySizing;
  notes: string[];
  /** Wall time of the whole search, ms. */
  wallMs: number;
}
