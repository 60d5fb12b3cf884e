/**
 * The records the engine keeps, in domain form (what the history and matching services read and write). The
 * managers turn them into blobs for the stores; the shapes follow Temporal's persistence records, simplified.
 * Every time is virtual epoch milliseconds unless the name says otherwise; every duration carries its unit.
 */

export interface WorkflowKey {
  readonly namespaceId: string;
  readonly workflowId: string;
  readonly runId: string;
}

/** Temporal's WorkflowExecutionState (persistence-level, not the API status). */
export const WorkflowState = { Created: 1, Running: 2, Completed: 3, Zombie: 4 } as const;
export type WorkflowState = (typeof WorkflowState)[keyof typeof WorkflowState];

export interface ShardInfo {
  shardId: number;
  rangeId: number;
  owner: string;
  /** Transfer-queue ack level: every transfer task below it is done. */
  transferAckLevel: number;
  /** Timer-queue ack level (fire time, ms) and task id tie-break. */
  timerAckLevelMs: number;
  visibilityAckLevel: number;
  updatedAtMs: number;
  /**
   * The store's history shard count, written by every owner (absent in rows written before it was recorded). A
   * workflow's shard is its id's hash modulo the count: another count would strand every workflow already stored.
   */
  numShards?: number;
}

/** The row that says which run of a workflow id is current. */
export interface CurrentExecution {
  runId: string;
  createRequestId: string;
  state: WorkflowState;
  /** API WorkflowExecutionStatus. */
  status: number;
  startTimeMs: number;
}

export interface WorkflowTaskInfo {
  scheduledEventId: number;
  /** 0 while scheduled and not started. */
  startedEventId: number;
  attempt: number;
  scheduledTimeMs: number;
  startedTimeMs: number;
  /** Real-time bound of one attempt once started. */
  startToCloseTimeoutMs: number;
  taskQueue: string;
  /** The task was dispatched to the sticky queue. */
  sticky: boolean;
  requestId: string;
  identity: string;
  /** Events written with this attempt's transient (attempt > 1) scheduled/started pair are not persisted yet. */
  transient: boolean;
}

export interface ExecutionInfo {
  namespaceId: string;
  workflowId: string;
  runId: string;
  firstRunId: string;
  workflowType: string;
  taskQueue: string;
  createRequestId: string;
  /** Request ids of client calls already applied (dedupe for signals, cancels; bounded). */
  status: number;
  state: WorkflowState;
  startTimeMs: number;
  executionTimeMs: number;
  closeTimeMs: number;
  /** 0 = unlimited. */
  workflowRunTimeoutMs: number;
  workflowExecutionTimeoutMs: number;
  /** Absolute expiry of the whole chain (execution timeout), 0 = none. */
  executionExpirationTimeMs: number;
  workflowTaskTimeoutMs: number;
  retentionMs: number;
  nextEventId: number;
  lastCompletedWorkflowTaskStartedEventId: number;
  lastEventTaskId: number;
  workflowTask: WorkflowTaskInfo | null;
  stickyTaskQueue: string;
  stickyScheduleToStartTimeoutMs: number;
  cancelRequested: boolean;
  cancelRequestId: string;
  /** History branch of this run. */
  treeId: string;
  branchId: string;
  /** Event id of the close event, 0 while open. */
  completionEventId: number;
  /** Set when the run continued as new (for describe and the client's run chain). */
  newRunId: string;
  signalCount: number;
  /** Search attributes and memo as stored protobuf-JSON (opaque to the store). */
  searchAttributes: Record<string, string>;
  memo: Record<string, string>;
  /** Highest txn id written for this run's history; the next node must be written with a greater one. */
  lastTxnId: number;
  /** Event id of the first event of the last batch written (the node id of that batch). */
  lastFirstEventId: number;
  historySizeBytes: number;
  /** Set on a child run (and carried to its continue-as-new, retry and cron runs): where to report its close. */
  parent: ParentInfo | null;
  /** The top-level workflow of the tree this run belongs to (itself for a top-level workflow). */
  rootWorkflowId: string;
  rootRunId: string;
  /** Workflow attempt (retry policy): 1 for the first run of a chain and after every cron run. */
  attempt: number;
  /** The workflow's own retry policy (from its start event), null when it has none. */
  retryPolicy: RetryPolicyInfo | null;
  cronSchedule: string;
  /** The start event carries user metadata (summary, details): describe reads it back only then. */
  hasUserMetadata: boolean;
  /**
   * The first workflow task waits for a backoff (start delay, retry or cron): until it is scheduled, signals are
   * recorded but schedule no task (Temporal's IsWorkflowPendingOnWorkflowTaskBackoff).
   */
  pendingBackoff: boolean;
  /** Pending children, signals to and cancels of other workflows, by the event id of their initiated event. */
  children: Record<string, ChildExecutionInfo>;
  signalsOut: Record<string, ExternalRequestInfo>;
  cancelsOut: Record<string, ExternalRequestInfo>;
  /**
   * Workflow updates this run accepted (Temporal's UpdateInfos): the UpdateAccepted event, and once completed the
   * UpdateCompleted event with the node (batch) that holds it, where the outcome is read back. Rejected and
   * merely admitted updates leave nothing here. Absent on runs that never took an update.
   */
  updateInfos?: Record<string, UpdateInfo>;
}

