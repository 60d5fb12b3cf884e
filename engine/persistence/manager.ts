/**
 * Managers: the persistence API the services use. They speak records (records.ts), serialize them for the
 * stores (store.ts) and check invariants before anything reaches a backend. Retries and metrics are
 * decorators around these interfaces (decorators/), never mixed in here.
 */
import { toNumber, type IHistoryEvent } from '../proto.js';
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
  WorkflowState,
} from './records.js';
import {
  decodeEvents,
  decodeHistoryTask,
  decodeRecord,
  encodeEvents,
  encodeHistoryTask,
  encodeRecord,
} from './serialization.js';
import type { CreateMode, CurrentRow, ExecutionRow, Stores } from './store.js';
import { withHealth, withLatency, withRetries, type RetryPolicy } from './decorators.js';
import { StoreHealth } from './health.js';
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
  /** Outages of the store, seen from every call (health.ts). */
  readonly health: StoreHealth;
  close(): Promise<void>;
}

export class InvariantViolationError extends Error {
  readonly code = 'INVARIANT_VIOLATION';
  constructor(message: string) {
    super(message);
    this.name = 'InvariantViolationError';
  }
}

function check(condition: boolean, message: string): asserts condition {
  if (!condition) throw new InvariantViolationError(message);
}

function currentRowOf(info: ExecutionInfo): CurrentRow {
  return {
    runId: info.runId,
    createRequestId: info.createRequestId,
    state: info.state,
    status: info.status,
    startTimeMs: info.startTimeMs,
  };
}

function snapshotToRow(s: WorkflowSnapshot): ExecutionRow {
  return {
    blob: encodeRecord(s.info),
    state: s.info.state,
    status: s.info.status,
    nextEventId: s.info.nextEventId,
    dbRecordVersion: s.dbRecordVersion,
    activities: new Map([...s.activities].map(([id, a]) => [id, encodeRecord(a)])),
    timers: new Map([...s.timers].map(([id, t]) => [id, encodeRecord(t)])),
    signalRequested: new Set(s.signalRequestedIds),
    bufferedEvents: s.bufferedEvents.length > 0 ? [encodeEvents(s.bufferedEvents)] : [],
  };
}

function rowToSnapshot(row: ExecutionRow): WorkflowSnapshot {
  const info = decodeRecord<ExecutionInfo>(row.blob);
  info.nextEventId = row.nextEventId;
  info.state = row.state as WorkflowState;
  info.status = row.status;
  return {
    info,
    dbRecordVersion: row.dbRecordVersion,
    activities: new Map([...row.activities].map(([id, b]) => [id, decodeRecord<ActivityInfo>(b)])),
    timers: new Map([...row.timers].map(([id, b]) => [id, decodeRecord<TimerInfo>(b)])),
    signalRequestedIds: new Set(row.signalRequested),
    bufferedEvents: row.bufferedEvents.flatMap((b) => decodeEvents(b)),
  };
}

function checkTasks(tasks: HistoryTask[], rangeId: number): void {
  const lo = rangeId * 2 ** 20;
  for (const t of tasks) {
    // (The message is built only for a failure: this runs for every task of every transaction.)
    if (!(t.taskId >= lo && t.taskId < lo + 2 ** 20))
      throw new InvariantViolationError(`task id ${t.taskId} outside the range of range_id ${rangeId}`);
  }
}

class DefaultExecutionManager implements ExecutionManager {
  constructor(private readonly stores: Stores) {}

  async createWorkflowExecution(req: {
    shardId: number;
    rangeId: number;
    mode: CreateMode;
    snapshot: WorkflowSnapshot;
    tasks: HistoryTask[];
  }): Promise<void> {
    const { info } = req.snapshot;
    check(req.snapshot.dbRecordVersion === 1, 'a new execution starts at db_record_version 1');
    check(info.nextEventId > 1, 'a new execution has events');
    checkTasks(req.tasks, req.rangeId);
    await this.stores.executions.createWorkflowExecution({
      shardId: req.shardId,
      rangeId: req.rangeId,
      key: { namespaceId: info.namespaceId, workflowId: info.workflowId, runId: info.runId },
      mode: req.mode,
      current: currentRowOf(info),
      execution: snapshotToRow(req.snapshot),
      tasks: req.tasks.map(encodeHistoryTask),
    });
  }

