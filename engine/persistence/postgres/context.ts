/**
 * What every PostgreSQL store shares: the pool, named (prepared) statements timed by statement class, and the
 * workflow transaction: one SQL transaction per call, its outcome counted like an LWT's (committed = applied, a
 * condition found false, serialization failure, deadlock, in doubt when the connection died during COMMIT).
 *
 * Lock waits show as the latency of the locking statements' classes (`*.lock*`, SELECT ... FOR SHARE / FOR UPDATE);
 * waiting for a pooled connection as `pool.acquire`; the COMMIT itself (the WAL flush a single primary serializes)
 * as `tx.commit`.
 */
import { createHash } from 'node:crypto';
import type pg from 'pg';
import type { StatementMetrics } from '../statement-metrics.js';
import { classifyPgError, isConnectionLoss, type Phase } from './classify.js';

export type Params = unknown[];

/** A statement's name on the server: derived from its text, so each text is parsed once per connection. */
const names = new Map<string, string>();
function statementName(text: string): string {
  let n = names.get(text);
  if (n === undefined) {
    n = `stampede_${createHash('sha1').update(text).digest('hex').slice(0, 16)}`;
    names.set(text, n);
  }
  return n;
}

export interface Queryable {
  /** Runs one statement as statement class `cls`. */
  query<R extends pg.QueryResultRow = pg.QueryResultRow>(
    cls: string,
    text: string,
    params: Params,
  ): Promise<pg.QueryResult<R>>;
}

const ms = (t0: number): number => (performance.now() - t0) * 1000;

export class PgContext implements Queryable {
  constructor(
    readonly pool: pg.Pool,
    readonly metrics: StatementMetrics,
  ) {}

  private async run<R extends pg.QueryResultRow>(
    client: pg.ClientBase | pg.Pool,
    cls: string,
    text: string,
    params: Params,
    prepare = true,
  ): Promise<pg.QueryResult<R>> {
    return client.query<R>(prepare ? { name: statementName(text), text, values: params } : { text, values: params });
  }

  /**
   * A statement on its own (autocommit). A write that loses its connection in flight is in doubt. `prepare: false`
   * for texts built from user input (list filters): each would otherwise stay prepared on every connection.
   */
  async query<R extends pg.QueryResultRow = pg.QueryResultRow>(
    cls: string,
    text: string,
    params: Params,
    options: { prepare?: boolean } = {},
  ): Promise<pg.QueryResult<R>> {
    const t0 = performance.now();
    try {
      const r = await this.run<R>(this.pool, cls, text, params, options.prepare ?? true);
      this.metrics.record(cls, ms(t0), false);
      return r;
    } catch (err) {
      const write = !/^\s*SELECT/i.test(text);
      const e = classifyPgError(err, write ? 'in-doubt' : 'read');
      this.metrics.record(cls, ms(t0), false, e);
      throw e;
    }
  }

  /**
   * One SQL transaction (READ COMMITTED, as Temporal's SQL stores run). `fn` throws a StoreError to refuse (a
   * condition found false): the transaction rolls back and the error is the outcome. The transaction's class
   * counts one conditional outcome per call, like an LWT batch on Cassandra.
   */
  async transaction<T>(cls: string, fn: (tx: Queryable) => Promise<T>, conditional = true): Promise<T> {
    const t0 = performance.now();
    let client: pg.PoolClient;
    try {
      client = await this.pool.connect();
      this.metrics.record('pool.acquire', ms(t0), false);
    } catch (err) {
      const e = classifyPgError(err, 'rolled-back', conditional);
      this.metrics.record('pool.acquire', ms(t0), false, e);
      this.metrics.record(cls, ms(t0), conditional, e);
      throw e;
    }
    let phase: Phase = 'rolled-back';
    let broken = false;
    // A connection that dies between statements (terminated while idle in the transaction) emits 'error' on the
    // client, which the pool only listens for while the client is idle: listen while it is ours. The next
    // statement fails with the connection error and classifies it.
    const onError = (): void => {
      broken = true;
    };
    client.on('error', onError);
    const tx: Queryable = {
      query: async <R extends pg.QueryResultRow>(name: string, text: string, params: Params) => {
        const s0 = performance.now();
        try {
          const r = await this.run<R>(client, name, text, params);
          this.metrics.record(name, ms(s0), false);
          return r;
        } catch (err) {
          const e = classifyPgError(err, 'rolled-back', conditional);
          this.metrics.record(name, ms(s0), false, e);
          throw err;
        }
      },
    };
    try {
      await client.query('BEGIN');
      const out = await fn(tx);
      phase = 'in-doubt';
      const c0 = performance.now();
      await client.query('COMMIT');
      this.metrics.record('tx.commit', ms(c0), false);
      this.metrics.record(cls, ms(t0), conditional);
      return out;
    } catch (err) {
      broken = isConnectionLoss(err);
      const e = classifyPgError(err, phase, conditional);
      if (!broken) await client.query('ROLLBACK').catch(() => (broken = true));
      this.metrics.record(cls, ms(t0), conditional, e);
      throw e;
    } finally {
      // A connection that failed under us is destroyed, not handed to the next caller.
      client.off('error', onError);
      client.release(broken ? true : undefined);
    }
  }
}
