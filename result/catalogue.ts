/**
 * The catalogue of what the harness measures (as k6's metrics/builtin.go): every operation, latency metric and
 * counter the generator records, with its unit and meaning. Code names them through the constants below; result.json,
 * the .hlog, reports and gates carry their string values. Scenarios may record metrics and counters of their own
 * (e.g. `charges`); those are not catalogued.
 */

/** Calls the generator times, by the name results carry (each with service, and maybe response and wait, time). */
export const OP = {
  startWorkflow: 'start_workflow',
  signalWithStart: 'signal_with_start',
  signalWorkflow: 'signal_workflow',
  queryWorkflow: 'query_workflow',
  cancelWorkflow: 'cancel_workflow',
  updateWorkflow: 'update_workflow',
  pollUpdate: 'poll_update',
  respondWorkflowTask: 'respond_workflow_task',
  respondActivityTask: 'respond_activity_task',
  respondQueryTask: 'respond_query_task',
  pollWorkflowTask: 'poll_workflow_task',
  pollActivityTask: 'poll_activity_task',
} as const;
export type OpName = (typeof OP)[keyof typeof OP];

/** Where errors are counted that belong to no timed call: `${where}|${error type}` in results' errors. */
export const ERROR_SOURCE = {
  iteration: 'iteration',
  decide: 'decide',
  followUp: 'follow_up',
  respondWorkflowTaskFailed: 'respond_workflow_task_failed',
} as const;

/** Latency distributions that are not a call, in µs. */
export const METRIC = {
  workflowE2e: 'workflow_e2e',
  workflowTaskScheduleToStart: 'workflow_task_schedule_to_start',
  activityScheduleToStart: 'activity_schedule_to_start',
  timerLateness: 'timer_lateness',
  timerLatenessVirtual: 'timer_lateness_virtual',
  signalToHandled: 'signal_to_handled',
  updateToAccepted: 'update_to_accepted',
  updateToCompleted: 'update_to_completed',
  childStartToStarted: 'child_start_to_started',
  scheduleLateness: 'schedule_lateness',
  scheduleLatenessVirtual: 'schedule_lateness_virtual',
  scheduleLag: 'schedule_lag',
} as const;
export type MetricName = (typeof METRIC)[keyof typeof METRIC];

export const COUNTER = {
  iterations: 'iterations',
  iterationsFailed: 'iterations_failed',
  dropped: 'dropped',
  skipped: 'skipped',
  workflowsStarted: 'workflows_started',
  /** Start calls the engine answered UNAVAILABLE and the starter sent again with the same request id (as the SDKs do). */
  startRetries: 'start_retries',
  /** Start calls that failed in a way that leaves their outcome unknown (deadline, unavailable after retries). */
  startsUnknownOutcome: 'starts_unknown_outcome',
  /** Runs the starts leave besides their own (children, cron firings), as the starters declared them. */
  extraRunsExpected: 'extra_runs_expected',
  workflowsClosed: 'workflows_closed',
  /**
   * Workflows this process closed that another generator process started (another segment on the same task queue):
   * their end-to-end latency is not measured, since it would subtract two machines' clocks.
   */
  workflowsClosedForeign: 'workflows_closed_foreign',
  workflowsContinued: 'workflows_continued',
  workflowTasks: 'workflow_tasks',
  workflowTasksEager: 'workflow_tasks_eager',
  workflowTasksUnhandledCommand: 'workflow_tasks_unhandled_command',
  activitiesCompleted: 'activities_completed',
  activitiesFailed: 'activities_failed',
  activitiesEager: 'activities_eager',
  queriesAnswered: 'queries_answered',
  signalsSent: 'signals_sent',
  signalsHandled: 'signals_handled',
  updatesAccepted: 'updates_accepted',
  updatesRejected: 'updates_rejected',
  updatesCompleted: 'updates_completed',
  /** Update requests that came in a workflow task with others (they arrived while an earlier task was in flight). */
  updatesBatched: 'updates_batched',
  updatesRetried: 'updates_retried',
  childrenStarted: 'children_started',
  timersFiredEarly: 'timers_fired_early',
  emptyPolls: 'empty_polls',
  stickyCacheHits: 'sticky_cache_hits',
  stickyCacheMisses: 'sticky_cache_misses',
  followUpsDropped: 'follow_ups_dropped',
  followUpsFailed: 'follow_ups_failed',
} as const;
export type CounterName = (typeof COUNTER)[keyof typeof COUNTER];

