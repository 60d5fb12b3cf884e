/**
 * Basic visibility: one record per run, kept up to date by the shards' visibility tasks, answering
 * List/CountWorkflowExecutions with a small subset of Temporal's SQL-like query language (see query.ts).
 * Kept in memory by every backend here; Temporal's Cassandra visibility is deprecated upstream, and the
 * executions table remains the source of truth (verification reads it directly).
 */
import { compileQuery, type CompiledQuery } from './query.js';

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

export class VisibilityStore {
  private readonly byNamespace = new Map<string, Map<string, VisibilityRecord>>();

  upsert(r: VisibilityRecord): void {
    let ns = this.byNamespace.get(r.namespaceId);
    if (!ns) {
      ns = new Map();
      this.byNamespace.set(r.namespaceId, ns);
    }
    const key = `${r.workflowId}\u0000${r.runId}`;
    // Records of a run only move forward (a rebuild from an older snapshot must not undo a newer update).
    const existing = ns.get(key);
    if (existing && existing.historyLength > r.historyLength) return;
    ns.set(key, r);
  }

  delete(namespaceId: string, workflowId: string, runId: string): void {
    this.byNamespace.get(namespaceId)?.delete(`${workflowId}\u0000${runId}`);
  }

  /** Removes every record `match` selects (a shard's records, before they are rebuilt from the store). */
  deleteWhere(match: (r: VisibilityRecord) => boolean): void {
    for (const ns of this.byNamespace.values()) for (const [key, r] of ns) if (match(r)) ns.delete(key);
  }

  /** Newest first (by start time), as Temporal lists. */
  list(
    namespaceId: string,
    query: string,
    pageSize: number,
    offset: number,
  ): { records: VisibilityRecord[]; nextOffset: number | undefined } {
    const q = compileQuery(query);
    const all = this.matching(namespaceId, q).sort(
      (a, b) => b.startTimeMs - a.startTimeMs || (a.runId < b.runId ? -1 : 1),
    );
    const records = all.slice(offset, offset + pageSize);
    return { records, nextOffset: offset + pageSize < all.length ? offset + pageSize : undefined };
  }

  count(
    namespaceId: string,
    query: string,
  ): { count: number; groups: { status: number; count: number }[] | undefined } {
    const q = compileQuery(query);
    const rows = this.matching(namespaceId, q);
    if (!q.groupByStatus) return { count: rows.length, groups: undefined };
    const groups = new Map<number, number>();
    for (const r of rows) groups.set(r.status, (groups.get(r.status) ?? 0) + 1);
    return { count: rows.length, groups: [...groups].map(([status, count]) => ({ status, count })) };
  }

  size(): number {
    let n = 0;
    for (const ns of this.byNamespace.values()) n += ns.size;
    return n;
  }

  private matching(namespaceId: string, q: CompiledQuery): VisibilityRecord[] {
    const out: VisibilityRecord[] = [];
    for (const r of this.byNamespace.get(namespaceId)?.values() ?? []) if (q.matches(r)) out.push(r);
    return out;
  }
}
