import {
  ConditionFailedError,
  CurrentWorkflowConditionFailedError,
  ShardOwnershipLostError,
  WorkflowConditionFailedError,
} from '../errors.js';
import { WorkflowState, type WorkflowKey } from '../records.js';
import type {
  CreateExecutionRequest,
  CurrentRow,
  ExecutionRow,
  ExecutionStore,
  HistoryTaskRow,
  TaskRange,
  TimerRange,
  UpdateExecutionRequest,
} from '../store.js';
import { copyExecutionRow, currentKey, ownBytes, runKey, type MemoryDatabase, type Partition } from './database.js';

export class MemoryExecutionStore implements ExecutionStore {
  constructor(private readonly db: MemoryDatabase) {}

  private fenced(shardId: number, rangeId: number): Partition {
    const p = this.db.partition(shardId);
    if (p.shard?.rangeId !== rangeId) throw new ShardOwnershipLostError(shardId, rangeId, p.shard?.rangeId);
    return p;
  }

  createWorkflowExecution(req: CreateExecutionRequest): Promise<void> {
    const p = this.fenced(req.shardId, req.rangeId);
    const { namespaceId, workflowId, runId } = req.key;
    const ck = currentKey(namespaceId, workflowId);
    const existing = p.current.get(ck);
    if (req.mode.kind === 'brand-new') {
      if (existing) {
        throw new CurrentWorkflowConditionFailedError(
          `workflow ${workflowId} already has current run ${existing.runId}`,
          existing.runId,
          existing.state,
          existing.status,
          existing.createRequestId,
        );
      }
    } else if (!existing || existing.runId !== req.mode.previousRunId || existing.state !== WorkflowState.Completed) {
      throw new CurrentWorkflowConditionFailedError(
        `workflow ${workflowId}: expected closed current run ${req.mode.previousRunId}, found ${existing?.runId ?? 'none'}`,
        existing?.runId,
        existing?.state,
        existing?.status,
        existing?.createRequestId,
      );
    }
    const rk = runKey(namespaceId, workflowId, runId);
    if (p.runs.has(rk)) throw new WorkflowConditionFailedError(`run ${runId} of ${workflowId} already exists`);
    p.current.set(ck, { ...req.current });
    p.runs.set(rk, copyExecutionRow(req.execution));
    insertTasks(p, req.tasks);
    return Promise.resolve();
  }

  updateWorkflowExecution(req: UpdateExecutionRequest): Promise<void> {
    const p = this.fenced(req.shardId, req.rangeId);
    const { namespaceId, workflowId, runId } = req.key;
    const ck = currentKey(namespaceId, workflowId);
    if (req.mode === 'update-current') {
      const current = p.current.get(ck);
      if (current?.runId !== runId) {
        throw new CurrentWorkflowConditionFailedError(
          `workflow ${workflowId}: current run is ${current?.runId ?? 'none'}, not ${runId}`,
          current?.runId,
          current?.state,
          current?.status,
          current?.createRequestId,
        );
      }
    }
    const rk = runKey(namespaceId, workflowId, runId);
    const row = p.runs.get(rk);
    const m = req.mutation;
    if (!row || row.dbRecordVersion !== m.dbRecordVersion - 1) {
      throw new WorkflowConditionFailedError(
        `run ${runId} of ${workflowId}: expected db_record_version ${m.dbRecordVersion - 1}, found ${row?.dbRecordVersion ?? 'none'}`,
        row?.dbRecordVersion,
      );
    }
    let newRunKey: string | undefined;
    if (req.newRun) {
      newRunKey = runKey(req.newRun.key.namespaceId, req.newRun.key.workflowId, req.newRun.key.runId);
      if (p.runs.has(newRunKey)) throw new ConditionFailedError(`new run ${req.newRun.key.runId} already exists`);
    }
    // All conditions hold: apply everything, as a logged batch would.
    row.blob = m.blob;
    row.state = m.state;
    row.status = m.status;
    row.nextEventId = m.nextEventId;
    row.dbRecordVersion = m.dbRecordVersion;
    for (const [id, blob] of m.upsertActivities) row.activities.set(id, blob);
    for (const id of m.deleteActivities) row.activities.delete(id);
    for (const [id, blob] of m.upsertTimers) row.timers.set(id, blob);
    for (const id of m.deleteTimers) row.timers.delete(id);
    for (const id of m.addSignalRequested) row.signalRequested.add(id);
    for (const id of m.deleteSignalRequested) row.signalRequested.delete(id);
    if (m.clearBufferedEvents) row.bufferedEvents = [];
    if (m.appendBufferedEvents) row.bufferedEvents.push(ownBytes(m.appendBufferedEvents));
    if (req.newRun && newRunKey) {
      p.runs.set(newRunKey, copyExecutionRow(req.newRun.execution));
      p.current.set(ck, { ...req.newRun.current });
    } else if (req.mode === 'update-current' && req.current) {
      p.current.set(ck, { ...req.current });
    }
    insertTasks(p, req.tasks);
    return Promise.resolve();
  }

