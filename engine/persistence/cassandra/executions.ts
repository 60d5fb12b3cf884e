/**
 * Executions on Cassandra, the way Temporal writes them: every workflow transaction is one logged batch on the
 * shard's partition carrying the current-row condition, the execution row's db_record_version condition, map
 * upserts and deletes, buffered-event appends, task rows, and the shard fence `IF range_id = ?`.
 */
import cassandra from 'cassandra-driver';
import type { WorkflowKey } from '../records.js';
import { RECORD_ENCODING, decodeRecord, encodeRecord } from '../serialization.js';
import type {
  CreateExecutionRequest,
  CurrentRow,
  ExecutionMutationRow,
  ExecutionRow,
  ExecutionStore,
  HistoryTaskRow,
  RecordBlob,
  TaskRange,
  TimerRange,
  UpdateExecutionRequest,
} from '../store.js';
import { classifyNotApplied, type ExpectedConditions } from './classify.js';
import { CURRENT_RUN_ID, DEFAULT_VISIBILITY_TS, EXECUTION_TASK_ID, RowType, TASK_ROWS } from './constants.js';
import type { CassandraContext, Params } from './context.js';
import { shardFence } from './shards.js';
import { asBuffer, asNumber, asString, mapOf } from './values.js';

const Long = cassandra.types.Long;
const COMPLETED_STATE = 3;

const ROW_KEY =
  'shard_id = ? AND type = ? AND namespace_id = ? AND workflow_id = ? AND run_id = ? AND visibility_ts = ? AND task_id = ?';

function execKey(shardId: number, k: WorkflowKey): Params {
  return [shardId, RowType.Execution, k.namespaceId, k.workflowId, k.runId, DEFAULT_VISIBILITY_TS, EXECUTION_TASK_ID];
}

function currentKey(shardId: number, namespaceId: string, workflowId: string): Params {
  return [
    shardId,
    RowType.Execution,
    namespaceId,
    workflowId,
    CURRENT_RUN_ID,
    DEFAULT_VISIBILITY_TS,
    EXECUTION_TASK_ID,
  ];
}

interface ExecutionState {
  runId: string;
  createRequestId: string;
  state: number;
  status: number;
  startTimeMs: number;
}

function stateBlob(c: CurrentRow): Buffer {
  const s: ExecutionState = {
    runId: c.runId,
    createRequestId: c.createRequestId,
    state: c.state,
    status: c.status,
    startTimeMs: c.startTimeMs,
  };
  return Buffer.from(encodeRecord(s));
}

const TASK_COLUMN = {
  transfer: ['transfer', 'transfer_encoding'],
  timer: ['timer', 'timer_encoding'],
  visibility: ['visibility_task_data', 'visibility_task_encoding'],
} as const;
const TASK_ROW_TYPE = {
  transfer: RowType.TransferTask,
  timer: RowType.TimerTask,
  visibility: RowType.VisibilityTask,
} as const;