  async updateWorkflowExecution(req: {
    shardId: number;
    rangeId: number;
    mode: 'update-current' | 'bypass-current';
    mutation: WorkflowMutation;
    newRun?: WorkflowSnapshot;
    tasks: HistoryTask[];
  }): Promise<void> {
    const m = req.mutation;
    check(m.dbRecordVersion > 1, 'an update writes db_record_version > 1');
    checkTasks(req.tasks, req.rangeId);
    if (req.newRun) check(req.newRun.dbRecordVersion === 1, 'a new run starts at db_record_version 1');
    const key = { namespaceId: m.info.namespaceId, workflowId: m.info.workflowId, runId: m.info.runId };
    await this.stores.executions.updateWorkflowExecution({
      shardId: req.shardId,
      rangeId: req.rangeId,
      key,
      mode: req.mode,
      current: req.mode === 'update-current' ? currentRowOf(m.info) : undefined,
      mutation: {
        blob: encodeRecord(m.info),
        state: m.info.state,
        status: m.info.status,
        nextEventId: m.info.nextEventId,
        dbRecordVersion: m.dbRecordVersion,
        upsertActivities: new Map(m.upsertActivities.map((a) => [a.scheduledEventId, encodeRecord(a)])),
        deleteActivities: m.deleteActivities,
        upsertTimers: new Map(m.upsertTimers.map((t) => [t.timerId, encodeRecord(t)])),
        deleteTimers: m.deleteTimers,
        addSignalRequested: m.addSignalRequested,
        deleteSignalRequested: m.deleteSignalRequested,
        appendBufferedEvents: m.newBufferedEvents.length > 0 ? encodeEvents(m.newBufferedEvents) : undefined,
        clearBufferedEvents: m.clearBufferedEvents,
      },
      newRun: req.newRun && {
        key: {
          namespaceId: req.newRun.info.namespaceId,
          workflowId: req.newRun.info.workflowId,
          runId: req.newRun.info.runId,
        },
        execution: snapshotToRow(req.newRun),
        current: currentRowOf(req.newRun.info),
      },
      tasks: req.tasks.map(encodeHistoryTask),
    });
  }

  async getWorkflowExecution(shardId: number, key: WorkflowKey): Promise<WorkflowSnapshot | undefined> {
    const row = await this.stores.executions.getWorkflowExecution(shardId, key);
    return row && rowToSnapshot(row);
  }

  async getCurrentExecution(
    shardId: number,
    namespaceId: string,
    workflowId: string,
  ): Promise<CurrentExecution | undefined> {
    const row = await this.stores.executions.getCurrentExecution(shardId, namespaceId, workflowId);
    return row && { ...row, state: row.state as WorkflowState };
  }

  deleteWorkflowExecution(shardId: number, key: WorkflowKey): Promise<void> {
    return this.stores.executions.deleteWorkflowExecution(shardId, key);
  }

  deleteCurrentExecution(shardId: number, key: WorkflowKey): Promise<void> {
    return this.stores.executions.deleteCurrentExecution(shardId, key.namespaceId, key.workflowId, key.runId);
  }

  async getTransferTasks(
    shardId: number,
    category: 'transfer' | 'visibility',
    minTaskIdExclusive: number,
    maxTaskIdExclusive: number,
    pageSize: number,
  ): Promise<HistoryTask[]> {
    const rows = await this.stores.executions.getTransferTasks(shardId, category, {
      minTaskId: minTaskIdExclusive,
      maxTaskId: maxTaskIdExclusive,
      pageSize,
    });
    return rows.map(decodeHistoryTask);
  }

  async getTimerTasks(
    shardId: number,
    minFireTimeMs: number,
    maxFireTimeMsExclusive: number,
    pageSize: number,
    after?: { fireTimeMs: number; taskId: number },
  ): Promise<HistoryTask[]> {
    const rows = await this.stores.executions.getTimerTasks(shardId, {
      minFireTimeMs,
      maxFireTimeMs: maxFireTimeMsExclusive,
      pageSize,
      ...(after ? { after } : {}),
    });
    return rows.map(decodeHistoryTask);
  }

  rangeCompleteTransferTasks(
    shardId: number,
    category: 'transfer' | 'visibility',
    exclusiveMaxTaskId: number,
  ): Promise<void> {
    return this.stores.executions.rangeCompleteTransferTasks(shardId, category, exclusiveMaxTaskId);
  }

  rangeCompleteTimerTasks(shardId: number, exclusiveMax: { fireTimeMs: number; taskId: number }): Promise<void> {
    return this.stores.executions.rangeCompleteTimerTasks(shardId, exclusiveMax);
  }

