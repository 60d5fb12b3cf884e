/**
 * Executions on PostgreSQL, the way Temporal's SQL store writes them: every workflow transaction is one SQL
 * transaction that read-locks the shard row and checks its range_id, write-locks the current row and checks which
 * run it names, write-locks the execution row and checks db_record_version, then writes state, maps and tasks.
 * A condition found false rolls the transaction back and is thrown as the same error Cassandra's would be.
 */
import { ConditionFailedError, CurrentWorkflowConditionFailedError, WorkflowConditionFailedError } from '../errors.js';
import type { WorkflowKey } from '../records.js';
import { decodeRecord } from '../serialization.js';
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
import type { PgContext, Queryable } from './context.js';
import { RUN, applyMutation, insertExecution, insertTasks, runKey, writeCurrent } from './execution-writes.js';
import { CATEGORY } from './schema.js';
import { readLockShard } from './shards.js';
import { msFromTs, num, tsFromMs } from './values.js';

const COMPLETED_STATE = 3;
const CURRENT = 'shard_id = $1 AND namespace_id = $2 AND workflow_id = $3';

type CurrentDbRow = {
  run_id: string;
  create_request_id: string;
  state: number;
  status: number;
  start_ms: number | null;
};
const CURRENT_COLS = `run_id, create_request_id, state, status, ${msFromTs('start_time')} AS start_ms`;

function toCurrent(r: CurrentDbRow): CurrentRow {
  return {
    runId: r.run_id,
    createRequestId: r.create_request_id,
    state: r.state,
    status: r.status,
    startTimeMs: r.start_ms === null ? 0 : num(r.start_ms),
  };
}

function currentFailed(c: CurrentRow | undefined, why: string): CurrentWorkflowConditionFailedError {
  return new CurrentWorkflowConditionFailedError(
    `${why}: current run is ${c?.runId ?? 'none'}`,
    c?.runId,
    c?.state,
    c?.status,
    c?.createRequestId,
  );
}

/** Temporal's lockCurrentExecution: the current row, write-locked. */
async function lockCurrent(tx: Queryable, shardId: number, k: WorkflowKey): Promise<CurrentRow | undefined> {
  const r = await tx.query<CurrentDbRow>(
    'current.lock',
    `SELECT ${CURRENT_COLS} FROM current_executions WHERE ${CURRENT} FOR UPDATE`,
    [shardId, k.namespaceId, k.workflowId],
  );
  return r.rows[0] ? toCurrent(r.rows[0]) : undefined;
}

/** Temporal's lockAndCheckExecution: the execution row write-locked, its db_record_version compared. */
async function lockAndCheckExecution(tx: Queryable, shardId: number, k: WorkflowKey, expected: number): Promise<void> {
  const r = await tx.query<{ db_record_version: string }>(
    'execution.lock',
    `SELECT db_record_version, next_event_id FROM executions WHERE ${RUN} FOR UPDATE`,
    runKey(shardId, k),
  );
  const row = r.rows[0];
  if (!row) throw new ConditionFailedError(`run ${k.runId} not found`);
  const actual = num(row.db_record_version);
  if (actual !== expected)
    throw new WorkflowConditionFailedError(`expected db_record_version ${expected}, found ${actual}`, actual);
}

type ExecDbRow = {
  namespace_id: string;
  workflow_id: string;
  run_id: string;
  data: Buffer;
  state: Buffer;
  next_event_id: string;
  db_record_version: string;
  activity_ids: string[];
  activity_data: Buffer[];
  timer_ids: string[];
  timer_data: Buffer[];
  signals: string[];
  buffered: Buffer[];
};

/** An execution row with its maps gathered by correlated sub-selects: one round trip per run read. */
const EXEC_SELECT = `SELECT e.namespace_id, e.workflow_id, e.run_id, e.data, e.state, e.next_event_id, e.db_record_version,
 ARRAY(SELECT schedule_id FROM activity_info_maps m WHERE m.shard_id = e.shard_id AND m.namespace_id = e.namespace_id AND m.workflow_id = e.workflow_id AND m.run_id = e.run_id ORDER BY schedule_id) AS activity_ids,
 ARRAY(SELECT data FROM activity_info_maps m WHERE m.shard_id = e.shard_id AND m.namespace_id = e.namespace_id AND m.workflow_id = e.workflow_id AND m.run_id = e.run_id ORDER BY schedule_id) AS activity_data,
 ARRAY(SELECT timer_id FROM timer_info_maps m WHERE m.shard_id = e.shard_id AND m.namespace_id = e.namespace_id AND m.workflow_id = e.workflow_id AND m.run_id = e.run_id ORDER BY timer_id) AS timer_ids,
 ARRAY(SELECT data FROM timer_info_maps m WHERE m.shard_id = e.shard_id AND m.namespace_id = e.namespace_id AND m.workflow_id = e.workflow_id AND m.run_id = e.run_id ORDER BY timer_id) AS timer_data,
 ARRAY(SELECT signal_id FROM signals_requested_sets m WHERE m.shard_id = e.shard_id AND m.namespace_id = e.namespace_id AND m.workflow_id = e.workflow_id AND m.run_id = e.run_id) AS signals,
 ARRAY(SELECT data FROM buffered_events m WHERE m.shard_id = e.shard_id AND m.namespace_id = e.namespace_id AND m.workflow_id = e.workflow_id AND m.run_id = e.run_id ORDER BY id) AS buffered
 FROM executions e`;

