/**
 * The execution manager: runs, their current rows, history branches and history tasks, serialized for the stores
 * (records as blobs, events as protobuf batches) and checked against the invariants every backend relies on
 * (db_record_version, contiguous event ids, task ids within the shard's range).
 */
import { toNumber, type IHistoryEvent } from '../proto.js';
import type {
  ExecutionManager,
  HistoryBatch,
  ReadHistoryRequest,
  ReadHistoryResponse,
  WorkflowMutation,
  WorkflowSnapshot,
} from './data-interfaces.js';
import { checkInvariant, InvariantViolationError } from './errors.js';
import type {
  ActivityInfo,
  CurrentExecution,
  ExecutionInfo,
  HistoryTask,
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

type AddedField =
  | 'parent'
  | 'rootWorkflowId'
  | 'rootRunId'
  | 'attempt'
  | 'retryPolicy'
  | 'cronSchedule'
  | 'hasUserMetadata'
  | 'pendingBackoff'
  | 'children'
  | 'signalsOut'
  | 'cancelsOut';

/**
 * The execution record as stored: fields later versions added may be missing from a run written before them (a
 * keyspace a benchmark left behind is read back by newer versions of `stampede verify`).
 */
type StoredExecutionInfo = Omit<ExecutionInfo, AddedField> & Partial<Pick<ExecutionInfo, AddedField>>;

function rowToSnapshot(row: ExecutionRow): WorkflowSnapshot {
  const s = decodeRecord<StoredExecutionInfo>(row.blob);
  const info: ExecutionInfo = {
    ...s,
    parent: s.parent ?? null,
    rootWorkflowId: s.rootWorkflowId ?? s.workflowId,
    rootRunId: s.rootRunId ?? s.runId,
    attempt: s.attempt ?? 1,
    retryPolicy: s.retryPolicy ?? null,
    cronSchedule: s.cronSchedule ?? '',
    hasUserMetadata: s.hasUserMetadata ?? false,
    pendingBackoff: s.pendingBackoff ?? false,
    children: s.children ?? {},
    signalsOut: s.signalsOut ?? {},
    cancelsOut: s.cancelsOut ?? {},
  };
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

export class DefaultExecutionManager implements ExecutionManager {
  constructor(private readonly stores: Stores) {}

  async createWorkflowExecution(req: {
    shardId: number;
    rangeId: number;
    mode: CreateMode;
    snapshot: WorkflowSnapshot;
    tasks: HistoryTask[];
  }): Promise<void> {
    const { info } = req.snapshot;
    checkInvariant(req.snapshot.dbRecordVersion === 1, 'a new execution starts at db_record_version 1');
    checkInvariant(info.nextEventId > 1, 'a new execution has events');
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
    checkInvariant(m.dbRecordVersion > 1, 'an update writes db_record_version > 1');
    checkTasks(req.tasks, req.rangeId);
    if (req.newRun) checkInvariant(req.newRun.dbRecordVersion === 1, 'a new run starts at db_record_version 1');
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
    checkInvariant(first !== undefined, 'a history batch has at least one event');
    const firstId = toNumber(first.eventId);
    batch.events.forEach((e, i) =>
      checkInvariant(toNumber(e.eventId) === firstId + i, `history batch event ids must be contiguous`),
    );
    checkInvariant(batch.txnId > batch.prevTxnId, 'history txn ids increase');
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