  async listWorkflowExecutions(
    shardId: number,
    pageSize: number,
    pageToken: Uint8Array | undefined,
  ): Promise<{ items: WorkflowSnapshot[]; nextPageToken: Uint8Array | undefined }> {
    const page = await this.stores.executions.listExecutions(shardId, pageSize, pageToken);
    return { items: page.items.map((i) => rowToSnapshot(i.row)), nextPageToken: page.nextPageToken };
  }

  async appendHistoryEvents(batch: HistoryBatch): Promise<number> {
    const first = batch.events[0];
    check(first !== undefined, 'a history batch has at least one event');
    const firstId = toNumber(first.eventId);
    batch.events.forEach((e, i) =>
      check(toNumber(e.eventId) === firstId + i, `history batch event ids must be contiguous`),
    );
    check(batch.txnId > batch.prevTxnId, 'history txn ids increase');
    const blob = encodeEvents(batch.events);
    await this.stores.history.appendHistoryNodes({
      treeId: batch.treeId,
      branchId: batch.branchId,
      node: { nodeId: firstId, txnId: batch.txnId, prevTxnId: batch.prevTxnId, blob },
      ...(batch.newBranch
        ? { newBranch: { info: encodeRecord({ treeId: batch.treeId, branchId: batch.branchId }) } }
        : {}),
    });
    return blob.byteLength;
  }

  async readHistoryBranch(req: ReadHistoryRequest): Promise<ReadHistoryResponse> {
    const events: IHistoryEvent[] = [];
    const batches: Uint8Array[] = [];
    let token = req.pageToken;
    let expectedNext = req.minEventId;
    let lastNodeId = -1;
    // Whole batches are returned; keep reading store pages until enough events or the end.
    do {
      const page = await this.stores.history.readHistoryNodes({
        treeId: req.treeId,
        branchId: req.branchId,
        minNodeId: req.minEventId,
        maxNodeId: req.maxEventId,
        pageSize: Math.max(1, Math.min(req.pageSize, 1000)),
        pageToken: token,
      });
      token = page.nextPageToken;
      for (const node of page.nodes) {
        // Several versions of a node can exist (a failed transaction left one behind): highest txn id wins.
        if (node.nodeId === lastNodeId) continue;
        lastNodeId = node.nodeId;
        if (node.nodeId < expectedNext) continue;
        if (node.nodeId !== expectedNext && events.length > 0)
          throw new InvariantViolationError(`history gap before node ${node.nodeId}`);
        const batch = decodeEvents(node.blob);
        batches.push(node.blob);
        for (const e of batch) events.push(e);
        const last = batch[batch.length - 1];
        expectedNext = last ? toNumber(last.eventId) + 1 : expectedNext;
      }
    } while (token && events.length < req.pageSize);
    return { events, batches, nextPageToken: token };
  }

  trimHistoryNode(treeId: string, branchId: string, nodeId: number, txnId: number): Promise<void> {
    return this.stores.history.deleteHistoryNode({ treeId, branchId, nodeId, txnId });
  }

  deleteHistoryBranch(treeId: string, branchId: string): Promise<void> {
    return this.stores.history.deleteHistoryBranch({ treeId, branchId });
  }
}

class DefaultShardManager implements ShardManager {
  constructor(private readonly stores: Stores) {}

  async getOrCreateShard(shardId: number, owner: string): Promise<ShardInfo> {
    const initial: ShardInfo = {
      shardId,
      rangeId: 0,
      owner,
      transferAckLevel: 0,
      timerAckLevelMs: 0,
      visibilityAckLevel: 0,
      updatedAtMs: Date.now(),
    };
    const row = await this.stores.shards.getOrCreateShard(shardId, {
      shardId,
      rangeId: 0,
      blob: encodeRecord(initial),
    });
    return { ...decodeRecord<ShardInfo>(row.blob), rangeId: row.rangeId };
  }

  updateShard(info: ShardInfo, previousRangeId: number): Promise<void> {
    check(info.rangeId >= previousRangeId, 'range ids never go back');
    return this.stores.shards.updateShard(
      { shardId: info.shardId, rangeId: info.rangeId, blob: encodeRecord(info) },
      previousRangeId,
    );
  }
}

class DefaultTaskManager implements TaskManager {
  constructor(private readonly stores: Stores) {}

  async leaseTaskQueue(key: TaskQueueKey, kind: 'normal' | 'sticky', nowMs: number): Promise<TaskQueueInfo> {
    const initial: TaskQueueInfo = { rangeId: 0, ackLevel: 0, kind, lastUpdateMs: nowMs };
    const row = await this.stores.tasks.getOrCreateTaskQueue(key, { rangeId: 0, blob: encodeRecord(initial) });
    const info: TaskQueueInfo = {
      ...decodeRecord<TaskQueueInfo>(row.blob),
      rangeId: row.rangeId + 1,
      lastUpdateMs: nowMs,
    };
    await this.stores.tasks.updateTaskQueue(key, { rangeId: info.rangeId, blob: encodeRecord(info) }, row.rangeId);
    return info;
  }