function toExecution(r: ExecDbRow): ExecutionRow {
  const s = decodeRecord<{ state: number; status: number }>(r.state);
  return {
    blob: r.data,
    state: s.state,
    status: s.status,
    nextEventId: num(r.next_event_id),
    dbRecordVersion: num(r.db_record_version),
    activities: new Map(r.activity_ids.map((id, i) => [num(id), r.activity_data[i] ?? Buffer.alloc(0)])),
    timers: new Map(r.timer_ids.map((id, i) => [id, r.timer_data[i] ?? Buffer.alloc(0)])),
    signalRequested: new Set(r.signals),
    bufferedEvents: r.buffered,
  };
}

export class PgExecutionStore implements ExecutionStore {
  constructor(private readonly cx: PgContext) {}

  async createWorkflowExecution(req: CreateExecutionRequest): Promise<void> {
    const { shardId, key } = req;
    await this.cx.transaction('execution.create', async (tx) => {
      await readLockShard(tx, shardId, req.rangeId);
      const current = await lockCurrent(tx, shardId, key);
      if (req.mode.kind === 'brand-new') {
        if (current) throw currentFailed(current, 'workflow already exists');
        if ((await writeCurrent(tx, shardId, key, req.current, true)) !== 1) {
          // Another transaction inserted it since (FOR UPDATE locks no row that is not there yet): read what won.
          throw currentFailed(await this.readCurrent(tx, shardId, key), 'workflow already exists');
        }
      } else {
        const prev = req.mode.previousRunId;
        if (current?.runId !== prev || current.state !== COMPLETED_STATE)
          throw currentFailed(current, `expected closed current run ${prev}`);
        await writeCurrent(tx, shardId, key, req.current, false);
      }
      await insertExecution(tx, shardId, key, req.execution, req.current);
      await insertTasks(tx, shardId, req.tasks);
    });
  }

  async updateWorkflowExecution(req: UpdateExecutionRequest): Promise<void> {
    const { shardId, key } = req;
    await this.cx.transaction('execution.update', async (tx) => {
      await readLockShard(tx, shardId, req.rangeId);
      if (req.mode === 'update-current') {
        const current = await lockCurrent(tx, shardId, key);
        if (current?.runId !== key.runId) throw currentFailed(current, `expected current run ${key.runId}`);
      }
      await lockAndCheckExecution(tx, shardId, key, req.mutation.dbRecordVersion - 1);
      await applyMutation(tx, shardId, key, req.mutation, req.current);
      if (req.newRun)
        await insertExecution(tx, shardId, req.newRun.key, req.newRun.execution, req.newRun.current, true);
      if (req.mode === 'update-current' && req.current) {
        const next = req.newRun ? req.newRun.current : req.current;
        await writeCurrent(tx, shardId, key, next, false);
      }
      await insertTasks(tx, shardId, req.tasks);
    });
  }

  private async readCurrent(q: Queryable, shardId: number, k: WorkflowKey): Promise<CurrentRow | undefined> {
    const r = await q.query<CurrentDbRow>(
      'current.get',
      `SELECT ${CURRENT_COLS} FROM current_executions WHERE ${CURRENT}`,
      [shardId, k.namespaceId, k.workflowId],
    );
    return r.rows[0] ? toCurrent(r.rows[0]) : undefined;
  }

  async getWorkflowExecution(shardId: number, key: WorkflowKey): Promise<ExecutionRow | undefined> {
    const r = await this.cx.query<ExecDbRow>(
      'execution.get',
      `${EXEC_SELECT} WHERE e.shard_id = $1 AND e.namespace_id = $2 AND e.workflow_id = $3 AND e.run_id = $4`,
      runKey(shardId, key),
    );
    return r.rows[0] ? toExecution(r.rows[0]) : undefined;
  }

  getCurrentExecution(shardId: number, namespaceId: string, workflowId: string): Promise<CurrentRow | undefined> {
    return this.readCurrent(this.cx, shardId, { namespaceId, workflowId, runId: '' });
  }

  async deleteWorkflowExecution(shardId: number, key: WorkflowKey): Promise<void> {
    // Like Temporal's DeleteWorkflowExecution: the row and its maps, not conditioned.
    await this.cx.transaction(
      'execution.delete',
      async (tx) => {
        const k = runKey(shardId, key);
        for (const table of [
          'executions',
          'activity_info_maps',
          'timer_info_maps',
          'signals_requested_sets',
          'buffered_events',
        ])
          await tx.query(`execution.delete.${table}`, `DELETE FROM ${table} WHERE ${RUN}`, k);
      },
      false,
    );
  }