  getWorkflowExecution(shardId: number, key: WorkflowKey): Promise<ExecutionRow | undefined> {
    const row = this.db.partition(shardId).runs.get(runKey(key.namespaceId, key.workflowId, key.runId));
    return Promise.resolve(row && copyExecutionRow(row));
  }

  getCurrentExecution(shardId: number, namespaceId: string, workflowId: string): Promise<CurrentRow | undefined> {
    const row = this.db.partition(shardId).current.get(currentKey(namespaceId, workflowId));
    return Promise.resolve(row && { ...row });
  }

  deleteWorkflowExecution(shardId: number, key: WorkflowKey): Promise<void> {
    this.db.partition(shardId).runs.delete(runKey(key.namespaceId, key.workflowId, key.runId));
    return Promise.resolve();
  }

  deleteCurrentExecution(shardId: number, namespaceId: string, workflowId: string, runId: string): Promise<void> {
    const p = this.db.partition(shardId);
    const ck = currentKey(namespaceId, workflowId);
    if (p.current.get(ck)?.runId === runId) p.current.delete(ck);
    return Promise.resolve();
  }

  getTransferTasks(shardId: number, category: 'transfer' | 'visibility', range: TaskRange): Promise<HistoryTaskRow[]> {
    const tree = this.db.partition(shardId)[category];
    const out: HistoryTaskRow[] = [];
    for (const [taskId, row] of tree.entries(range.minTaskId + 1)) {
      if (taskId >= range.maxTaskId || out.length >= range.pageSize) break;
      out.push(row);
    }
    return Promise.resolve(out);
  }

  getTimerTasks(shardId: number, range: TimerRange): Promise<HistoryTaskRow[]> {
    const tree = this.db.partition(shardId).timer;
    const out: HistoryTaskRow[] = [];
    const start: [number, number] = range.after
      ? [range.after.fireTimeMs, range.after.taskId + 1]
      : [range.minFireTimeMs, Number.MIN_SAFE_INTEGER];
    for (const [[fireTimeMs], row] of tree.entries(start)) {
      if (fireTimeMs >= range.maxFireTimeMs || out.length >= range.pageSize) break;
      out.push(row);
    }
    return Promise.resolve(out);
  }

  rangeCompleteTransferTasks(
    shardId: number,
    category: 'transfer' | 'visibility',
    exclusiveMaxTaskId: number,
  ): Promise<void> {
    this.db.partition(shardId)[category].deleteRange(Number.MIN_SAFE_INTEGER, exclusiveMaxTaskId, false);
    return Promise.resolve();
  }

  rangeCompleteTimerTasks(shardId: number, exclusiveMax: { fireTimeMs: number; taskId: number }): Promise<void> {
    this.db
      .partition(shardId)
      .timer.deleteRange(
        [Number.MIN_SAFE_INTEGER, Number.MIN_SAFE_INTEGER],
        [exclusiveMax.fireTimeMs, exclusiveMax.taskId],
        false,
      );
    return Promise.resolve();
  }

  listExecutions(
    shardId: number,
    pageSize: number,
    pageToken: Uint8Array | undefined,
  ): Promise<{ items: { key: WorkflowKey; row: ExecutionRow }[]; nextPageToken: Uint8Array | undefined }> {
    const runs = this.db.partition(shardId).runs;
    const after = pageToken ? Buffer.from(pageToken).toString('utf8') : undefined;
    const keys = [...runs.keys()].sort().filter((k) => after === undefined || k > after);
    const page = keys.slice(0, pageSize);
    const items = page.map((k) => {
      const [namespaceId = '', workflowId = '', runId = ''] = k.split('\u0000');
      // The key was just listed from the same map, so the row exists.
      return { key: { namespaceId, workflowId, runId }, row: copyExecutionRow(runs.get(k) as ExecutionRow) };
    });
    const last = page[page.length - 1];
    const nextPageToken = keys.length > pageSize && last !== undefined ? Buffer.from(last, 'utf8') : undefined;
    return Promise.resolve({ items, nextPageToken });
  }
}

function insertTasks(p: Partition, tasks: HistoryTaskRow[]): void {
  for (const t of tasks) {
    if (t.category === 'timer') p.timer.set([t.visibilityTimeMs, t.taskId], t);
    else p[t.category].set(t.taskId, t);
  }
}
