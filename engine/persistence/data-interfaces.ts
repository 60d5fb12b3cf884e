/**
 * The persistence API the services use (Temporal's dataInterfaces): what each manager offers, in records and
 * snapshots. manager.ts builds the managers over a backend's stores; execution-manager.ts is the one for executions.
 */
import type { IHistoryEvent } from '../proto.js';
import type {
  ActivityInfo,
  CurrentExecution,
  ExecutionInfo,
  HistoryTask,
  MatchingTask,
  NamespaceRecord,
  ShardInfo,
  TaskQueueInfo,
  TaskQueueKey,
  TimerInfo,
  WorkflowKey,
} from './records.js';
import type { CreateMode, MembershipStore, ScheduleStore, VisibilityBackend } from './store.js';
import type { StoreHealth } from './health.js';
import type { StatementMetrics } from './statement-metrics.js';

export interface WorkflowSnapshot {
  info: ExecutionInfo;
  dbRecordVersion: number;
  activities: Map<number, ActivityInfo>;
  timers: Map<string, TimerInfo>;
  signalRequestedIds: Set<string>;
  bufferedEvents: IHistoryEvent[];
}

export interface WorkflowMutation {
  info: ExecutionInfo;
  /** The version this write creates; the store conditions on `dbRecordVersion - 1`. */
  dbRecordVersion: number;
  upsertActivities: ActivityInfo[];
  deleteActivities: number[];
  upsertTimers: TimerInfo[];
  deleteTimers: string[];
  addSignalRequested: string[];
  deleteSignalRequested: string[];
  newBufferedEvents: IHistoryEvent[];
  clearBufferedEvents: boolean;
}

export interface HistoryBatch {
  treeId: string;
  branchId: string;
  events: IHistoryEvent[];
  txnId: number;
  prevTxnId: number;
  /** First batch of a branch: also writes the tree row. */
  newBranch: boolean;
}

export interface ReadHistoryRequest {
  treeId: string;
  branchId: string;
  /** Inclusive. */
  minEventId: number;
  /** Exclusive: the run's nextEventId, so nodes of failed transactions beyond it are never read. */
  maxEventId: number;
  /** Approximate number of events per page (whole batches are returned). */
  pageSize: number;
  pageToken: Uint8Array | undefined;
}

export interface ReadHistoryResponse {
  events: IHistoryEvent[];
  /** Encoded batches, in order, exactly as stored (for responses that forward them without re-encoding). */
  batches: Uint8Array[];
  nextPageToken: Uint8Array | undefined;
}

export interface ShardManager {
  getOrCreateShard(shardId: number, owner: string): Promise<ShardInfo>;
  updateShard(info: ShardInfo, previousRangeId: number): Promise<void>;
}

export interface ExecutionManager {
  createWorkflowExecution(req: {
    shardId: number;
    rangeId: number;
    mode: CreateMode;
    snapshot: WorkflowSnapshot;
    tasks: HistoryTask[];
  }): Promise<void>;
  updateWorkflowExecution(req: {
    shardId: number;
    rangeId: number;
    mode: 'update-current' | 'bypass-current';
    mutation: WorkflowMutation;
    newRun?: WorkflowSnapshot;
    tasks: HistoryTask[];
  }): Promise<void>;
  getWorkflowExecution(shardId: number, key: WorkflowKey): Promise<WorkflowSnapshot | undefined>;
  getCurrentExecution(shardId: number, namespaceId: string, workflowId: string): Promise<CurrentExecution | undefined>;
  deleteWorkflowExecution(shardId: number, key: WorkflowKey): Promise<void>;
  deleteCurrentExecution(shardId: number, key: WorkflowKey): Promise<void>;
  getTransferTasks(
    shardId: number,
    category: 'transfer' | 'visibility',
    minTaskIdExclusive: number,
    maxTaskIdExclusive: number,
    pageSize: number,
  ): Promise<HistoryTask[]>;
  getTimerTasks(
    shardId: number,
    minFireTimeMs: number,
    maxFireTimeMsExclusive: number,
    pageSize: number,
    after?: { fireTimeMs: number; taskId: number },
  ): Promise<HistoryTask[]>;
  rangeCompleteTransferTasks(
    shardId: number,
    category: 'transfer' | 'visibility',
    exclusiveMaxTaskId: number,
  ): Promise<void>;
  rangeCompleteTimerTasks(shardId: number, exclusiveMax: { fireTimeMs: number; taskId: number }): Promise<void>;
  listWorkflowExecutions(
    shardId: number,
    pageSize: number,
    pageToken: Uint8Array | undefined,
  ): Promise<{ items: WorkflowSnapshot[]; nextPageToken: Uint8Array | undefined }>;

  appendHistoryEvents(batch: HistoryBatch): Promise<number>;
  readHistoryBranch(req: ReadHistoryRequest): Promise<ReadHistoryResponse>;
  /** Removes the node a failed transaction wrote (Temporal trims it before retrying). */
  trimHistoryNode(treeId: string, branchId: string, nodeId: number, txnId: number): Promise<void>;
  deleteHistoryBranch(treeId: string, branchId: string): Promise<void>;
}

export interface TaskManager {
  leaseTaskQueue(key: TaskQueueKey, kind: 'normal' | 'sticky', nowMs: number): Promise<TaskQueueInfo>;
  updateTaskQueue(key: TaskQueueKey, info: TaskQueueInfo, previousRangeId: number): Promise<void>;
  createTasks(key: TaskQueueKey, rangeId: number, tasks: MatchingTask[]): Promise<void>;
  getTasks(
    key: TaskQueueKey,
    minTaskIdExclusive: number,
    maxTaskIdInclusive: number,
    pageSize: number,
  ): Promise<MatchingTask[]>;
  completeTasksLessThan(key: TaskQueueKey, exclusiveMaxTaskId: number): Promise<number>;
}

export interface NamespaceManager {
  createNamespace(record: NamespaceRecord): Promise<void>;
  updateNamespace(record: NamespaceRecord, previousNotificationVersion: number): Promise<void>;
  getNamespaceByName(name: string): Promise<NamespaceRecord | undefined>;
  getNamespaceById(id: string): Promise<NamespaceRecord | undefined>;
  listNamespaces(): Promise<NamespaceRecord[]>;
}

export interface Persistence {
  readonly backend: string;
  readonly releaseVersion: string | undefined;
  readonly metrics: StatementMetrics;
  readonly shards: ShardManager;
  readonly executions: ExecutionManager;
  readonly tasks: TaskManager;
  readonly namespaces: NamespaceManager;
  /** Visibility in the database, where the backend keeps it there (PostgreSQL); else undefined. */
  readonly visibility: VisibilityBackend | undefined;
  /** The engine cluster's members (heartbeats, the live set, leaving); every backend has them. */
  readonly membership: MembershipStore;
  /** Schedules, where the backend keeps them; behind the same retries as the managers. */
  readonly schedules: ScheduleStore | undefined;
  /** Outages of the store, seen from every call (health.ts). */
  readonly health: StoreHealth;
  close(): Promise<void>;
}