/** The parent of a child run (Temporal's ParentExecutionInfo). */
export interface ParentInfo {
  namespaceId: string;
  namespace: string;
  workflowId: string;
  runId: string;
  initiatedEventId: number;
}

/** A child workflow the run started or is starting (Temporal's ChildExecutionInfo). */
export interface ChildExecutionInfo {
  initiatedEventId: number;
  /** Node id of the batch holding the initiated event. */
  initiatedEventBatchId: number;
  /** 0 until ChildWorkflowExecutionStarted; BUFFERED_EVENT_ID while that event is buffered. */
  startedEventId: number;
  workflowId: string;
  /** The child's first run id, '' until started. */
  startedRunId: string;
  workflowType: string;
  namespace: string;
  namespaceId: string;
  /** API ParentClosePolicy (defaulted: TERMINATE). */
  parentClosePolicy: number;
  /** Reused by every attempt of the start, so a retried start is deduplicated by the child's shard. */
  createRequestId: string;
}

/** A pending SignalExternal / RequestCancelExternal (Temporal's SignalInfo / RequestCancelInfo). */
export interface ExternalRequestInfo {
  initiatedEventId: number;
  initiatedEventBatchId: number;
  /** Deduplicates the request on the target. */
  requestId: string;
}

export interface UpdateInfo {
  acceptedEventId: number;
  /** 0 while accepted and not yet completed. */
  completedEventId: number;
  completedBatchId: number;
}

export interface ActivityInfo {
  scheduledEventId: number;
  /** Node id of the history batch holding the scheduled event (one node read on an event-cache miss). */
  scheduledEventBatchId: number;
  activityId: string;
  activityType: string;
  taskQueue: string;
  scheduledTimeMs: number;
  /** Time the current attempt was scheduled (differs from scheduledTimeMs after retries). */
  attemptScheduledTimeMs: number;
  /** 0 = not started; the started event is written only when the activity closes (Temporal's model). */
  startedTimeMs: number;
  started: boolean;
  startedIdentity: string;
  requestId: string;
  attempt: number;
  scheduleToCloseTimeoutMs: number;
  scheduleToStartTimeoutMs: number;
  startToCloseTimeoutMs: number;
  heartbeatTimeoutMs: number;
  lastHeartbeatTimeMs: number;
  /** Encoded Payloads (base64), last heartbeat details. */
  heartbeatDetails: string;
  cancelRequested: boolean;
  cancelRequestedEventId: number;
  retry: RetryPolicyInfo | null;
  /** Encoded Failure (base64) of the last failed attempt, carried into the next attempt's task. */
  lastFailure: string;
  lastWorkerIdentity: string;
  /** Bitmask of timeout timer tasks already created (so each is created once per attempt). */
  timerTaskStatus: number;
  /** PauseActivity: no new attempt is dispatched while set (absent on activities never paused). */
  pause?: { pauseTimeMs: number; identity: string; reason: string; requestId: string };
  /** ResetActivity on a running attempt: its heartbeat says so, and when it ends the activity restarts at attempt 1. */
  resetRequested?: boolean;
}

