/**
 * The CQL schema: Temporal's table shapes (schema/cassandra/temporal/schema.cql) for the tables the engine uses,
 * valid on Apache Cassandra 2.1 through 5.0 and Astra DB. `createSchema` makes the keyspace (not on Astra) and
 * the tables; `verifySchema` checks that every table and column is there.
 *
 * Compaction depends on the target: Temporal's schema asks for LeveledCompactionStrategy, which Apache Cassandra
 * 2.1–4.x should get; Cassandra 5.0 has UnifiedCompactionStrategy (UCS), which replaces LCS/STCS there; Astra DB
 * Serverless accepts only UCS (a table created with another class is refused by its guardrail).
 */
import type cassandra from 'cassandra-driver';
import { StoreUnavailableError } from '../errors.js';
import { isThrottled, retryThrottled } from './classify.js';

const SCHEMA_VERSION = 3;

const COMPACTION_CLASS = {
  lcs: 'org.apache.cassandra.db.compaction.LeveledCompactionStrategy',
  ucs: 'UnifiedCompactionStrategy',
} as const;
export type Compaction = keyof typeof COMPACTION_CLASS;

/** Where the schema goes: Astra DB, Apache Cassandra 5.0+ (UCS), or Apache Cassandra 2.1–4.x (LCS). */
export type SchemaTarget = 'astra' | 'ucs' | 'lcs';

export const SCHEMA_TARGETS: Record<SchemaTarget, { compaction: Compaction; createKeyspace: boolean; name: string }> = {
  astra: { compaction: 'ucs', createKeyspace: false, name: 'Astra DB (UCS, keyspace made in the Astra UI)' },
  ucs: { compaction: 'ucs', createKeyspace: true, name: 'Apache Cassandra 5.0+ (UCS)' },
  lcs: { compaction: 'lcs', createKeyspace: true, name: 'Apache Cassandra 2.1–4.x (LCS)' },
};

/** The target a connected cluster is: a bundle means Astra; else Cassandra 5.0+ gets UCS, older releases LCS. */
export function detectSchemaTarget(astra: boolean, releaseVersion: string): SchemaTarget {
  if (astra) return 'astra';
  const major = Number(/^(\d+)\./.exec(releaseVersion)?.[1] ?? 0);
  return major >= 5 ? 'ucs' : 'lcs';
}

/** Each table's CREATE statement (given the compaction clause) and the columns `verify` checks. */
const TABLES: Record<string, { cql: (compaction: string) => string; columns: string[] }> = {
  executions: {
    cql: (c) => `CREATE TABLE IF NOT EXISTS executions (
  shard_id int, type int, namespace_id uuid, workflow_id text, run_id uuid, current_run_id uuid,
  visibility_ts timestamp, task_id bigint,
  shard blob, shard_encoding text,
  execution blob, execution_encoding text, execution_state blob, execution_state_encoding text,
  transfer blob, transfer_encoding text, timer blob, timer_encoding text,
  visibility_task_data blob, visibility_task_encoding text,
  next_event_id bigint, range_id bigint,
  activity_map map<bigint, blob>, activity_map_encoding text,
  timer_map map<text, blob>, timer_map_encoding text,
  signal_requested set<text>,
  buffered_events_list list<frozen<serialized_event_batch>>,
  workflow_last_write_version bigint, workflow_state int,
  checksum blob, checksum_encoding text,
  db_record_version bigint,
  PRIMARY KEY (shard_id, type, namespace_id, workflow_id, run_id, visibility_ts, task_id)
) WITH ${c}`,
    columns: [
      'shard_id',
      'type',
      'namespace_id',
      'workflow_id',
      'run_id',
      'current_run_id',
      'visibility_ts',
      'task_id',
      'shard',
      'execution',
      'execution_state',
      'transfer',
      'timer',
      'visibility_task_data',
      'next_event_id',
      'range_id',
      'activity_map',
      'timer_map',
      'signal_requested',
      'buffered_events_list',
      'workflow_state',
      'db_record_version',
    ],
  },
  history_node: {
    cql: (c) => `CREATE TABLE IF NOT EXISTS history_node (
  tree_id uuid, branch_id uuid, node_id bigint, txn_id bigint, prev_txn_id bigint, data blob, data_encoding text,
  PRIMARY KEY ((tree_id), branch_id, node_id, txn_id)
) WITH CLUSTERING ORDER BY (branch_id ASC, node_id ASC, txn_id DESC)
  AND ${c}`,
    columns: ['tree_id', 'branch_id', 'node_id', 'txn_id', 'prev_txn_id', 'data', 'data_encoding'],
  },
  history_tree: {
    cql: (c) => `CREATE TABLE IF NOT EXISTS history_tree (
  tree_id uuid, branch_id uuid, branch blob, branch_encoding text,
  PRIMARY KEY ((tree_id), branch_id)
) WITH ${c}`,
    columns: ['tree_id', 'branch_id', 'branch', 'branch_encoding'],
  },
  tasks: {
    cql: (c) => `CREATE TABLE IF NOT EXISTS tasks (
  namespace_id uuid, task_queue_name text, task_queue_type int, type int, task_id bigint, range_id bigint,
  task blob, task_encoding text, task_queue blob, task_queue_encoding text,
  PRIMARY KEY ((namespace_id, task_queue_name, task_queue_type), type, task_id)
) WITH ${c}`,
    columns: [
      'namespace_id',
      'task_queue_name',
      'task_queue_type',
      'type',
      'task_id',
      'range_id',
      'task',
      'task_queue',
    ],
  },
  namespaces_by_id: {
    cql: (c) => `CREATE TABLE IF NOT EXISTS namespaces_by_id (id uuid, name text, PRIMARY KEY (id)) WITH ${c}`,
    columns: ['id', 'name'],
  },
  namespaces: {
    cql: (c) => `CREATE TABLE IF NOT EXISTS namespaces (
  namespaces_partition int, name text, id uuid, detail blob, detail_encoding text,
  is_global_namespace boolean, notification_version bigint,
  PRIMARY KEY (namespaces_partition, name)
) WITH ${c}`,
    columns: ['namespaces_partition', 'name', 'id', 'detail', 'notification_version'],
  },
  // Not Temporal's (its schedules are workflows in the executions table); see docs/temporal.md.
  schedules: {
    cql: (c) => `CREATE TABLE IF NOT EXISTS schedules (
  namespace_id uuid, schedule_id text, data blob, data_encoding text, version bigint,
  PRIMARY KEY ((namespace_id), schedule_id)
) WITH ${c}`,
    columns: ['namespace_id', 'schedule_id', 'data', 'version'],
  },
  // Temporal's, with int where it has tinyint/smallint: Cassandra 2.1 has neither, and an int holds any port (a
  // smallint would need ports above 32767 stored negative). No secondary index: see membership.ts.
  cluster_membership: {
    cql: (c) => `CREATE TABLE IF NOT EXISTS cluster_membership (
  membership_partition int, host_id uuid, rpc_address inet, rpc_port int, role int,
  session_start timestamp, last_heartbeat timestamp,
  PRIMARY KEY (membership_partition, role, host_id)
) WITH ${c}`,
    columns: ['membership_partition', 'host_id', 'rpc_address', 'rpc_port', 'role', 'session_start', 'last_heartbeat'],
  },
  schema_version: {
    cql: () =>
      `CREATE TABLE IF NOT EXISTS schema_version (keyspace_name text PRIMARY KEY, version int, applied_at timestamp)`,
    columns: ['keyspace_name', 'version'],
  },
};

