/**
 * The Cassandra backend: Apache Cassandra 2.1 through 5.0, or Astra DB through a secure connect bundle. The
 * keyspace and schema must exist (`stampede schema create`); a missing keyspace is a clear error, not a hang.
 */
import { StoreUnavailableError } from '../errors.js';
import { StatementMetrics } from '../statement-metrics.js';
import type { Stores } from '../store.js';
import { connect, describeTarget, type ConnectOptions } from './connection.js';
import { readNodeSettings } from './node-settings.js';
import { CassandraContext } from './context.js';
import { CassandraExecutionStore } from './executions.js';
import { CassandraHistoryStore } from './history.js';
import { CassandraMembershipStore } from './membership.js';
import { CassandraNamespaceStore } from './namespaces.js';
import { CassandraScheduleStore } from './schedules.js';
import { verifySchema } from './schema.js';
import { CassandraShardStore } from './shards.js';
import { CassandraTaskStore } from './tasks.js';

export interface CassandraStoreOptions extends ConnectOptions {
  keyspace: string;
}

export async function createCassandraStores(o: CassandraStoreOptions): Promise<Stores> {
  const { keyspace, ...connectOptions } = o;
  const conn = await connect(connectOptions);
  const problems = await verifySchema(conn.client, keyspace);
  if (problems.length > 0) {
    await conn.client.shutdown();
    throw new StoreUnavailableError(
      `the schema in ${describeTarget(o)} is not ready: ${problems.slice(0, 3).join('; ')}${problems.length > 3 ? '; ...' : ''} (run: stampede schema create --keyspace ${keyspace} ...)`,
    );
  }
  const metrics = new StatementMetrics();
  const settings = await readNodeSettings(conn.client, conn.astra);
  const cx = new CassandraContext(conn.client, keyspace, metrics, conn.rangeDeletes);
  return {
    backend: conn.astra ? 'astra' : 'cassandra',
    releaseVersion: conn.releaseVersion,
    batchThresholds: settings.batchThresholds,
    ...(settings.paxosVariant !== undefined ? { paxosVariant: settings.paxosVariant } : {}),
    metrics,
    shards: new CassandraShardStore(cx),
    executions: new CassandraExecutionStore(cx),
    history: new CassandraHistoryStore(cx),
    tasks: new CassandraTaskStore(cx),
    namespaces: new CassandraNamespaceStore(cx),
    schedules: new CassandraScheduleStore(cx),
    membership: new CassandraMembershipStore(cx),
    // Straight on the driver (not a statement class of the workload): the coordinator answering is all it asks.
    ping: async () => {
      await conn.client.execute('SELECT release_version FROM system.local');
    },
    close: () => conn.client.shutdown(),
  };
}

export { connect, describeTarget, type ConnectOptions } from './connection.js';
export { createSchema, verifySchema, schemaStatements, type SchemaOptions } from './schema.js';
