/**
 * Store interfaces: what a backend must do. Stores hold opaque blobs and enforce conditions; they know nothing
 * of workflows. The managers (manager.ts) sit on top, serialize records and check invariants. Every backend
 * (memory, cassandra, ...) implements these and passes the same conformance suite.
 *
 * Conditions mirror Temporal's Cassandra LWTs: a shard's range_id fences every execution write, a current row
 * condition guards which run is current, and db_record_version guards the execution row.
 */
import type { TaskCategory, TaskQueueKey, WorkflowKey } from './records.js';
import type { StatementMetrics } from './statement-metrics.js';
import type { QueryScope, VisibilityRecord } from '../visibility/visibility-store.js';

export type Blob = Uint8Array;

/**
 * A serialized record (shard, execution, activity, timer, history task, task-queue, task and namespace rows): JSON
 * text, as the managers produce it, or the same text as UTF-8 bytes, as a byte-oriented backend reads it back. A
 * backend stores either form; the memory store keeps the text itself (no encoding to bytes, no ArrayBuffer per row),
 * and the Cassandra store writes its UTF-8 bytes to the blob column.
 */
export type RecordBlob = Uint8Array | string;

export interface ShardRow {
  shardId: number;
  rangeId: number;
  blob: RecordBlob;
}

export interface CurrentRow {
  runId: string;
  createRequestId: string;
  state: number;
  status: number;
  startTimeMs: number;
}

export interface ExecutionRow {
  blob: RecordBlob;
  state: number;
  status: number;
  nextEventId: number;
  dbRecordVersion: number;
  activities: Map<number, RecordBlob>;
  timers: Map<string, RecordBlob>;
  signalRequested: Set<string>;
  bufferedEvents: Blob[];
}

export interface HistoryTaskRow {
  category: TaskCategory;
  taskId: number;
  /** Timer fire time (virtual ms) for timer tasks, 0 for others. */
  visibilityTimeMs: number;
  blob: RecordBlob;
}

export interface ExecutionMutationRow {
  blob: RecordBlob;
  state: number;
  status: number;
  nextEventId: number;
  /** New version; the write is conditioned on `dbRecordVersion - 1`. */
  dbRecordVersion: number;
  upsertActivities: Map<number, RecordBlob>;
  deleteActivities: number[];
  upsertTimers: Map<string, RecordBlob>;
  deleteTimers: string[];
  addSignalRequested: string[];
  deleteSignalRequested: string[];
  appendBufferedEvents: Blob | undefined;
  clearBufferedEvents: boolean;
}

/** How the current row is written by a create. */
export type CreateMode =
  /** No current row may exist (`IF NOT EXISTS`). */
  | { kind: 'brand-new' }
  /** The current row must point at `previousRunId`, closed (`IF current_run_id = ? AND state = completed`). */
  | { kind: 'reuse-closed'; previousRunId: string };

export interface CreateExecutionRequest {
  shardId: number;
  rangeId: number;
  key: WorkflowKey;
  mode: CreateMode;
  current: CurrentRow;
  execution: ExecutionRow;
  tasks: HistoryTaskRow[];
}

export interface UpdateExecutionRequest {
  shardId: number;
  rangeId: number;
  key: WorkflowKey;
  /**
   * `update-current`: `IF current_run_id = key.runId` and rewrite the current row with `current`.
   * `bypass-current`: the run is not current (a closed run being cleaned up); the current row is left alone.
   */
  mode: 'update-current' | 'bypass-current';
  current: CurrentRow | undefined;
  mutation: ExecutionMutationRow;
  /** Continue-as-new: the new run is inserted `IF NOT EXISTS` in the same batch and becomes current. */
  newRun?: { key: WorkflowKey; execution: ExecutionRow; current: CurrentRow };
  tasks: HistoryTaskRow[];
}

export interface TaskRange {
  /** Exclusive lower bound. */
  minTaskId: number;
  /** Exclusive upper bound. */
  maxTaskId: number;
  pageSize: number;
}

export interface TimerRange {
  /** Inclusive lower fire time, ms. */
  minFireTimeMs: number;
  /** Exclusive upper fire time, ms. */
  maxFireTimeMs: number;
  pageSize: number;
  /** Resume after this (fireTime, taskId) when paging. */
  after?: { fireTimeMs: number; taskId: number };
}