  async deleteCurrentExecution(shardId: number, namespaceId: string, workflowId: string, runId: string): Promise<void> {
    // Another run current by now: nothing matches, and leaving it is the point.
    await this.cx.query('current.delete', `DELETE FROM current_executions WHERE ${CURRENT} AND run_id = $4`, [
      shardId,
      namespaceId,
      workflowId,
      runId,
    ]);
  }

  async getTransferTasks(
    shardId: number,
    category: 'transfer' | 'visibility',
    range: TaskRange,
  ): Promise<HistoryTaskRow[]> {
    const r = await this.cx.query<{ task_id: string; data: Buffer }>(
      `tasks.${category}.read`,
      'SELECT task_id, data FROM history_immediate_tasks WHERE shard_id = $1 AND category_id = $2 AND task_id > $3 AND task_id < $4 ORDER BY task_id LIMIT $5',
      [shardId, CATEGORY[category], range.minTaskId, range.maxTaskId, range.pageSize],
    );
    return r.rows.map((x) => ({ category, taskId: num(x.task_id), visibilityTimeMs: 0, blob: x.data }));
  }

  async getTimerTasks(shardId: number, range: TimerRange): Promise<HistoryTaskRow[]> {
    const base = `SELECT ${msFromTs('visibility_timestamp')} AS ms, task_id, data FROM history_scheduled_tasks WHERE shard_id = $1 AND category_id = ${CATEGORY.timer} AND visibility_timestamp >= ${tsFromMs(2)} AND visibility_timestamp < ${tsFromMs(3)}`;
    type Row = { ms: number; task_id: string; data: Buffer };
    const r = range.after
      ? await this.cx.query<Row>(
          'tasks.timer.read',
          `${base} AND (visibility_timestamp, task_id) > (${tsFromMs(4)}, $5) ORDER BY visibility_timestamp, task_id LIMIT $6`,
          [
            shardId,
            range.minFireTimeMs,
            range.maxFireTimeMs,
            range.after.fireTimeMs,
            range.after.taskId,
            range.pageSize,
          ],
        )
      : await this.cx.query<Row>('tasks.timer.read', `${base} ORDER BY visibility_timestamp, task_id LIMIT $4`, [
          shardId,
          range.minFireTimeMs,
          range.maxFireTimeMs,
          range.pageSize,
        ]);
    return r.rows.map((x) => ({
      category: 'timer',
      taskId: num(x.task_id),
      visibilityTimeMs: num(x.ms),
      blob: x.data,
    }));
  }

  async rangeCompleteTransferTasks(
    shardId: number,
    category: 'transfer' | 'visibility',
    exclusiveMaxTaskId: number,
  ): Promise<void> {
    await this.cx.query(
      `tasks.${category}.range_delete`,
      'DELETE FROM history_immediate_tasks WHERE shard_id = $1 AND category_id = $2 AND task_id < $3',
      [shardId, CATEGORY[category], exclusiveMaxTaskId],
    );
  }

  async rangeCompleteTimerTasks(shardId: number, exclusiveMax: { fireTimeMs: number; taskId: number }): Promise<void> {
    await this.cx.query(
      'tasks.timer.range_delete',
      `DELETE FROM history_scheduled_tasks WHERE shard_id = $1 AND category_id = ${CATEGORY.timer} AND (visibility_timestamp, task_id) < (${tsFromMs(2)}, $3)`,
      [shardId, exclusiveMax.fireTimeMs, exclusiveMax.taskId],
    );
  }

  async listExecutions(
    shardId: number,
    pageSize: number,
    pageToken: Uint8Array | undefined,
  ): Promise<{ items: { key: WorkflowKey; row: ExecutionRow }[]; nextPageToken: Uint8Array | undefined }> {
    const after = pageToken ? decodeListToken(pageToken) : undefined;
    const r = after
      ? await this.cx.query<ExecDbRow>(
          'execution.scan',
          `${EXEC_SELECT} WHERE e.shard_id = $1 AND (e.namespace_id, e.workflow_id, e.run_id) > ($2, $3, $4) ORDER BY e.namespace_id, e.workflow_id, e.run_id LIMIT $5`,
          [shardId, ...after, pageSize],
        )
      : await this.cx.query<ExecDbRow>(
          'execution.scan',
          `${EXEC_SELECT} WHERE e.shard_id = $1 ORDER BY e.namespace_id, e.workflow_id, e.run_id LIMIT $2`,
          [shardId, pageSize],
        );
    const items = r.rows.map((x) => ({
      key: { namespaceId: x.namespace_id, workflowId: x.workflow_id, runId: x.run_id },
      row: toExecution(x),
    }));
    const last = items[items.length - 1];
    return {
      items,
      nextPageToken:
        last && items.length === pageSize
          ? Buffer.from(JSON.stringify([last.key.namespaceId, last.key.workflowId, last.key.runId]))
          : undefined,
    };
  }
}

function decodeListToken(t: Uint8Array): [string, string, string] {
  const v: unknown = JSON.parse(Buffer.from(t).toString('utf8'));
  if (!Array.isArray(v) || v.length !== 3 || !v.every((x) => typeof x === 'string'))
    throw new ConditionFailedError('invalid execution scan page token');
  return [v[0] as string, v[1] as string, v[2] as string];
}