export interface RetryPolicyInfo {
  initialIntervalMs: number;
  backoffCoefficient: number;
  maximumIntervalMs: number;
  /** 0 = unlimited. */
  maximumAttempts: number;
  nonRetryableErrorTypes: string[];
}

export interface TimerInfo {
  timerId: string;
  startedEventId: number;
  expiryTimeMs: number;
  /** A timer task covering this timer exists. */
  taskCreated: boolean;
}

/** Transfer tasks: immediate work that leaves the shard (matching, visibility, deletion). */
export type TransferTaskBody =
  | { kind: 'workflow-task'; taskQueue: string; scheduledEventId: number; sticky: boolean }
  | { kind: 'activity-task'; taskQueue: string; scheduledEventId: number; attempt: number }
  | { kind: 'close-execution' }
  /** Starts the child of an initiated event on the child's shard (then records it on this run). */
  | { kind: 'start-child'; initiatedEventId: number }
  | { kind: 'signal-external'; initiatedEventId: number }
  | { kind: 'cancel-external'; initiatedEventId: number };

export const TimeoutKind = { StartToClose: 1, ScheduleToStart: 2, ScheduleToClose: 3, Heartbeat: 4 } as const;
export type TimeoutKind = (typeof TimeoutKind)[keyof typeof TimeoutKind];

/** Timer tasks: work due at a time (virtual ms). */
export type TimerTaskBody =
  | { kind: 'user-timer'; startedEventId: number }
  | { kind: 'activity-timeout'; scheduledEventId: number; attempt: number; timeout: TimeoutKind }
  | { kind: 'workflow-task-timeout'; scheduledEventId: number; attempt: number; timeout: TimeoutKind }
  | { kind: 'activity-retry'; scheduledEventId: number; attempt: number }
  | { kind: 'workflow-run-timeout' }
  /** The first workflow task of a run that waits for a start delay, a retry backoff or the next cron time. */
  | { kind: 'workflow-backoff' }
  | { kind: 'delete-history' };

export type VisibilityTaskBody = { kind: 'upsert-visibility' } | { kind: 'delete-visibility' };

export type TaskCategory = 'transfer' | 'timer' | 'visibility';

interface TaskBase {
  key: WorkflowKey;
  /** Assigned from the shard's range when the transaction commits. */
  taskId: number;
  /** Fire time for timer tasks; creation time otherwise. */
  visibilityTimeMs: number;
}

export type HistoryTask =
  | (TaskBase & { category: 'transfer'; body: TransferTaskBody })
  | (TaskBase & { category: 'timer'; body: TimerTaskBody })
  | (TaskBase & { category: 'visibility'; body: VisibilityTaskBody });

/** A task in a matching backlog. */
export interface MatchingTask {
  taskId: number;
  namespaceId: string;
  workflowId: string;
  runId: string;
  scheduledEventId: number;
  /** Activity attempt or workflow task attempt the task was created for. */
  attempt: number;
  createdTimeMs: number;
  /** Real-time expiry (epoch ms), 0 = none. */
  expiryTimeMs: number;
  /** Set on a query task (handed to a poller directly, never persisted). */
  queryId?: string;
}

export type TaskQueueType = 'workflow' | 'activity';

export interface TaskQueueKey {
  namespaceId: string;
  name: string;
  type: TaskQueueType;
}

export interface TaskQueueInfo {
  rangeId: number;
  ackLevel: number;
  kind: 'normal' | 'sticky';
  lastUpdateMs: number;
}

export interface NamespaceRecord {
  id: string;
  name: string;
  description: string;
  ownerEmail: string;
  retentionMs: number;
  state: number;
  data: Record<string, string>;
  notificationVersion: number;
  createdAtMs: number;
  /**
   * Custom search attributes registered through OperatorService: name -> IndexedValueType (Temporal keeps them in
   * the namespace's config too). Absent in records written before they existed.
   */
  customSearchAttributes?: Record<string, number>;
}