  updateTaskQueue(key: TaskQueueKey, info: TaskQueueInfo, previousRangeId: number): Promise<void> {
    return this.stores.tasks.updateTaskQueue(key, { rangeId: info.rangeId, blob: encodeRecord(info) }, previousRangeId);
  }

  createTasks(key: TaskQueueKey, rangeId: number, tasks: MatchingTask[]): Promise<void> {
    const lo = rangeId * 2 ** 20;
    for (const t of tasks)
      if (!(t.taskId >= lo && t.taskId < lo + 2 ** 20))
        throw new InvariantViolationError(`task id ${t.taskId} outside lease ${rangeId}`);
    return this.stores.tasks.createTasks(
      key,
      rangeId,
      tasks.map((t) => ({ taskId: t.taskId, blob: encodeRecord(t) })),
    );
  }

  async getTasks(
    key: TaskQueueKey,
    minTaskIdExclusive: number,
    maxTaskIdInclusive: number,
    pageSize: number,
  ): Promise<MatchingTask[]> {
    const rows = await this.stores.tasks.getTasks(key, {
      minTaskId: minTaskIdExclusive,
      maxTaskId: maxTaskIdInclusive,
      pageSize,
    });
    return rows.map((r) => ({ ...decodeRecord<MatchingTask>(r.blob), taskId: r.taskId }));
  }

  completeTasksLessThan(key: TaskQueueKey, exclusiveMaxTaskId: number): Promise<number> {
    return this.stores.tasks.completeTasksLessThan(key, exclusiveMaxTaskId);
  }
}

class DefaultNamespaceManager implements NamespaceManager {
  constructor(private readonly stores: Stores) {}

  createNamespace(record: NamespaceRecord): Promise<void> {
    return this.stores.namespaces.createNamespace({
      id: record.id,
      name: record.name,
      notificationVersion: record.notificationVersion,
      blob: encodeRecord(record),
    });
  }

  updateNamespace(record: NamespaceRecord, previousNotificationVersion: number): Promise<void> {
    return this.stores.namespaces.updateNamespace(
      { id: record.id, name: record.name, notificationVersion: record.notificationVersion, blob: encodeRecord(record) },
      previousNotificationVersion,
    );
  }

  async getNamespaceByName(name: string): Promise<NamespaceRecord | undefined> {
    const row = await this.stores.namespaces.getNamespaceByName(name);
    return row && decodeRecord<NamespaceRecord>(row.blob);
  }

  async getNamespaceById(id: string): Promise<NamespaceRecord | undefined> {
    const row = await this.stores.namespaces.getNamespaceById(id);
    return row && decodeRecord<NamespaceRecord>(row.blob);
  }

  async listNamespaces(): Promise<NamespaceRecord[]> {
    return (await this.stores.namespaces.listNamespaces()).map((r) => decodeRecord<NamespaceRecord>(r.blob));
  }
}

const DEFAULT_RETRY: RetryPolicy = { attempts: 3, initialBackoffMs: 50, maxBackoffMs: 1000 };

/** The managers over a backend's stores, each behind the health and retry decorators. */
export function createPersistence(
  stores: Stores,
  opts: { retry?: RetryPolicy; injectLatencyMs?: number; probeIntervalMs?: number } = {},
): Persistence {
  const retry = opts.retry ?? DEFAULT_RETRY;
  const health = new StoreHealth(() => stores.ping(), { probeIntervalMs: opts.probeIntervalMs ?? 500 });
  // Health sees every attempt (inside the retries): the first failed call of an outage opens it.
  const wrap = <T extends object>(m: T): T =>
    withRetries(withHealth(opts.injectLatencyMs ? withLatency(m, opts.injectLatencyMs) : m, health), retry);
  const shards: ShardManager = wrap(new DefaultShardManager(stores));
  const executions: ExecutionManager = wrap(new DefaultExecutionManager(stores));
  const tasks: TaskManager = wrap(new DefaultTaskManager(stores));
  const namespaces: NamespaceManager = wrap(new DefaultNamespaceManager(stores));
  return {
    backend: stores.backend,
    releaseVersion: stores.releaseVersion,
    metrics: stores.metrics,
    shards,
    executions,
    tasks,
    namespaces,
    health,
    close: () => {
      health.stop();
      return stores.close();
    },
  };
}
