/** The contract between scenarios and the harness: what a scenario declares, what its code receives. */
import type { Command } from './commands.js';
import type { DeciderTask } from './decider-task.js';
import type { OptionSpecs, OptionValues } from './option-specs.js';
import type { Decision } from './updates.js';

export interface StartWorkflowParams {
  workflowId: string;
  workflowType: string;
  input?: unknown;
  taskQueue?: string;
  /** Real-time bound of the whole run (0 = none). */
  runTimeoutMs?: number;
  /** A cron schedule (five fields, UTC): the workflow runs at each matching time until a run is cancelled. */
  cronSchedule?: string;
  /**
   * Runs this start leaves under the run's workflow ids besides its own (children, cron firings): verification
   * expects them, and the drain waits for them.
   */
  extraRuns?: number;
}

export interface UpdateParams {
  workflowId: string;
  runId?: string;
  /** The update's name (its handler). */
  name: string;
  input?: unknown;
  /** Unique per workflow; a fresh one by default. */
  updateId?: string;
  /**
   * Update-with-start: the workflow is started with this type and input if it is not running (one
   * ExecuteMultiOperation call; a start counts as a workflow started), else the update goes to the running one.
   */
  start?: { workflowType: string; input?: unknown };
}

/**
 * How an update ended, as its caller sees it: accepted and completed (with the handler's result or failure), or
 * rejected by the validator (never accepted, never applied). An update accepted and failed in the same workflow
 * task is indistinguishable from a rejection to a caller, as with Temporal's clients.
 */
export type UpdateOutcome =
  | { accepted: true; result: unknown; failure?: undefined }
  | { accepted: true; result?: undefined; failure: string }
  | { accepted: false; failure: string };

export interface SignalParams {
  workflowId: string;
  runId?: string;
  name: string;
  input?: unknown;
}

/** What a starter thread offers one iteration. Every call is measured as an operation. */
export interface StarterContext {
  /** Global iteration index (unique across threads and processes of the run). */
  readonly iteration: number;
  /** Workflow id unique to this run: `<run tag>-<suffix>`. */
  workflowId(suffix: string | number): string;
  readonly taskQueue: string;
  /** Virtual ms per real ms of the target engine (1 against a real Temporal): converts durable waits to real time. */
  readonly timeScale: number;
  /** Deterministic per iteration (seeded by the run seed and the iteration). */
  random(): number;
  startWorkflow(p: StartWorkflowParams): Promise<{ runId: string }>;
  signalWorkflow(p: SignalParams): Promise<void>;
  signalWithStart(p: StartWorkflowParams & { signal: string; signalInput?: unknown }): Promise<{ runId: string }>;
  queryWorkflow(p: { workflowId: string; runId?: string; queryType: string; args?: unknown }): Promise<unknown>;
  cancelWorkflow(p: { workflowId: string; runId?: string }): Promise<void>;
  /**
   * Sends an update and waits for its outcome: measured as `update_workflow` (to ACCEPTED, or to the rejection)
   * and `poll_update` (ACCEPTED to COMPLETED), with `update_to_accepted` and `update_to_completed` per update.
   */
  updateWorkflow(p: UpdateParams): Promise<UpdateOutcome>;
  /** Counts a scenario-level event (e.g. "purchases_sent"); totals appear in the result. */
  count(name: string, n?: number): void;
  /** Records a scenario-level latency, µs. */
  record(metric: string, us: number): void;
  /**
   * Runs `fn` `delayMs` (real time) from now without holding this iteration open: a follow-up such as a cancel
   * signal sent a billing period later. The run waits for follow-ups before it ends.
   */
  later(delayMs: number, fn: () => Promise<void>): void;
  /** Adds `amount` to what the run expects of workflow `workflowId` (checked by the scenario's `verify`). */
  expect(workflowId: string, name: string, amount: number): void;
}

/** What a scenario's end-of-run step may do once every starter has finished (before the drain). */
export interface FinishContext {
  /** What the starters expected, by workflow id: the workflows this run touched. */
  readonly expected: ReadonlyMap<string, Readonly<Record<string, number>>>;
  /** Sends a signal; a failure is recorded in the result's notes (the workflow then shows up as stuck). */
  signalWorkflow(p: SignalParams): Promise<void>;
}

