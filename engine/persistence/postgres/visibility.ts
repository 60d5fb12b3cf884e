/**
 * Visibility in PostgreSQL, as Temporal keeps it there: one executions_visibility row per run (search attributes
 * in a JSONB column, memo beside it), written by the shards' visibility tasks and read by List/Count with the
 * list filter (engine/visibility/query/, bound to the namespace's search attributes). It outlives the engine: list
 * and count after a restart read what is stored.
 * A row only moves forward: `_version` is the history length, and an older summary does not overwrite a newer.
 */
import { compileFilter } from '../../visibility/query/bind.js';
import {
  selectRecords,
  statusGroups,
  type QueryScope,
  type VisibilityRecord,
} from '../../visibility/visibility-store.js';
import type { VisibilityBackend } from '../store.js';
import type { PgContext } from './context.js';
import { msFromTs, num, tsFromMs } from './values.js';

type Row = {
  workflow_id: string;
  run_id: string;
  workflow_type_name: string;
  task_queue: string;
  status: number;
  start_ms: number;
  execution_ms: number;
  close_ms: number | null;
  history_length: string;
  history_size_bytes: string;
  first_run_id: string;
  search_attributes: Record<string, string> | null;
  memo: Record<string, string> | null;
  namespace_id: string;
};

const COLS = `namespace_id, workflow_id, run_id, workflow_type_name, task_queue, status, ${msFromTs('start_time')} AS start_ms, ${msFromTs('execution_time')} AS execution_ms, ${msFromTs('close_time')} AS close_ms, history_length, history_size_bytes, first_run_id, search_attributes, memo`;

function toRecord(r: Row): VisibilityRecord {
  return {
    namespaceId: r.namespace_id,
    workflowId: r.workflow_id,
    runId: r.run_id,
    workflowType: r.workflow_type_name,
    taskQueue: r.task_queue,
    status: r.status,
    startTimeMs: num(r.start_ms),
    executionTimeMs: num(r.execution_ms),
    closeTimeMs: r.close_ms === null ? 0 : num(r.close_ms),
    historyLength: num(r.history_length),
    historySizeBytes: num(r.history_size_bytes),
    firstRunId: r.first_run_id,
    searchAttributes: r.search_attributes ?? {},
    memo: r.memo ?? {},
  };
}

export class PgVisibilityStore implements VisibilityBackend {
  constructor(private readonly cx: PgContext) {}

  async upsert(r: VisibilityRecord): Promise<void> {
    await this.cx.query(
      'visibility.upsert',
      `INSERT INTO executions_visibility (namespace_id, run_id, _version, start_time, execution_time, workflow_id, workflow_type_name, status, close_time, history_length, history_size_bytes, memo, encoding, task_queue, search_attributes, first_run_id)
       VALUES ($1, $2, $3, ${tsFromMs(4)}, ${tsFromMs(5)}, $6, $7, $8, CASE WHEN $9::float8 > 0 THEN ${tsFromMs(9)} END, $3, $10, $11, 'json', $12, $13, $14)
       ON CONFLICT (namespace_id, run_id) DO UPDATE SET _version = EXCLUDED._version, start_time = EXCLUDED.start_time, execution_time = EXCLUDED.execution_time, workflow_type_name = EXCLUDED.workflow_type_name, status = EXCLUDED.status, close_time = EXCLUDED.close_time, history_length = EXCLUDED.history_length, history_size_bytes = EXCLUDED.history_size_bytes, memo = EXCLUDED.memo, task_queue = EXCLUDED.task_queue, search_attributes = EXCLUDED.search_attributes
       WHERE executions_visibility._version <= EXCLUDED._version`,
      [
        r.namespaceId,
        r.runId,
        r.historyLength,
        r.startTimeMs,
        r.executionTimeMs,
        r.workflowId,
        r.workflowType,
        r.status,
        r.closeTimeMs,
        r.historySizeBytes,
        JSON.stringify(r.memo),
        r.taskQueue,
        JSON.stringify(r.searchAttributes),
        r.firstRunId,
      ],
    );
  }

  async delete(namespaceId: string, _workflowId: string, runId: string): Promise<void> {
    await this.cx.query(
      'visibility.delete',
      'DELETE FROM executions_visibility WHERE namespace_id = $1 AND run_id = $2',
      [namespaceId, runId],
    );
  }

  async list(
    namespaceId: string,
    query: string,
    scope: QueryScope,
    pageSize: number,
    offset: number,
  ): Promise<{ records: VisibilityRecord[]; nextOffset: number | undefined }> {
    const q = compileFilter(query, { custom: scope.custom, allowGroupBy: false });
    const all = selectRecords(await this.namespaceRows(namespaceId), q);
    const records = all.slice(offset, offset + pageSize);
    return { records, nextOffset: offset + pageSize < all.length ? offset + pageSize : undefined };
  }

  async count(
    namespaceId: string,
    query: string,
    scope: QueryScope,
  ): Promise<{ count: number; groups: { status: number; count: number }[] | undefined }> {
    const q = compileFilter(query, { custom: scope.custom, allowGroupBy: true });
    const matched = selectRecords(await this.namespaceRows(namespaceId), q);
    return { count: matched.length, groups: q.groupBy.length > 0 ? statusGroups(matched) : undefined };
  }

  /** Every row of the namespace, for the filter evaluated in memory. */
  private async namespaceRows(namespaceId: string): Promise<VisibilityRecord[]> {
    const r = await this.cx.query<Row>(
      'visibility.scan',
      `SELECT ${COLS} FROM executions_visibility WHERE namespace_id = $1`,
      [namespaceId],
    );
    return r.rows.map(toRecord);
  }
}
