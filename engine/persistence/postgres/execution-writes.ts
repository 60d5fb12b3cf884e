/**
 * The statements of a workflow transaction, run inside it: the execution row and its maps (one row per activity,
 * timer and requested signal, one per buffered event batch, as Temporal keeps them), the current row, and the
 * history tasks. Map upserts and deletes of one kind are one statement each (unnest of arrays), whatever their
 * number, so a transaction's statement count follows what changed, not how much.
 */
import { ConditionFailedError, WorkflowConditionFailedError } from '../errors.js';
import type { WorkflowKey } from '../records.js';
import { encodeRecord } from '../serialization.js';
import type { CurrentRow, ExecutionMutationRow, ExecutionRow, HistoryTaskRow } from '../store.js';
import type { Queryable } from './context.js';
import { CATEGORY } from './schema.js';
import { ENCODING, EVENTS_ENCODING, buf, tsFromMs } from './values.js';

export const RUN = 'shard_id = $1 AND namespace_id = $2 AND workflow_id = $3 AND run_id = $4';
const RUN_COLS = 'shard_id, namespace_id, workflow_id, run_id';

export function runKey(shardId: number, k: WorkflowKey): [number, string, string, string] {
  return [shardId, k.namespaceId, k.workflowId, k.runId];
}

/** executions.state: the run's WorkflowExecutionState (as Temporal keeps it there and in current_executions.data). */
export function stateBlob(c: CurrentRow): Buffer {
  return buf(
    encodeRecord({
      runId: c.runId,
      createRequestId: c.createRequestId,
      state: c.state,
      status: c.status,
      startTimeMs: c.startTimeMs,
    }),
  );
}

export async function insertExecution(
  tx: Queryable,
  shardId: number,
  key: WorkflowKey,
  e: ExecutionRow,
  c: CurrentRow,
  /** Continue-as-new's next run: its existing already is a plain condition failure (the run updated is not it). */
  asNewRun = false,
): Promise<void> {
  const k = runKey(shardId, key);
  const r = await tx.query(
    'execution.insert',
    `INSERT INTO executions (${RUN_COLS}, next_event_id, last_write_version, data, data_encoding, state, state_encoding, db_record_version) VALUES ($1, $2, $3, $4, $5, 0, $6, $7, $8, $7, $9) ON CONFLICT DO NOTHING`,
    [...k, e.nextEventId, buf(e.blob), ENCODING, stateBlob(c), e.dbRecordVersion],
  );
  if (r.rowCount !== 1) {
    const why = `run ${key.runId} already exists`;
    throw asNewRun ? new ConditionFailedError(why) : new WorkflowConditionFailedError(why);
  }
  await upsertActivities(tx, k, e.activities);
  await upsertTimers(tx, k, e.timers);
  await addSignals(tx, k, [...e.signalRequested]);
  for (const b of e.bufferedEvents) await appendBuffered(tx, k, b);
}

async function upsertActivities(tx: Queryable, k: unknown[], m: Map<number, Uint8Array | string>): Promise<void> {
  if (m.size === 0) return;
  await tx.query(
    'execution.activities.upsert',
    `INSERT INTO activity_info_maps (${RUN_COLS}, schedule_id, data, data_encoding) SELECT $1, $2, $3, $4, a.id, a.data, $7 FROM unnest($5::bigint[], $6::bytea[]) AS a(id, data) ON CONFLICT (${RUN_COLS}, schedule_id) DO UPDATE SET data = EXCLUDED.data`,
    [...k, [...m.keys()], [...m.values()].map(buf), ENCODING],
  );
}

async function upsertTimers(tx: Queryable, k: unknown[], m: Map<string, Uint8Array | string>): Promise<void> {
  if (m.size === 0) return;
  await tx.query(
    'execution.timers.upsert',
    `INSERT INTO timer_info_maps (${RUN_COLS}, timer_id, data, data_encoding) SELECT $1, $2, $3, $4, t.id, t.data, $7 FROM unnest($5::varchar[], $6::bytea[]) AS t(id, data) ON CONFLICT (${RUN_COLS}, timer_id) DO UPDATE SET data = EXCLUDED.data`,
    [...k, [...m.keys()], [...m.values()].map(buf), ENCODING],
  );
}

async function addSignals(tx: Queryable, k: unknown[], ids: string[]): Promise<void> {
  if (ids.length === 0) return;
  await tx.query(
    'execution.signals.add',
    `INSERT INTO signals_requested_sets (${RUN_COLS}, signal_id) SELECT $1, $2, $3, $4, s FROM unnest($5::varchar[]) AS s ON CONFLICT DO NOTHING`,
    [...k, ids],
  );
}

async function appendBuffered(tx: Queryable, k: unknown[], batch: Uint8Array): Promise<void> {
  await tx.query(
    'execution.buffered.append',
    `INSERT INTO buffered_events (${RUN_COLS}, data, data_encoding) VALUES ($1, $2, $3, $4, $5, $6)`,
    [...k, buf(batch), EVENTS_ENCODING],
  );
}