/** Facts about the run a scenario's decisions may depend on. */
export interface RunEnvironment {
  /** Virtual ms per real ms of the target engine. */
  timeScale: number;
  /** How long the run waits, after the last start, for workflows to close. */
  drainTimeoutMs: number;
}

/** What a scenario's end-of-run check can read back from the engine. */
export interface VerifyContext {
  /** What the starters expected, by workflow id (sums of `StarterContext.expect`). */
  readonly expected: ReadonlyMap<string, Readonly<Record<string, number>>>;
  /** Ids of the workflows of this run (latest run of each id). */
  workflowIds(): Promise<string[]>;
  query(workflowId: string, queryType: string, args?: unknown): Promise<unknown>;
  /** The close event's result of the workflow's latest run (after continue-as-new, of the last run). */
  result(workflowId: string): Promise<unknown>;
  /** The full history of the workflow's latest run. */
  history(workflowId: string): Promise<DeciderTask['events']>;
  /** At most this many workflows are read back one by one (the rest are counted only). */
  readonly sampleSize: number;
}

export interface ActivityContext {
  readonly attempt: number;
  readonly workflowId: string;
  readonly activityId: string;
  random(): number;
}

export type ActivityHandler<S extends OptionSpecs> = (
  input: unknown,
  ctx: ActivityContext,
  options: OptionValues<S>,
) => unknown;

/** What a decider may report besides its commands (for workflow-level metrics). */
export interface DeciderContext {
  count(name: string, n?: number): void;
  /** Records a latency, µs (e.g. timer lateness). */
  record(metric: string, us: number): void;
  /** Virtual ms per real ms of the engine (1 against a real Temporal). */
  readonly timeScale: number;
}

export interface Scenario<S extends OptionSpecs = OptionSpecs> {
  name: string;
  /** One line for lists. */
  summary: string;
  /** "What this stresses": the paragraph shown in --help and the report. */
  stresses: string;
  options: S;
  /** Cross-option checks beyond each option's own bounds. */
  check?(o: OptionValues<S>): string[];
  /** One iteration of the arrival schedule (usually: start one workflow). */
  iterate(ctx: StarterContext, o: OptionValues<S>): Promise<void>;
  /** The synthetic worker's decision for one workflow task: commands, and protocol messages when it answers updates. */
  decide(task: DeciderTask, o: OptionValues<S>, ctx: DeciderContext): Command[] | Decision;
  /** Answers a query against the workflow's history. */
  query?(task: DeciderTask, queryType: string, args: unknown, o: OptionValues<S>): unknown;
  activities: Record<string, ActivityHandler<S>>;
  /**
   * Whether each started workflow closes during the run (false: runs by design; verification accepts it). A
   * scenario whose durable waits outlast the drain at this time scale says false.
   */
  closesDuringRun(o: OptionValues<S>, env: RunEnvironment): boolean;
  /**
   * The time scale to run the embedded engine at when --time-scale is not given, so that the scenario's
   * durable waits (a 30-day billing period) take seconds of real time. Absent: real time.
   */
  timeScale?(o: OptionValues<S>): number;
  /** Caps the run's iterations (e.g. the number of customers who sign up). */
  iterations?(o: OptionValues<S>): number | undefined;
  /** Runs once after every starter has finished and before the drain, e.g. to tell long-lived workflows to close. */
  finish?(ctx: FinishContext, o: OptionValues<S>): Promise<void>;
  /** Scenario invariants, checked against the engine at the end of the run: the problems found. */
  verify?(v: VerifyContext, o: OptionValues<S>): Promise<string[]>;
  /**
   * Thresholds the run must meet, in the language of `stampede gate --threshold` (e.g. 'p99(schedule_lateness)<=1s'):
   * one that fails fails the run's verification.
   */
  thresholds?(o: OptionValues<S>): string[];
  /** Workflow types this scenario's decider answers (the `mixed` scenario routes by them). */
  workflowTypes: string[];
}

/** Erases a scenario's option types for the registry. */
export type AnyScenario = Scenario<OptionSpecs>;

export function defineScenario<S extends OptionSpecs>(s: Scenario<S>): AnyScenario {
  return s as unknown as AnyScenario;
}