function taskInsert(shardId: number, t: HistoryTaskRow): { query: string; params: Params } {
  const [data, enc] = TASK_COLUMN[t.category];
  const ids = TASK_ROWS[t.category];
  return {
    query: `INSERT INTO executions (shard_id, type, namespace_id, workflow_id, run_id, visibility_ts, task_id, ${data}, ${enc}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    params: [
      shardId,
      TASK_ROW_TYPE[t.category],
      ids.namespaceId,
      ids.workflowId,
      ids.runId,
      t.category === 'timer' ? t.visibilityTimeMs : DEFAULT_VISIBILITY_TS,
      t.taskId,
      Buffer.from(t.blob),
      RECORD_ENCODING,
    ],
  };
}

function longMap(m: Map<number, RecordBlob>): Map<cassandra.types.Long, Buffer> {
  return new Map([...m].map(([k, v]) => [Long.fromNumber(k), Buffer.from(v)]));
}

function textMap(m: Map<string, RecordBlob>): Map<string, Buffer> {
  return new Map([...m].map(([k, v]) => [k, Buffer.from(v)]));
}

function eventBatch(blob: Uint8Array): { encoding_type: string; version: number; data: Buffer } {
  return { encoding_type: 'proto3', version: 0, data: Buffer.from(blob) };
}

function executionInsert(
  shardId: number,
  key: WorkflowKey,
  e: ExecutionRow,
  c: CurrentRow,
): { query: string; params: Params } {
  return {
    query: `INSERT INTO executions (shard_id, type, namespace_id, workflow_id, run_id, visibility_ts, task_id, execution, execution_encoding, execution_state, execution_state_encoding, next_event_id, db_record_version, activity_map, activity_map_encoding, timer_map, timer_map_encoding, signal_requested, buffered_events_list, workflow_state) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) IF NOT EXISTS`,
    params: [
      ...execKey(shardId, key),
      Buffer.from(e.blob),
      RECORD_ENCODING,
      stateBlob(c),
      RECORD_ENCODING,
      e.nextEventId,
      e.dbRecordVersion,
      longMap(e.activities),
      RECORD_ENCODING,
      textMap(e.timers),
      RECORD_ENCODING,
      new Set(e.signalRequested),
      e.bufferedEvents.map(eventBatch),
      e.state,
    ],
  };
}

function currentInsert(shardId: number, key: WorkflowKey, c: CurrentRow): { query: string; params: Params } {
  return {
    query: `INSERT INTO executions (shard_id, type, namespace_id, workflow_id, run_id, visibility_ts, task_id, current_run_id, execution_state, execution_state_encoding, workflow_last_write_version, workflow_state) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 0, ?) IF NOT EXISTS`,
    params: [...currentKey(shardId, key.namespaceId, key.workflowId), c.runId, stateBlob(c), RECORD_ENCODING, c.state],
  };
}

function currentUpdate(
  shardId: number,
  key: WorkflowKey,
  c: CurrentRow,
  condition: string,
  conditionParams: Params,
): { query: string; params: Params } {
  return {
    query: `UPDATE executions SET current_run_id = ?, execution_state = ?, execution_state_encoding = ?, workflow_last_write_version = 0, workflow_state = ? WHERE ${ROW_KEY} IF ${condition}`,
    params: [
      c.runId,
      stateBlob(c),
      RECORD_ENCODING,
      c.state,
      ...currentKey(shardId, key.namespaceId, key.workflowId),
      ...conditionParams,
    ],
  };
}

/** The statements that apply a mutation to the execution row (all on that row; the first one is conditioned). */
function mutationStatements(
  shardId: number,
  key: WorkflowKey,
  m: ExecutionMutationRow,
  c: CurrentRow | undefined,
): { query: string; params: Params }[] {
  const k = execKey(shardId, key);
  const state = c ?? { runId: key.runId, createRequestId: '', state: m.state, status: m.status, startTimeMs: 0 };
  const out: { query: string; params: Params }[] = [
    {
      query: `UPDATE executions SET execution = ?, execution_encoding = ?, execution_state = ?, execution_state_encoding = ?, next_event_id = ?, db_record_version = ?, workflow_state = ? WHERE ${ROW_KEY} IF db_record_version = ?`,
      params: [
        Buffer.from(m.blob),
        RECORD_ENCODING,
        stateBlob({ ...state, state: m.state, status: m.status }),
        RECORD_ENCODING,
        m.nextEventId,
        m.dbRecordVersion,
        m.state,
        ...k,
        m.dbRecordVersion - 1,
      ],
    },
  ];
  if (m.upsertActivities.size > 0)
    out.push({
      query: `UPDATE executions SET activity_map = activity_map + ? WHERE ${ROW_KEY}`,
      params: [longMap(m.upsertActivities), ...k],
    });
  // Removing map keys with `map - {keys}` needs a newer Cassandra than 2.1: one DELETE per key, as Temporal does.
  for (const id of m.deleteActivities)
    out.push({ query: `DELETE activity_map[?] FROM executions WHERE ${ROW_KEY}`, params: [Long.fromNumber(id), ...k] });
  if (m.upsertTimers.size > 0)
    out.push({
      query: `UPDATE executions SET timer_map = timer_map + ? WHERE ${ROW_KEY}`,
      params: [textMap(m.upsertTimers), ...k],
    });
  for (const id of m.deleteTimers)
    out.push({ query: `DELETE timer_map[?] FROM executions WHERE ${ROW_KEY}`, params: [id, ...k] });
  if (m.addSignalRequested.length > 0)
    out.push({
      query: `UPDATE executions SET signal_requested = signal_requested + ? WHERE ${ROW_KEY}`,
      params: [new Set(m.addSignalRequested), ...k],
    });
  if (m.deleteSignalRequested.length > 0)
    out.push({
      query: `UPDATE executions SET signal_requested = signal_requested - ? WHERE ${ROW_KEY}`,
      params: [new Set(m.deleteSignalRequested), ...k],
    });
  if (m.clearBufferedEvents)
    out.push({ query: `UPDATE executions SET buffered_events_list = [] WHERE ${ROW_KEY}`, params: k });
  if (m.appendBufferedEvents) {
    out.push({
      query: `UPDATE executions SET buffered_events_list = buffered_events_list + ? WHERE ${ROW_KEY}`,
      params: [[eventBatch(m.appendBufferedEvents)], ...k],
    });
  }
  return out;
}

export class CassandraExecutionStore implements ExecutionStore {
  constructor(private readonly cx: CassandraContext) {}

  private async conditionalBatch(
    name: string,
    statements: { query: string; params: Params }[],
    expected: ExpectedConditions,
  ): Promise<void> {
    const rs = await this.cx.batch(name, statements, true);
    if (rs.wasApplied()) {
      this.cx.settle(rs);
      return;
    }
    const err = classifyNotApplied(rs.rows, expected);
    this.cx.settle(rs, err);
    throw err;
  }

  async createWorkflowExecution(req: CreateExecutionRequest): Promise<void> {
    const { shardId, key } = req;
    const current =
      req.mode.kind === 'brand-new'
        ? currentInsert(shardId, key, req.current)
        : currentUpdate(shardId, key, req.current, 'current_run_id = ? AND workflow_state = ?', [
            req.mode.previousRunId,
            COMPLETED_STATE,
          ]);
    await this.conditionalBatch(
      'execution.create',
      [
        current,
        executionInsert(shardId, key, req.execution, req.current),
        ...req.tasks.map((t) => taskInsert(shardId, t)),
        shardFence(shardId, req.rangeId),
      ],
      {
        shardId,
        rangeId: req.rangeId,
        runId: key.runId,
        ...(req.mode.kind === 'brand-new'
          ? { currentMustNotExist: true }
          : { currentRunId: req.mode.previousRunId, currentState: COMPLETED_STATE }),
      },
    );
  }

  async updateWorkflowExecution(req: UpdateExecutionRequest): Promise<void> {
    const { shardId, key } = req;
    const statements: { query: string; params: Params }[] = [];
    if (req.mode === 'update-current' && req.current) {
      const newCurrent = req.newRun ? req.newRun.current : req.current;
      statements.push(currentUpdate(shardId, key, newCurrent, 'current_run_id = ?', [key.runId]));
    }
    statements.push(...mutationStatements(shardId, key, req.mutation, req.current));
    if (req.newRun) statements.push(executionInsert(shardId, req.newRun.key, req.newRun.execution, req.newRun.current));
    statements.push(...req.tasks.map((t) => taskInsert(shardId, t)), shardFence(shardId, req.rangeId));
    await this.conditionalBatch('execution.update', statements, {
      shardId,
      rangeId: req.rangeId,
      runId: key.runId,
      dbRecordVersion: req.mutation.dbRecordVersion - 1,
      ...(req.mode === 'update-current' ? { currentRunId: key.runId } : {}),
    });
  }

  async getWorkflowExecution(shardId: number, key: WorkflowKey): Promise<ExecutionRow | undefined> {
    const rs = await this.cx.execute(
      'execution.get',
      `SELECT execution, execution_state, next_event_id, db_record_version, activity_map, timer_map, signal_requested, buffered_events_list FROM executions WHERE ${ROW_KEY}`,
      execKey(shardId, key),
      { write: false, conditional: false },
    );
    const row = rs.first();
    return row ? this.toExecutionRow(row) : undefined;
  }

  private toExecutionRow(row: cassandra.types.Row): ExecutionRow {
    const state = decodeRecord<ExecutionState>(asBuffer(row.get('execution_state')));
    const buffered = (row.get('buffered_events_list') as { data: Buffer }[] | null) ?? [];
    return {
      blob: asBuffer(row.get('execution')),
      state: state.state,
      status: state.status,
      nextEventId: asNumber(row.get('next_event_id')),
      dbRecordVersion: asNumber(row.get('db_record_version')),
      activities: mapOf(row.get('activity_map'), asNumber),
      timers: mapOf(row.get('timer_map'), asString),
      signalRequested: new Set((row.get('signal_requested') as Set<string> | null) ?? []),
      bufferedEvents: buffered.map((b) => b.data),
    };
  }

  async getCurrentExecution(shardId: number, namespaceId: string, workflowId: string): Promise<CurrentRow | undefined> {
    const rs = await this.cx.execute(
      'current.get',
      `SELECT current_run_id, execution_state, workflow_state FROM executions WHERE ${ROW_KEY}`,
      currentKey(shardId, namespaceId, workflowId),
      { write: false, conditional: false },
    );
    const row = rs.first();
    if (!row) return undefined;
    const s = decodeRecord<ExecutionState>(asBuffer(row.get('execution_state')));
    return {
      runId: asString(row.get('current_run_id')),
      createRequestId: s.createRequestId,
      state: asNumber(row.get('workflow_state')),
      status: s.status,
      startTimeMs: s.startTimeMs,
    };
  }

  async deleteWorkflowExecution(shardId: number, key: WorkflowKey): Promise<void> {
    await this.cx.execute('execution.delete', `DELETE FROM executions WHERE ${ROW_KEY}`, execKey(shardId, key), {
      write: true,
      conditional: false,
    });
  }

  async deleteCurrentExecution(shardId: number, namespaceId: string, workflowId: string, runId: string): Promise<void> {
    const rs = await this.cx.execute(
      'current.delete',
      `DELETE FROM executions WHERE ${ROW_KEY} IF current_run_id = ?`,
      [...currentKey(shardId, namespaceId, workflowId), runId],
      {
        write: true,
        conditional: true,
      },
    );
    // Not applied: another run is current now; leaving it is the point.
    this.cx.settle(rs);
  }

  private taskPrefix(shardId: number, category: 'transfer' | 'visibility' | 'timer'): { cond: string; params: Params } {
    const ids = TASK_ROWS[category];
    return {
      cond: 'shard_id = ? AND type = ? AND namespace_id = ? AND workflow_id = ? AND run_id = ?',
      params: [shardId, TASK_ROW_TYPE[category], ids.namespaceId, ids.workflowId, ids.runId],
    };
  }

  async getTransferTasks(
    shardId: number,
    category: 'transfer' | 'visibility',
    range: TaskRange,
  ): Promise<HistoryTaskRow[]> {
    const p = this.taskPrefix(shardId, category);
    const [data] = TASK_COLUMN[category];
    const rs = await this.cx.execute(
      `tasks.${category}.read`,
      `SELECT task_id, ${data} FROM executions WHERE ${p.cond} AND visibility_ts = ? AND task_id > ? AND task_id < ? LIMIT ?`,
      [...p.params, DEFAULT_VISIBILITY_TS, range.minTaskId, range.maxTaskId, range.pageSize],
      { write: false, conditional: false },
    );
    return rs.rows.map((r) => ({
      category,
      taskId: asNumber(r.get('task_id')),
      visibilityTimeMs: 0,
      blob: asBuffer(r.get(data)),
    }));
  }

  async getTimerTasks(shardId: number, range: TimerRange): Promise<HistoryTaskRow[]> {
    const p = this.taskPrefix(shardId, 'timer');
    const out: HistoryTaskRow[] = [];
    const toRow = (r: cassandra.types.Row): HistoryTaskRow => ({
      category: 'timer',
      taskId: asNumber(r.get('task_id')),
      visibilityTimeMs: asNumber(r.get('visibility_ts')),
      blob: asBuffer(r.get('timer')),
    });
    let from = range.minFireTimeMs;
    if (range.after) {
      // The rest of the tasks at the fire time we stopped at, then everything later (no tuple relations: 2.1-safe).
      const same = await this.cx.execute(
        'tasks.timer.read',
        `SELECT visibility_ts, task_id, timer FROM executions WHERE ${p.cond} AND visibility_ts = ? AND task_id > ? LIMIT ?`,
        [...p.params, range.after.fireTimeMs, range.after.taskId, range.pageSize],
        { write: false, conditional: false },
      );
      out.push(...same.rows.map(toRow));
      from = range.after.fireTimeMs + 1;
    }
    if (out.length < range.pageSize && from < range.maxFireTimeMs) {
      const rs = await this.cx.execute(
        'tasks.timer.read',
        `SELECT visibility_ts, task_id, timer FROM executions WHERE ${p.cond} AND visibility_ts >= ? AND visibility_ts < ? LIMIT ?`,
        [...p.params, from, range.maxFireTimeMs, range.pageSize - out.length],
        { write: false, conditional: false },
      );
      out.push(...rs.rows.map(toRow));
    }
    return out;
  }

  async rangeCompleteTransferTasks(
    shardId: number,
    category: 'transfer' | 'visibility',
    exclusiveMaxTaskId: number,
  ): Promise<void> {
    const p = this.taskPrefix(shardId, category);
    if (this.cx.rangeDeletes) {
      await this.cx.execute(
        `tasks.${category}.range_delete`,
        `DELETE FROM executions WHERE ${p.cond} AND visibility_ts = ? AND task_id < ?`,
        [...p.params, DEFAULT_VISIBILITY_TS, exclusiveMaxTaskId],
        {
          write: true,
          conditional: false,
        },
      );
      return;
    }
    // Cassandra 2.1 has no range deletes on clustering columns: read the ids, delete row by row.
    for (;;) {
      const rs = await this.cx.execute(
        `tasks.${category}.read`,
        `SELECT task_id FROM executions WHERE ${p.cond} AND visibility_ts = ? AND task_id < ? LIMIT 500`,
        [...p.params, DEFAULT_VISIBILITY_TS, exclusiveMaxTaskId],
        { write: false, conditional: false },
      );
      if (rs.rows.length === 0) return;
      await this.deleteRows(
        `tasks.${category}.delete`,
        p,
        rs.rows.map((r): unknown[] => [DEFAULT_VISIBILITY_TS, r.get('task_id')]),
      );
      if (rs.rows.length < 500) return;
    }
  }

  async rangeCompleteTimerTasks(shardId: number, exclusiveMax: { fireTimeMs: number; taskId: number }): Promise<void> {
    const p = this.taskPrefix(shardId, 'timer');
    if (this.cx.rangeDeletes) {
      await this.cx.execute(
        'tasks.timer.range_delete',
        `DELETE FROM executions WHERE ${p.cond} AND visibility_ts < ?`,
        [...p.params, exclusiveMax.fireTimeMs],
        { write: true, conditional: false },
      );
      return;
    }
    for (;;) {
      const rs = await this.cx.execute(
        'tasks.timer.read',
        `SELECT visibility_ts, task_id FROM executions WHERE ${p.cond} AND visibility_ts < ? LIMIT 500`,
        [...p.params, exclusiveMax.fireTimeMs],
        {
          write: false,
          conditional: false,
        },
      );
      if (rs.rows.length === 0) return;
      await this.deleteRows(
        'tasks.timer.delete',
        p,
        rs.rows.map((r): unknown[] => [r.get('visibility_ts'), r.get('task_id')]),
      );
      if (rs.rows.length < 500) return;
    }
  }

  private async deleteRows(name: string, p: { cond: string; params: Params }, keys: unknown[][]): Promise<void> {
    for (let i = 0; i < keys.length; i += 50) {
      const chunk = keys.slice(i, i + 50);
      await this.cx.batch(
        name,
        chunk.map(([ts, id]) => ({
          query: `DELETE FROM executions WHERE ${p.cond} AND visibility_ts = ? AND task_id = ?`,
          params: [...p.params, ts, id],
        })),
        false,
      );
    }
  }

  async listExecutions(
    shardId: number,
    pageSize: number,
    pageToken: Uint8Array | undefined,
  ): Promise<{ items: { key: WorkflowKey; row: ExecutionRow }[]; nextPageToken: Uint8Array | undefined }> {
    const rs = await this.cx.execute(
      'execution.scan',
      `SELECT namespace_id, workflow_id, run_id, execution, execution_state, next_event_id, db_record_version, activity_map, timer_map, signal_requested, buffered_events_list FROM executions WHERE shard_id = ? AND type = ?`,
      [shardId, RowType.Execution],
      {
        write: false,
        conditional: false,
        fetchSize: pageSize,
        ...(pageToken ? { pageState: Buffer.from(pageToken).toString('hex') } : {}),
      },
    );
    const items = rs.rows
      .filter((r) => asString(r.get('run_id')) !== CURRENT_RUN_ID)
      .map((r) => ({
        key: {
          namespaceId: asString(r.get('namespace_id')),
          workflowId: asString(r.get('workflow_id')),
          runId: asString(r.get('run_id')),
        },
        row: this.toExecutionRow(r),
      }));
    return { items, nextPageToken: rs.pageState ? Buffer.from(rs.pageState, 'hex') : undefined };
  }
}
