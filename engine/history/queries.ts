/**
 * Queries in flight. Queries are not persisted (Temporal's aren't either): a query for a run with a workflow
 * task pending rides on the next task that starts (`queries` in the poll response) and is answered in
 * RespondWorkflowTaskCompleted; otherwise it goes to a worker as a query task answered by
 * RespondQueryTaskCompleted.
 */
import { randomUUID } from 'node:crypto';
import type { temporal } from '../proto.js';

export interface QueryOutcome {
  answer?: temporal.api.common.v1.IPayloads | null;
  errorMessage?: string;
  failure?: temporal.api.failure.v1.IFailure | null;
}

interface PendingQuery {
  id: string;
  runKey: string;
  query: temporal.api.query.v1.IWorkflowQuery;
  /** The workflow task start that carries it, 0 while waiting for one. */
  attachedTo: number;
  resolve(outcome: QueryOutcome): void;
  reject(err: unknown): void;
}

export class QueryRegistry {
  private readonly byId = new Map<string, PendingQuery>();
  private readonly byRun = new Map<string, Set<string>>();

  add(runKey: string, query: temporal.api.query.v1.IWorkflowQuery): { id: string; result: Promise<QueryOutcome> } {
    const id = randomUUID();
    const result = new Promise<QueryOutcome>((resolve, reject) => {
      this.byId.set(id, { id, runKey, query, attachedTo: 0, resolve, reject });
    });
    let set = this.byRun.get(runKey);
    if (!set) {
      set = new Set();
      this.byRun.set(runKey, set);
    }
    set.add(id);
    return { id, result };
  }

  /** Attaches every waiting query of the run to the workflow task starting now. */
  attach(runKey: string, startedEventId: number): Record<string, temporal.api.query.v1.IWorkflowQuery> | undefined {
    const ids = this.byRun.get(runKey);
    if (!ids) return undefined;
    const out: Record<string, temporal.api.query.v1.IWorkflowQuery> = {};
    let any = false;
    for (const id of ids) {
      const q = this.byId.get(id);
      if (q && q.attachedTo === 0) {
        q.attachedTo = startedEventId;
        out[id] = q.query;
        any = true;
      }
    }
    return any ? out : undefined;
  }

  /** Queries that rode on a task that ended without answering them wait for the next one. */
  detach(runKey: string, startedEventId: number): void {
    for (const id of this.byRun.get(runKey) ?? []) {
      const q = this.byId.get(id);
      if (q?.attachedTo === startedEventId) q.attachedTo = 0;
    }
  }

  /** Unattached queries of a run (to send as query tasks once no workflow task is pending). */
  waiting(runKey: string): string[] {
    return [...(this.byRun.get(runKey) ?? [])].filter((id) => this.byId.get(id)?.attachedTo === 0);
  }

  get(id: string): PendingQuery | undefined {
    return this.byId.get(id);
  }

  complete(id: string, outcome: QueryOutcome): boolean {
    const q = this.byId.get(id);
    if (!q) return false;
    this.remove(q);
    q.resolve(outcome);
    return true;
  }

  fail(id: string, err: unknown): void {
    const q = this.byId.get(id);
    if (!q) return;
    this.remove(q);
    q.reject(err);
  }

  /** Marks a query as taken by a query task so that no workflow task also carries it. */
  markDispatched(id: string): void {
    const q = this.byId.get(id);
    if (q) q.attachedTo = -1;
  }

  private remove(q: PendingQuery): void {
    this.byId.delete(q.id);
    const set = this.byRun.get(q.runKey);
    set?.delete(q.id);
    if (set?.size === 0) this.byRun.delete(q.runKey);
  }

  get size(): number {
    return this.byId.size;
  }
}