/** Calls sent per WorkflowService method are counted as `rpc.<Method>` (RPCs per workflow come from these). */
export const RPC_COUNTER_PREFIX = 'rpc.';

export interface CatalogueEntry {
  unit: 'us' | 'count';
  /**
   * scheduled: a starter's call, timed from its intended start; worker: a synthetic worker's reply; poll: a
   * long poll; workflow: measured on workflows; generator: the generator's own health.
   */
  group: 'scheduled' | 'worker' | 'poll' | 'workflow' | 'generator';
  describe: string;
}

const CATALOGUE: Record<OpName | MetricName | CounterName, CatalogueEntry> = {
  start_workflow: { unit: 'us', group: 'scheduled', describe: 'StartWorkflowExecution' },
  signal_with_start: { unit: 'us', group: 'scheduled', describe: 'SignalWithStartWorkflowExecution' },
  signal_workflow: { unit: 'us', group: 'scheduled', describe: 'SignalWorkflowExecution' },
  query_workflow: { unit: 'us', group: 'scheduled', describe: 'QueryWorkflow' },
  cancel_workflow: { unit: 'us', group: 'scheduled', describe: 'RequestCancelWorkflowExecution' },
  update_workflow: {
    unit: 'us',
    group: 'scheduled',
    describe: 'UpdateWorkflowExecution until the update was accepted or rejected',
  },
  poll_update: {
    unit: 'us',
    group: 'scheduled',
    describe: 'PollWorkflowExecutionUpdate from acceptance until the update completed',
  },
  respond_workflow_task: { unit: 'us', group: 'worker', describe: 'RespondWorkflowTaskCompleted' },
  respond_activity_task: { unit: 'us', group: 'worker', describe: 'RespondActivityTaskCompleted or Failed' },
  respond_query_task: { unit: 'us', group: 'worker', describe: 'RespondQueryTaskCompleted' },
  poll_workflow_task: { unit: 'us', group: 'poll', describe: 'PollWorkflowTaskQueue that returned a task' },
  poll_activity_task: { unit: 'us', group: 'poll', describe: 'PollActivityTaskQueue that returned a task' },
  workflow_e2e: {
    unit: 'us',
    group: 'workflow',
    describe: 'intended start to close, across continue-as-new (from the header the starter set)',
  },
  workflow_task_schedule_to_start: {
    unit: 'us',
    group: 'workflow',
    describe: 'a workflow task scheduled to started, real time',
  },
  activity_schedule_to_start: {
    unit: 'us',
    group: 'workflow',
    describe: 'an activity scheduled to started, real time',
  },
  timer_lateness: { unit: 'us', group: 'workflow', describe: 'TimerFired after the timer was due, real time' },
  timer_lateness_virtual: {
    unit: 'us',
    group: 'workflow',
    describe: "TimerFired after the timer was due, in the workflow's (virtual) time",
  },
  signal_to_handled: { unit: 'us', group: 'workflow', describe: 'a signal sent to the workflow task that handled it' },
  update_to_accepted: { unit: 'us', group: 'workflow', describe: 'an update sent to its acceptance, real time' },
  update_to_completed: { unit: 'us', group: 'workflow', describe: 'an update sent to its completion, real time' },
  child_start_to_started: {
    unit: 'us',
    group: 'workflow',
    describe: "a child's StartChildWorkflowExecutionInitiated to ChildWorkflowExecutionStarted, real time",
  },
  schedule_lateness: {
    unit: 'us',
    group: 'workflow',
    describe: "a cron firing's first workflow task scheduled after its due time, real time",
  },
  schedule_lateness_virtual: {
    unit: 'us',
    group: 'workflow',
    describe: "a cron firing's first workflow task scheduled after its due time, in the workflow's (virtual) time",
  },
  schedule_lag: { unit: 'us', group: 'generator', describe: 'how late an iteration started behind its schedule' },
  iterations: { unit: 'count', group: 'generator', describe: 'iterations of the schedule run' },
  iterations_failed: { unit: 'count', group: 'generator', describe: 'iterations whose scenario code threw' },
  dropped: { unit: 'count', group: 'generator', describe: 'iterations dropped at the in-flight cap' },
  skipped: {
    unit: 'count',
    group: 'generator',
    describe: 'iterations skipped, never started, because the generator fell more than 1 s behind its schedule',
  },
  workflows_started: { unit: 'count', group: 'workflow', describe: 'workflows started by the starters' },
  start_retries: {
    unit: 'count',
    group: 'workflow',
    describe: 'starts answered UNAVAILABLE and sent again with the same request id',
  },
  starts_unknown_outcome: {
    unit: 'count',
    group: 'workflow',
    describe: 'starts that failed with their outcome unknown (deadline, unavailable after retries)',
  },
  extra_runs_expected: {
    unit: 'count',
    group: 'workflow',
    describe: 'runs the started workflows leave besides their own (children, cron firings), as the starters declared',
  },
  workflows_closed: { unit: 'count', group: 'workflow', describe: 'runs closed by the workers (not continued)' },
  workflows_closed_foreign: {
    unit: 'count',
    group: 'workflow',
    describe:
      "runs this process closed that another generator process started (end-to-end not measured: another machine's clock)",
  },
  workflows_continued: { unit: 'count', group: 'workflow', describe: 'runs continued as new by the workers' },
  workflow_tasks: { unit: 'count', group: 'worker', describe: 'workflow tasks completed' },
  workflow_tasks_eager: {
    unit: 'count',
    group: 'worker',
    describe: 'workflow tasks handed back in the start reply (eager start)',
  },
  workflow_tasks_unhandled_command: {
    unit: 'count',
    group: 'worker',
    describe: 'closing workflow tasks refused because new events arrived (UnhandledCommand)',
  },
  activities_completed: { unit: 'count', group: 'worker', describe: 'activities completed' },
  activities_failed: { unit: 'count', group: 'worker', describe: 'activity attempts failed' },
  activities_eager: {
    unit: 'count',
    group: 'worker',
    describe: 'activities handed back in the workflow task reply (eager dispatch)',
  },
  queries_answered: { unit: 'count', group: 'worker', describe: 'query tasks answered' },
  signals_sent: { unit: 'count', group: 'workflow', describe: 'signals sent by the starters' },
  signals_handled: { unit: 'count', group: 'workflow', describe: 'signals seen by the workers' },
  updates_accepted: { unit: 'count', group: 'workflow', describe: 'updates accepted, as their senders saw them' },
  updates_rejected: {
    unit: 'count',
    group: 'workflow',
    describe: 'updates rejected by the validator, as their senders saw them',
  },
  updates_completed: { unit: 'count', group: 'workflow', describe: 'updates completed, as their senders saw them' },
  updates_batched: {
    unit: 'count',
    group: 'worker',
    describe: 'update requests delivered together with others (they arrived while an earlier task was in flight)',
  },
  updates_retried: {
    unit: 'count',
    group: 'workflow',
    describe: 'update calls sent again after RESOURCE_EXHAUSTED (the in-flight limit, a run closing under them)',
  },
  children_started: { unit: 'count', group: 'workflow', describe: 'child workflows seen started by their parents' },
  timers_fired_early: { unit: 'count', group: 'workflow', describe: 'timers that fired before they were due' },
  empty_polls: { unit: 'count', group: 'poll', describe: 'polls that timed out without a task' },
  sticky_cache_hits: { unit: 'count', group: 'worker', describe: 'sticky tasks completed from the cached history' },
  sticky_cache_misses: { unit: 'count', group: 'worker', describe: 'sticky tasks that needed the full history' },
  follow_ups_dropped: { unit: 'count', group: 'generator', describe: 'follow-ups not yet due when the run ended' },
  follow_ups_failed: { unit: 'count', group: 'generator', describe: 'follow-ups whose call failed' },
};

/** Long polls: reported after the calls that drive the workload, and left out of latency charts. */
export function isPoll(op: string): boolean {
  return (CATALOGUE as Record<string, CatalogueEntry | undefined>)[op]?.group === 'poll';
}

/** The generator's own measurements (schedule lag), shown apart from what the workflows measured. */
export function isGeneratorMetric(name: string): boolean {
  return (CATALOGUE as Record<string, CatalogueEntry | undefined>)[name]?.group === 'generator';
}

/** The key results count an error under: where it happened and its type (gRPC status name or error class). */
export function errorKey(where: string, type: string): string {
  return `${where}|${type}`;
}

/** Where an error key's error happened (its operation, for the timed calls). */
export function errorSource(key: string): string {
  return key.split('|')[0] ?? '';
}