export interface ExecutionStore {
  createWorkflowExecution(req: CreateExecutionRequest): Promise<void>;
  updateWorkflowExecution(req: UpdateExecutionRequest): Promise<void>;
  getWorkflowExecution(shardId: number, key: WorkflowKey): Promise<ExecutionRow | undefined>;
  getCurrentExecution(shardId: number, namespaceId: string, workflowId: string): Promise<CurrentRow | undefined>;
  /** Deletes a run's execution row (retention). Not conditioned, like Temporal's. */
  deleteWorkflowExecution(shardId: number, key: WorkflowKey): Promise<void>;
  /** Deletes the current row if it still points at `runId`. */
  deleteCurrentExecution(shardId: number, namespaceId: string, workflowId: string, runId: string): Promise<void>;
  getTransferTasks(shardId: number, category: 'transfer' | 'visibility', range: TaskRange): Promise<HistoryTaskRow[]>;
  getTimerTasks(shardId: number, range: TimerRange): Promise<HistoryTaskRow[]>;
  /** Deletes the transfer/visibility tasks with `taskId < exclusiveMaxTaskId`. */
  rangeCompleteTransferTasks(
    shardId: number,
    category: 'transfer' | 'visibility',
    exclusiveMaxTaskId: number,
  ): Promise<void>;
  /** Deletes timer tasks strictly before (fireTime, taskId). */
  rangeCompleteTimerTasks(shardId: number, exclusiveMax: { fireTimeMs: number; taskId: number }): Promise<void>;
  /** Every run row of a shard, a page at a time (scans, verification). */
  listExecutions(
    shardId: number,
    pageSize: number,
    pageToken: Blob | undefined,
  ): Promise<{ items: { key: WorkflowKey; row: ExecutionRow }[]; nextPageToken: Blob | undefined }>;
}

export interface HistoryNodeRow {
  nodeId: number;
  txnId: number;
  prevTxnId: number;
  blob: Blob;
}

export interface HistoryStore {
  /** Writes one batch of events as a node; `newBranch` also writes the branch's tree row (first node). */
  appendHistoryNodes(req: {
    treeId: string;
    branchId: string;
    node: HistoryNodeRow;
    newBranch?: { info: RecordBlob };
  }): Promise<void>;
  /** Nodes with minNodeId <= nodeId < maxNodeId, ordered by nodeId ascending then txnId descending. */
  readHistoryNodes(req: {
    treeId: string;
    branchId: string;
    minNodeId: number;
    maxNodeId: number;
    pageSize: number;
    pageToken: Blob | undefined;
  }): Promise<{ nodes: HistoryNodeRow[]; nextPageToken: Blob | undefined }>;
  /** Removes one node version (a batch whose transaction failed). */
  deleteHistoryNode(req: { treeId: string; branchId: string; nodeId: number; txnId: number }): Promise<void>;
  deleteHistoryBranch(req: { treeId: string; branchId: string }): Promise<void>;
}

export interface ShardStore {
  /** Reads a shard row, inserting `initial` (`IF NOT EXISTS`) when there is none. */
  getOrCreateShard(shardId: number, initial: ShardRow): Promise<ShardRow>;
  /** `UPDATE ... IF range_id = previousRangeId`; ShardOwnershipLostError otherwise. */
  updateShard(row: ShardRow, previousRangeId: number): Promise<void>;
}

export interface TaskQueueRow {
  rangeId: number;
  blob: RecordBlob;
}

export interface TaskRow {
  taskId: number;
  blob: RecordBlob;
}

export interface TaskStore {
  getOrCreateTaskQueue(key: TaskQueueKey, initial: TaskQueueRow): Promise<TaskQueueRow>;
  /** Lease renewal / ack level update: `IF range_id = previousRangeId`. */
  updateTaskQueue(key: TaskQueueKey, row: TaskQueueRow, previousRangeId: number): Promise<void>;
  /** Inserts tasks in one batch fenced by `IF range_id = rangeId` on the queue row. */
  createTasks(key: TaskQueueKey, rangeId: number, tasks: TaskRow[]): Promise<void>;
  /** Tasks with minTaskId < taskId <= maxTaskId, ascending. */
  getTasks(key: TaskQueueKey, range: TaskRange): Promise<TaskRow[]>;
  /** Deletes tasks with taskId < exclusiveMaxTaskId (a range delete where the backend supports it). */
  completeTasksLessThan(key: TaskQueueKey, exclusiveMaxTaskId: number): Promise<number>;
}

export interface NamespaceRow {
  id: string;
  name: string;
  notificationVersion: number;
  blob: RecordBlob;
}

export interface NamespaceStore {
  /** Creates by id `IF NOT EXISTS` then by name `IF NOT EXISTS`; AlreadyExistsError otherwise. */
  createNamespace(row: NamespaceRow): Promise<void>;
  updateNamespace(row: NamespaceRow, previousNotificationVersion: number): Promise<void>;
  getNamespaceByName(name: string): Promise<NamespaceRow | undefined>;
  getNamespaceById(id: string): Promise<NamespaceRow | undefined>;
  listNamespaces(): Promise<NamespaceRow[]>;
}

