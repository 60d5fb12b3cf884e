/**
 * The PostgreSQL backend: Temporal's SQL persistence shape on PostgreSQL 12 or later, one SQL transaction per
 * workflow transaction. The schema must exist (`stampede schema create --store postgres`); a missing table is a
 * clear error, not a failure at the first write.
 */
import { StoreUnavailableError } from '../errors.js';
import { StatementMetrics } from '../statement-metrics.js';
import type { Stores } from '../store.js';
import { describeTarget, openPool, type PostgresConnectOptions } from './connection.js';
import { PgContext } from './context.js';
import { PgExecutionStore } from './executions.js';
import { PgHistoryStore } from './history.js';
import { PgMembershipStore } from './membership.js';
import { PgNamespaceStore } from './namespaces.js';
import { PgScheduleStore } from './schedules.js';
import { verifySchema } from './schema.js';
import { PgShardStore } from './shards.js';
import { PgTaskStore } from './tasks.js';
import { PgVisibilityStore } from './visibility.js';

export type PostgresStoreOptions = PostgresConnectOptions;

export interface PostgresStores extends Stores {
  /** The pool, for the SQL visibility store that shares it. */
  readonly context: PgContext;
}

export async function createPostgresStores(o: PostgresStoreOptions): Promise<PostgresStores> {
  const { pool, version } = await openPool(o);
  const problems = await verifySchema(pool);
  if (problems.length > 0) {
    await pool.end();
    throw new StoreUnavailableError(
      `the schema in ${describeTarget(o.url)} is not ready: ${problems.slice(0, 3).join('; ')}${problems.length > 3 ? '; ...' : ''} (run: stampede schema create --store postgres ...)`,
    );
  }
  const metrics = new StatementMetrics();
  const cx = new PgContext(pool, metrics);
  return {
    backend: 'postgres',
    releaseVersion: version,
    metrics,
    context: cx,
    shards: new PgShardStore(cx),
    executions: new PgExecutionStore(cx),
    history: new PgHistoryStore(cx),
    tasks: new PgTaskStore(cx),
    namespaces: new PgNamespaceStore(cx),
    schedules: new PgScheduleStore(cx),
    membership: new PgMembershipStore(cx),
    visibility: new PgVisibilityStore(cx),
    ping: async () => {
      await pool.query('SELECT 1');
    },
    close: () => pool.end(),
  };
}

export { describeTarget, splitPassword, urlProblem, type PostgresConnectOptions } from './connection.js';
export { createPostgresSchema, verifyPostgresSchema } from './admin.js';
export { schemaStatements } from './schema.js';
