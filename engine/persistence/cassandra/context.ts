/** What every Cassandra store shares: the session, statement timing with classification, and feature flags. */
import type cassandra from 'cassandra-driver';
import type { StatementMetrics } from '../statement-metrics.js';
import { batchBytes } from './batch-size.js';
import { classifyDriverError } from './classify.js';

export type Params = unknown[];

export interface StatementOptions {
  /** Changes data: a timeout leaves the outcome unknown. */
  write: boolean;
  /** A lightweight transaction (its outcome is counted). */
  conditional: boolean;
  /** Driver paging: fetch size and where to resume. */
  fetchSize?: number;
  pageState?: string;
}

export class CassandraContext {
  constructor(
    readonly client: cassandra.Client,
    readonly keyspace: string,
    readonly metrics: StatementMetrics,
    readonly rangeDeletes: boolean,
  ) {}

  /** Prefixes table names with the keyspace (statements are written without it). */
  q(cql: string): string {
    return cql.replace(
      /\b(FROM|INTO|UPDATE)\s+(\w+)/g,
      (_, kw: string, table: string) => `${kw} ${this.keyspace}.${table}`,
    );
  }

  /**
   * Runs one statement as statement class `name`. An LWT whose condition fails does not throw here: the caller
   * reads `wasApplied()` and the returned rows, then records the outcome with `metrics.record`.
   */
  async execute(name: string, cql: string, params: Params, o: StatementOptions): Promise<cassandra.types.ResultSet> {
    const t0 = performance.now();
    try {
      const rs = await this.client.execute(this.q(cql), params, {
        prepare: true,
        ...(o.fetchSize !== undefined ? { fetchSize: o.fetchSize } : {}),
        ...(o.pageState !== undefined ? { pageState: o.pageState } : {}),
      });
      if (!o.conditional) this.metrics.record(name, (performance.now() - t0) * 1000, false);
      else this.pending.set(rs, { name, t0 });
      this.noteWarnings(name, rs);
      return rs;
    } catch (err) {
      const e = classifyDriverError(err, o.write, o.conditional);
      this.metrics.record(name, (performance.now() - t0) * 1000, o.conditional, e);
      throw e;
    }
  }

  async batch(
    name: string,
    queries: { query: string; params: Params }[],
    conditional: boolean,
  ): Promise<cassandra.types.ResultSet> {
    this.metrics.recordBatchBytes(name, batchBytes(queries));
    const t0 = performance.now();
    try {
      const rs = await this.client.batch(
        queries.map((x) => ({ query: this.q(x.query), params: x.params })),
        { prepare: true, logged: true },
      );
      if (!conditional) this.metrics.record(name, (performance.now() - t0) * 1000, false);
      else this.pending.set(rs, { name, t0 });
      this.noteWarnings(name, rs);
      return rs;
    } catch (err) {
      const e = classifyDriverError(err, true, conditional);
      this.metrics.record(name, (performance.now() - t0) * 1000, conditional, e);
      throw e;
    }
  }

  /** Warnings the server attached to a response (protocol v4+: Cassandra 2.2+, Astra) are counted per class. */
  private noteWarnings(name: string, rs: cassandra.types.ResultSet): void {
    // (The driver leaves `warnings` undefined when the frame carried none, whatever its typing says.)
    const warnings = rs.info?.warnings as string[] | undefined;
    if (warnings !== undefined && warnings.length > 0) this.metrics.recordServerWarnings(name, warnings);
  }

  private readonly pending = new WeakMap<cassandra.types.ResultSet, { name: string; t0: number }>();

  /** Records a conditional statement's outcome once the caller has classified it (`err` when not applied). */
  settle(rs: cassandra.types.ResultSet, err?: Error): void {
    const p = this.pending.get(rs);
    if (!p) return;
    this.pending.delete(rs);
    this.metrics.record(p.name, (performance.now() - p.t0) * 1000, true, err);
  }
}