/** The execution row rewritten (its version already checked under the row lock) and the maps changed. */
export async function applyMutation(
  tx: Queryable,
  shardId: number,
  key: WorkflowKey,
  m: ExecutionMutationRow,
  c: CurrentRow | undefined,
): Promise<void> {
  const k = runKey(shardId, key);
  const state = c ?? { runId: key.runId, createRequestId: '', state: m.state, status: m.status, startTimeMs: 0 };
  await tx.query(
    'execution.write',
    `UPDATE executions SET next_event_id = $5, data = $6, state = $7, db_record_version = $8 WHERE ${RUN}`,
    [...k, m.nextEventId, buf(m.blob), stateBlob({ ...state, state: m.state, status: m.status }), m.dbRecordVersion],
  );
  await upsertActivities(tx, k, m.upsertActivities);
  if (m.deleteActivities.length > 0)
    await tx.query(
      'execution.activities.delete',
      `DELETE FROM activity_info_maps WHERE ${RUN} AND schedule_id = ANY($5::bigint[])`,
      [...k, m.deleteActivities],
    );
  await upsertTimers(tx, k, m.upsertTimers);
  if (m.deleteTimers.length > 0)
    await tx.query(
      'execution.timers.delete',
      `DELETE FROM timer_info_maps WHERE ${RUN} AND timer_id = ANY($5::varchar[])`,
      [...k, m.deleteTimers],
    );
  await addSignals(tx, k, m.addSignalRequested);
  if (m.deleteSignalRequested.length > 0)
    await tx.query(
      'execution.signals.delete',
      `DELETE FROM signals_requested_sets WHERE ${RUN} AND signal_id = ANY($5::varchar[])`,
      [...k, m.deleteSignalRequested],
    );
  if (m.clearBufferedEvents) await tx.query('execution.buffered.clear', `DELETE FROM buffered_events WHERE ${RUN}`, k);
  if (m.appendBufferedEvents) await appendBuffered(tx, k, m.appendBufferedEvents);
}

/** History tasks: transfer and visibility into history_immediate_tasks, timers into history_scheduled_tasks. */
export async function insertTasks(tx: Queryable, shardId: number, tasks: HistoryTaskRow[]): Promise<void> {
  const immediate = tasks.filter((t) => t.category !== 'timer');
  const scheduled = tasks.filter((t) => t.category === 'timer');
  if (immediate.length > 0)
    await tx.query(
      'tasks.immediate.insert',
      'INSERT INTO history_immediate_tasks (shard_id, category_id, task_id, data, data_encoding) SELECT $1, t.category, t.id, t.data, $5 FROM unnest($2::int[], $3::bigint[], $4::bytea[]) AS t(category, id, data)',
      [
        shardId,
        immediate.map((t) => CATEGORY[t.category]),
        immediate.map((t) => t.taskId),
        immediate.map((t) => buf(t.blob)),
        ENCODING,
      ],
    );
  if (scheduled.length > 0)
    await tx.query(
      'tasks.scheduled.insert',
      `INSERT INTO history_scheduled_tasks (shard_id, category_id, visibility_timestamp, task_id, data, data_encoding) SELECT $1, ${CATEGORY.timer}, TIMESTAMP 'epoch' + t.ms * INTERVAL '1 millisecond', t.id, t.data, $5 FROM unnest($2::float8[], $3::bigint[], $4::bytea[]) AS t(ms, id, data)`,
      [
        shardId,
        scheduled.map((t) => t.visibilityTimeMs),
        scheduled.map((t) => t.taskId),
        scheduled.map((t) => buf(t.blob)),
        ENCODING,
      ],
    );
}

/** The current row written anew (create) or moved (update, continue-as-new, reuse of a closed id). */
export async function writeCurrent(
  tx: Queryable,
  shardId: number,
  key: WorkflowKey,
  c: CurrentRow,
  insert: boolean,
): Promise<number> {
  const params = [
    shardId,
    key.namespaceId,
    key.workflowId,
    c.runId,
    c.createRequestId,
    c.state,
    c.status,
    c.startTimeMs,
    stateBlob(c),
    ENCODING,
  ];
  const r = insert
    ? await tx.query(
        'current.insert',
        `INSERT INTO current_executions (shard_id, namespace_id, workflow_id, run_id, create_request_id, state, status, start_time, last_write_version, data, data_encoding) VALUES ($1, $2, $3, $4, $5, $6, $7, ${tsFromMs(8)}, 0, $9, $10) ON CONFLICT DO NOTHING`,
        params,
      )
    : await tx.query(
        'current.write',
        `UPDATE current_executions SET run_id = $4, create_request_id = $5, state = $6, status = $7, start_time = ${tsFromMs(8)}, data = $9, data_encoding = $10 WHERE shard_id = $1 AND namespace_id = $2 AND workflow_id = $3`,
        params,
      );
  return r.rowCount ?? 0;
}
