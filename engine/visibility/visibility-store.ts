/**
 * Basic visibility: one record per run, kept up to date by the shards' visibility tasks, answering
 * List/CountWorkflowExecutions with Temporal's list filter (query/: parsed, bound to the namespace's search
 * attributes, evaluated here). Kept in memory by every backend here; Temporal's Cassandra visibility is deprecated
 * upstream, and the executions table remains the source of truth (verification reads it directly).
 */
import { compileFilter, type Attribute, type BoundQuery } from './query/bind.js';
import { compileMatcher, compileOrder, type Getter } from './query/evaluate.js';
import { payloadJson, typedValue, type SearchAttributeValue } from './search-attributes.js';
import { api } from '../proto.js';

export interface VisibilityRecord {
  namespaceId: string;
  workflowId: string;
  runId: string;
  workflowType: string;
  taskQueue: string;
  /** API WorkflowExecutionStatus. */
  status: number;
  startTimeMs: number;
  executionTimeMs: number;
  closeTimeMs: number;
  historyLength: number;
  historySizeBytes: number;
  firstRunId: string;
  /** Search attributes and memo: encoded Payload (base64) by name. */
  searchAttributes: Record<string, string>;
  memo: Record<string, string>;
}

/** A record with its search attributes' JSON decoded once (queries read them many times). */
interface Row {
  record: VisibilityRecord;
  attributes: ReadonlyMap<string, unknown>;
}

/** What a query needs to know of the namespace: its custom search attributes (name -> IndexedValueType). */
export interface QueryScope {
  custom: Readonly<Record<string, number>>;
}

const getValue: Getter<Row> = (row, a) => (a.system ? systemValue(row.record, a) : customValue(row, a));

function systemValue(r: VisibilityRecord, a: Attribute): SearchAttributeValue | undefined {
  const closed = r.closeTimeMs > 0;
  switch (a.name) {
    case 'WorkflowId':
      return r.workflowId;
    case 'RunId':
      return r.runId;
    case 'WorkflowType':
      return r.workflowType;
    case 'TaskQueue':
      return r.taskQueue;
    case 'ExecutionStatus':
      return r.status;
    case 'StartTime':
      return r.startTimeMs;
    case 'ExecutionTime':
      return r.executionTimeMs;
    case 'CloseTime':
      return closed ? r.closeTimeMs : undefined;
    // Temporal's SQL visibility writes these when the execution closes (NULL while it runs).
    case 'HistoryLength':
      return closed ? r.historyLength : undefined;
    case 'HistorySizeBytes':
      return closed ? r.historySizeBytes : undefined;
    case 'ExecutionDuration':
      return closed ? Math.max(0, r.closeTimeMs - r.executionTimeMs) * 1e6 : undefined;
    default:
      return undefined;
  }
}

function customValue(row: Row, a: Attribute): SearchAttributeValue | undefined {
  const json = row.attributes.get(a.name);
  return json === undefined ? undefined : typedValue(json, a.type);
}

/**
 * Temporal's list order: open executions first, then by close time descending, start time descending, run id
 * ascending (its `ORDER BY COALESCE(close_time, max) DESC, start_time DESC, run_id`).
 */
function defaultOrder(a: Row, b: Row): number {
  const closeA = a.record.closeTimeMs || Number.MAX_SAFE_INTEGER;
  const closeB = b.record.closeTimeMs || Number.MAX_SAFE_INTEGER;
  return (
    closeB - closeA ||
    b.record.startTimeMs - a.record.startTimeMs ||
    (a.record.runId < b.record.runId ? -1 : a.record.runId > b.record.runId ? 1 : 0)
  );
}

function rowOf(r: VisibilityRecord): Row {
  const attributes = new Map<string, unknown>();
  for (const [name, b64] of Object.entries(r.searchAttributes)) {
    const json = payloadJson(api.common.v1.Payload.decode(Buffer.from(b64, 'base64')));
    if (json !== undefined && json !== null) attributes.set(name, json);
  }
  return { record: r, attributes };
}

/**
 * The records a bound filter selects, in its ORDER BY (else Temporal's list order): the in-memory evaluation, also
 * what a store falls back to over its candidate rows when it cannot translate a filter.
 */
export function selectRecords(records: Iterable<VisibilityRecord>, q: BoundQuery): VisibilityRecord[] {
  const matches = compileMatcher(q, getValue);
  const rows: Row[] = [];
  for (const r of records) {
    const row = rowOf(r);
    if (matches(row)) rows.push(row);
  }
  return rows.sort(compileOrder(q, getValue, defaultOrder)).map((row) => row.record);
}

/** Count's GROUP BY ExecutionStatus: how many records have each status. */
export function statusGroups(records: readonly VisibilityRecord[]): { status: number; count: number }[] {
  const groups = new Map<number, number>();
  for (const r of records) groups.set(r.status, (groups.get(r.status) ?? 0) + 1);
  return [...groups].map(([status, count]) => ({ status, count }));
}

export class VisibilityStore {
  private readonly byNamespace = new Map<string, Map<string, Row>>();