/** One schedule's record (its spec, action, policies, state and bookkeeping, serialized by the scheduler). */
export interface ScheduleRow {
  namespaceId: string;
  scheduleId: string;
  blob: RecordBlob;
  /** Bumped by every write; updates are conditional on the version read. */
  version: number;
}

/** Schedules, one row each, partitioned by namespace. */
export interface ScheduleStore {
  /** Fails with AlreadyExistsError when the id is taken. */
  createSchedule(row: ScheduleRow): Promise<void>;
  /** Fails with ConditionFailedError unless the stored version is `previousVersion`. */
  updateSchedule(row: ScheduleRow, previousVersion: number): Promise<void>;
  deleteSchedule(namespaceId: string, scheduleId: string): Promise<void>;
  listSchedules(namespaceId: string): Promise<ScheduleRow[]>;
}

/**
 * One engine's row in Temporal's `cluster_membership` table: who it is, where other members reach it, and when it
 * last said it was alive. One row per host id (a host id has one role).
 */
export interface MemberRow {
  /** A UUID, new for each process start (Temporal's host id). */
  hostId: string;
  /** An IP address (Temporal's column is an inet): the membership manager resolves a host name before writing. */
  rpcAddress: string;
  rpcPort: number;
  /** What the member serves (Temporal's service role: 1 frontend, 2 history, 3 matching, 4 worker). */
  role: number;
  sessionStartMs: number;
  /** The writer's clock at the heartbeat. */
  lastHeartbeatMs: number;
}

/** The members of an engine cluster, kept in the store (Temporal's ClusterMetadataStore membership calls). */
export interface MembershipStore {
  /** Writes or refreshes a member's row; the row expires ttlMs after this write unless written again. */
  upsertMember(row: MemberRow, ttlMs: number): Promise<void>;
  /**
   * Rows not expired whose lastHeartbeatMs is within heartbeatWithinMs of now (the reader's clock). Expiry is the
   * store's clock (Cassandra's TTL, PostgreSQL's now()), the heartbeat filter the reader's. Any order.
   */
  listMembers(heartbeatWithinMs: number): Promise<MemberRow[]>;
  /** Removes a member's row (a graceful leave). Removing a host id that has no row is not an error. */
  removeMember(hostId: string): Promise<void>;
}

/**
 * Visibility kept in the database and queried there (PostgreSQL: executions_visibility, as Temporal's SQL
 * visibility). Backends without one (memory, Cassandra) leave visibility to the engine's in-memory index.
 */
export interface VisibilityBackend {
  upsert(r: VisibilityRecord): Promise<void>;
  delete(namespaceId: string, workflowId: string, runId: string): Promise<void>;
  list(
    namespaceId: string,
    query: string,
    scope: QueryScope,
    pageSize: number,
    offset: number,
  ): Promise<{ records: VisibilityRecord[]; nextOffset: number | undefined }>;
  count(
    namespaceId: string,
    query: string,
    scope: QueryScope,
  ): Promise<{ count: number; groups: { status: number; count: number }[] | undefined }>;
}

/** What a logged batch may weigh before the server warns, and before it refuses it. */
export interface BatchThresholds {
  warnBytes: number;
  failBytes: number;
  /** Where the figures come from, for the user: "Astra DB guardrails", the node's settings, or defaults. */
  source: string;
}

/** Everything a backend provides. */
export interface Stores {
  readonly backend: string;
  /** e.g. Cassandra's release_version; undefined for the memory store. */
  readonly releaseVersion: string | undefined;
  /** What a logged batch may weigh before the server warns and refuses it (stores with batches: Cassandra, Astra). */
  readonly batchThresholds?: BatchThresholds;
  /** Cassandra 4.1+: the node's `paxos_variant` (v1, or v2 with half the LWT round trips). */
  readonly paxosVariant?: string;
  /** Every statement the backend ran, by class, with conditional-write outcomes. */
  readonly metrics: StatementMetrics;
  readonly shards: ShardStore;
  readonly executions: ExecutionStore;
  readonly history: HistoryStore;
  readonly tasks: TaskStore;
  readonly namespaces: NamespaceStore;
  /** The engine cluster's members (Temporal's `cluster_membership`). */
  readonly membership: MembershipStore;
  /** Schedules; a backend without them answers the schedule RPCs UNIMPLEMENTED. */
  readonly schedules?: ScheduleStore;
  /** Durable, queryable visibility, where the backend has it. */
  readonly visibility?: VisibilityBackend;
  /** A cheap read that succeeds when the store answers (probed during an outage). */
  ping(): Promise<void>;
  close(): Promise<void>;
}
