/**
 * Visibility in PostgreSQL, as Temporal keeps it there: one executions_visibility row per run (search attributes
 * in a JSONB column, memo beside it), written by the shards' visibility tasks and read by List/Count with the
 * list filter (engine/visibility/query/, bound to the namespace's search attributes) translated to SQL
 * (visibility-sql.ts), or, for what is not translated, evaluated in memory over the namespace's rows. It outlives
 * the engine: list and count after a restart read what is stored.
 * Search attributes are kept twice: the payloads as the client sent them (returned by List) and their JSON values
 * (what queries read; Datetime strings also parsed to epoch ms, `search_attribute_times`).
 * A row only moves forward: `_version` is the history length, and an older summary does not overwrite a newer.
 */
import { api } from '../../proto.js';
import { compileFilter, type BoundQuery } from '../../visibility/query/bind.js';
import { parseDatetimeMs, payloadJson } from '../../visibility/search-attributes.js';
import {
  selectRecords,
  statusGroups,
  type QueryScope,
  type VisibilityRecord,
} from '../../visibility/visibility-store.js';
import type { VisibilityBackend } from '../store.js';
import type { PgContext } from './context.js';
import { msFromTs, num, tsFromMs } from './values.js';
import { toSql } from './visibility-sql.js';

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
  search_attribute_payloads: Record<string, string> | null;
  memo: Record<string, string> | null;
  namespace_id: string;
};

const COLS = `namespace_id, workflow_id, run_id, workflow_type_name, task_queue, status, ${msFromTs('start_time')} AS start_ms, ${msFromTs('execution_time')} AS execution_ms, ${msFromTs('close_time')} AS close_ms, history_length, history_size_bytes, first_run_id, search_attribute_payloads, memo`;

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
    searchAttributes: r.search_attribute_payloads ?? {},
    memo: r.memo ?? {},
  };
}

/** List and Count texts follow the user's filter: run unnamed, not prepared on every connection for good. */
const UNPREPARED = { prepare: false };

export class PgVisibilityStore implements VisibilityBackend {
  constructor(private readonly cx: PgContext) {}

  async upsert(r: VisibilityRecord): Promise<void> {
    const indexed = indexedValues(r.searchAttributes);
    await this.cx.query(
      'visibility.upsert',
      `INSERT INTO executions_visibility (namespace_id, run_id, _version, start_time, execution_time, workflow_id, workflow_type_name, status, close_time, history_length, history_size_bytes, memo, encoding, task_queue, search_attributes, search_attribute_payloads, search_attribute_times, first_run_id)
       VALUES ($1, $2, $3, ${tsFromMs(4)}, ${tsFromMs(5)}, $6, $7, $8, CASE WHEN $9::float8 > 0 THEN ${tsFromMs(9)} END, $3, $10, $11, 'json', $12, $13, $14, $15, $16)
       ON CONFLICT (namespace_id, run_id) DO UPDATE SET _version = EXCLUDED._version, start_time = EXCLUDED.start_time, execution_time = EXCLUDED.execution_time, workflow_type_name = EXCLUDED.workflow_type_name, status = EXCLUDED.status, close_time = EXCLUDED.close_time, history_length = EXCLUDED.history_length, history_size_bytes = EXCLUDED.history_size_bytes, memo = EXCLUDED.memo, task_queue = EXCLUDED.task_queue, search_attributes = EXCLUDED.search_attributes, search_attribute_payloads = EXCLUDED.search_attribute_payloads, search_attribute_times = EXCLUDED.search_attribute_times
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
        JSON.stringify(indexed.values),
        JSON.stringify(r.searchAttributes),
        JSON.stringify(indexed.times),
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
    const sql = toSql(q, 2);
    if (!sql) {
      const all = await this.inMemory(namespaceId, q);
      return {
        records: all.slice(offset, offset + pageSize),
        nextOffset: offset + pageSize < all.length ? offset + pageSize : undefined,
      };
    }
    const n = sql.params.length + 2;
    // One row more than the page tells whether another page follows.
    const r = await this.cx.query<Row>(
      'visibility.list',
      `SELECT ${COLS} FROM executions_visibility WHERE namespace_id = $1${sql.where} ORDER BY ${sql.orderBy} LIMIT $${n} OFFSET $${n + 1}`,
      [namespaceId, ...sql.params, pageSize + 1, offset],
      UNPREPARED,
    );
    const records = r.rows.slice(0, pageSize).map(toRecord);
    return { records, nextOffset: r.rows.length > pageSize ? offset + pageSize : undefined };
  }

  async count(
    namespaceId: string,
    query: string,
    scope: QueryScope,
  ): Promise<{ count: number; groups: { status: number; count: number }[] | undefined }> {
    const q = compileFilter(query, { custom: scope.custom, allowGroupBy: true });
    // (Count has no order, so a filter that translates at all translates here.)
    const sql = toSql({ ...q, orderBy: [] }, 2);
    if (!sql) {
      const matched = await this.inMemory(namespaceId, q);
      return { count: matched.length, groups: q.groupBy.length > 0 ? statusGroups(matched) : undefined };
    }
    if (q.groupBy.length === 0) {
      const r = await this.cx.query<{ n: string }>(
        'visibility.count',
        `SELECT count(*) AS n FROM executions_visibility WHERE namespace_id = $1${sql.where}`,
        [namespaceId, ...sql.params],
        UNPREPARED,
      );
      return { count: num(r.rows[0]?.n ?? 0), groups: undefined };
    }
    const r = await this.cx.query<{ status: number; n: string }>(
      'visibility.count',
      `SELECT status, count(*) AS n FROM executions_visibility WHERE namespace_id = $1${sql.where} GROUP BY status ORDER BY status`,
      [namespaceId, ...sql.params],
      UNPREPARED,
    );
    const groups = r.rows.map((x) => ({ status: x.status, count: num(x.n) }));
    return { count: groups.reduce((a, g) => a + g.count, 0), groups };
  }

  /** The filter evaluated in memory (query/evaluate.ts) over every row of the namespace. */
  private async inMemory(namespaceId: string, q: BoundQuery): Promise<VisibilityRecord[]> {
    return selectRecords(await this.namespaceRows(namespaceId), q);
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

/**
 * The JSON value of each attribute, as queries read it (a one-element array of a scalar unwrapped: clients send
 * scalars either way), and the epoch ms of those that are RFC 3339 datetimes.
 */
function indexedValues(payloads: Record<string, string>): {
  values: Record<string, unknown>;
  times: Record<string, number>;
} {
  const values: Record<string, unknown> = {};
  const times: Record<string, number> = {};
  for (const [name, b64] of Object.entries(payloads)) {
    const json = payloadJson(api.common.v1.Payload.decode(Buffer.from(b64, 'base64')));
    if (json === undefined || json === null) continue;
    const [only] = Array.isArray(json) && json.length === 1 ? (json as unknown[]) : [];
    const value = only !== undefined && only !== null && typeof only !== 'object' ? only : json;
    values[name] = value;
    const ms = typeof value === 'string' ? parseDatetimeMs(value) : undefined;
    if (ms !== undefined) times[name] = ms;
  }
  return { values, times };
}