  upsert(r: VisibilityRecord): void {
    let ns = this.byNamespace.get(r.namespaceId);
    if (!ns) {
      ns = new Map();
      this.byNamespace.set(r.namespaceId, ns);
    }
    const key = `${r.workflowId}\u0000${r.runId}`;
    // Records of a run only move forward (a rebuild from an older snapshot must not undo a newer update).
    const existing = ns.get(key);
    if (existing && existing.record.historyLength > r.historyLength) return;
    ns.set(key, rowOf(r));
  }

  delete(namespaceId: string, workflowId: string, runId: string): void {
    this.byNamespace.get(namespaceId)?.delete(`${workflowId}\u0000${runId}`);
  }

  /** Removes every record `match` selects (a shard's records, before they are rebuilt from the store). */
  deleteWhere(match: (r: VisibilityRecord) => boolean): void {
    for (const ns of this.byNamespace.values()) for (const [key, row] of ns) if (match(row.record)) ns.delete(key);
  }

  /** In Temporal's list order, or the query's ORDER BY. */
  list(
    namespaceId: string,
    query: string,
    scope: QueryScope,
    pageSize: number,
    offset: number,
  ): { records: VisibilityRecord[]; nextOffset: number | undefined } {
    const q = compileFilter(query, { custom: scope.custom, allowGroupBy: false });
    const all = this.matching(namespaceId, q).sort(compileOrder(q, getValue, defaultOrder));
    return pageOf(
      all.map((row) => row.record),
      pageSize,
      offset,
    );
  }

  count(
    namespaceId: string,
    query: string,
    scope: QueryScope,
  ): { count: number; groups: { status: number; count: number }[] | undefined } {
    const q = compileFilter(query, { custom: scope.custom, allowGroupBy: true });
    const rows = this.matching(namespaceId, q);
    if (q.groupBy.length === 0) return { count: rows.length, groups: undefined };
    return { count: rows.length, groups: statusGroups(rows.map((row) => row.record)) };
  }

  /** The records a filter selects, unordered: one member's part of a cluster-wide list or count (ClusterVisibility). */
  select(namespaceId: string, query: string, scope: QueryScope): VisibilityRecord[] {
    const q = compileFilter(query, { custom: scope.custom, allowGroupBy: true });
    return this.matching(namespaceId, q).map((row) => row.record);
  }

  size(): number {
    let n = 0;
    for (const ns of this.byNamespace.values()) n += ns.size;
    return n;
  }

  private matching(namespaceId: string, q: BoundQuery): Row[] {
    const matches = compileMatcher(q, getValue);
    const out: Row[] = [];
    for (const row of this.byNamespace.get(namespaceId)?.values() ?? []) if (matches(row)) out.push(row);
    return out;
  }
}

/** What List/Count read: this engine's index, or every member's in a cluster (which must ask over the network). */
export interface VisibilityQueries {
  list(
    namespaceId: string,
    query: string,
    scope: QueryScope,
    pageSize: number,
    offset: number,
  ): ReturnType<VisibilityStore['list']> | Promise<ReturnType<VisibilityStore['list']>>;
  count(
    namespaceId: string,
    query: string,
    scope: QueryScope,
  ): ReturnType<VisibilityStore['count']> | Promise<ReturnType<VisibilityStore['count']>>;
}

/**
 * List and Count over records gathered from several members: the same filter, order and paging as one index gives.
 * A run seen twice (its shard was moving between members) counts once, with its newest record.
 */
export function pageOfGathered(
  gathered: Iterable<VisibilityRecord>,
  query: string,
  scope: QueryScope,
  pageSize: number,
  offset: number,
): { records: VisibilityRecord[]; nextOffset: number | undefined } {
  const all = selectRecords(dedupe(gathered), compileFilter(query, { custom: scope.custom, allowGroupBy: false }));
  return pageOf(all, pageSize, offset);
}

/** One page of ordered records at an offset, and the offset of the next page if there is one. */
function pageOf(
  all: VisibilityRecord[],
  pageSize: number,
  offset: number,
): { records: VisibilityRecord[]; nextOffset: number | undefined } {
  const records = all.slice(offset, offset + pageSize);
  return { records, nextOffset: offset + pageSize < all.length ? offset + pageSize : undefined };
}

export function countOfGathered(
  gathered: Iterable<VisibilityRecord>,
  query: string,
  scope: QueryScope,
): { count: number; groups: { status: number; count: number }[] | undefined } {
  const q = compileFilter(query, { custom: scope.custom, allowGroupBy: true });
  const rows = dedupe(gathered);
  return { count: rows.length, groups: q.groupBy.length === 0 ? undefined : statusGroups(rows) };
}

function dedupe(records: Iterable<VisibilityRecord>): VisibilityRecord[] {
  const byRun = new Map<string, VisibilityRecord>();
  for (const r of records) {
    const key = `${r.workflowId}\u0000${r.runId}`;
    const seen = byRun.get(key);
    if (!seen || seen.historyLength < r.historyLength) byRun.set(key, r);
  }
  return [...byRun.values()];
}