const UDT = `CREATE TYPE IF NOT EXISTS serialized_event_batch (encoding_type text, version int, data blob)`;

export interface SchemaOptions {
  keyspace: string;
  compaction: Compaction;
  /** Create the keyspace (SimpleStrategy with this replication factor, or NetworkTopologyStrategy per DC). */
  createKeyspace: boolean;
  replication:
    | { class: 'SimpleStrategy'; replicationFactor: number }
    | { class: 'NetworkTopologyStrategy'; dataCenters: Record<string, number> };
}

function keyspaceCql(o: SchemaOptions): string {
  const r =
    o.replication.class === 'SimpleStrategy'
      ? `{ 'class': 'SimpleStrategy', 'replication_factor': ${o.replication.replicationFactor} }`
      : `{ 'class': 'NetworkTopologyStrategy', ${Object.entries(o.replication.dataCenters)
          .map(([dc, n]) => `'${dc}': ${n}`)
          .join(', ')} }`;
  return `CREATE KEYSPACE IF NOT EXISTS ${o.keyspace} WITH replication = ${r}`;
}

/** Statements that create the schema, in order (printed by `stampede schema create --dry-run`). */
export function schemaStatements(o: SchemaOptions): string[] {
  const clause = `COMPACTION = { 'class': '${COMPACTION_CLASS[o.compaction]}' }`;
  const q = (cql: string): string =>
    cql.replace(/CREATE (TABLE|TYPE) IF NOT EXISTS (\w+)/, `CREATE $1 IF NOT EXISTS ${o.keyspace}.$2`);
  return [...(o.createKeyspace ? [keyspaceCql(o)] : []), q(UDT), ...Object.values(TABLES).map((t) => q(t.cql(clause)))];
}

/** Creates what is missing; idempotent. */
export async function createSchema(
  client: cassandra.Client,
  o: SchemaOptions,
  log: (s: string) => void = () => undefined,
): Promise<void> {
  for (const cql of schemaStatements(o)) {
    const head = cql.split('\n')[0] ?? cql;
    log(head);
    try {
      await retryThrottled(head, () => client.execute(cql));
    } catch (err) {
      if (err instanceof StoreUnavailableError) throw err;
      // A statement the cluster refuses (a guardrail, a compaction class it lacks) is the environment, not a bug:
      // one line naming the statement and the cluster's reason.
      throw new StoreUnavailableError(
        `the cluster refused ${head.replace(/ \($/, '')}: ${err instanceof Error ? err.message : String(err)}`,
        { cause: err },
      );
    }
  }
  await retryThrottled('recording the schema version', () =>
    client.execute(
      `INSERT INTO ${o.keyspace}.schema_version (keyspace_name, version, applied_at) VALUES (?, ?, ?)`,
      [o.keyspace, SCHEMA_VERSION, new Date()],
      { prepare: true },
    ),
  );
}

/** Problems with an existing schema (empty when it is complete). */
export async function verifySchema(client: cassandra.Client, keyspace: string): Promise<string[]> {
  const problems: string[] = [];
  // The driver waits for schema agreement after each DDL statement; refresh its view before reading it.
  // A throttled refresh is retried, never read as a missing keyspace.
  await retryThrottled('reading the schema', () =>
    client.metadata.refreshKeyspace(keyspace).catch((err: unknown) => {
      if (isThrottled(err)) throw err;
    }),
  );
  if (!client.metadata.keyspaces[keyspace]) return [`keyspace ${keyspace} does not exist`];
  for (const [name, t] of Object.entries(TABLES)) {
    const table = await retryThrottled('reading the schema', () => client.metadata.getTable(keyspace, name));
    if (!table) {
      problems.push(`table ${keyspace}.${name} is missing`);
      continue;
    }
    const have = new Set(table.columns.map((c) => c.name));
    for (const c of t.columns) if (!have.has(c)) problems.push(`table ${keyspace}.${name} has no column ${c}`);
  }
  return problems;
}
