/**
 * The PostgreSQL schema: the shape of Temporal's (schema/postgresql/v12/temporal and .../visibility), the tables
 * this engine uses. Differences, each for a reason: ids are text (the Store interfaces hand them over as strings;
 * Temporal packs UUIDs into BYTEA), history tables carry no shard_id (the history interface is keyed by tree and
 * branch only), and blobs are the managers' JSON records (data_encoding 'json') or protobuf event batches.
 * History txn ids are stored negated, as Temporal does, so that (node_id, txn_id) ascending reads the highest
 * transaction of a node first.
 */
import type pg from 'pg';

export const NAMESPACE_PARTITION = 54321;

/** Temporal's history task categories (tasks.Category ids). */
export const CATEGORY = { transfer: 1, timer: 2, visibility: 4 } as const;

const ID = 'VARCHAR(255) NOT NULL';
const EXECUTION_KEY = `shard_id INTEGER NOT NULL, namespace_id ${ID}, workflow_id ${ID}, run_id ${ID}`;

/** Table name -> CREATE statement (idempotent). */
export const TABLES: ReadonlyMap<string, string> = new Map([
  [
    'namespaces',
    `CREATE TABLE IF NOT EXISTS namespaces (partition_id INTEGER NOT NULL, id ${ID}, name VARCHAR(255) UNIQUE NOT NULL, notification_version BIGINT NOT NULL, data BYTEA NOT NULL, data_encoding VARCHAR(16) NOT NULL, is_global BOOLEAN NOT NULL, PRIMARY KEY (partition_id, id))`,
  ],
  [
    'shards',
    `CREATE TABLE IF NOT EXISTS shards (shard_id INTEGER NOT NULL, range_id BIGINT NOT NULL, data BYTEA NOT NULL, data_encoding VARCHAR(16) NOT NULL, PRIMARY KEY (shard_id))`,
  ],
  [
    'executions',
    `CREATE TABLE IF NOT EXISTS executions (${EXECUTION_KEY}, next_event_id BIGINT NOT NULL, last_write_version BIGINT NOT NULL, data BYTEA NOT NULL, data_encoding VARCHAR(16) NOT NULL, state BYTEA NOT NULL, state_encoding VARCHAR(16) NOT NULL, db_record_version BIGINT NOT NULL DEFAULT 0, PRIMARY KEY (shard_id, namespace_id, workflow_id, run_id))`,
  ],
  [
    'current_executions',
    `CREATE TABLE IF NOT EXISTS current_executions (shard_id INTEGER NOT NULL, namespace_id ${ID}, workflow_id ${ID}, run_id ${ID}, create_request_id VARCHAR(255) NOT NULL, state INTEGER NOT NULL, status INTEGER NOT NULL, start_version BIGINT NOT NULL DEFAULT 0, start_time TIMESTAMP NULL, last_write_version BIGINT NOT NULL, data BYTEA NULL, data_encoding VARCHAR(16) NOT NULL DEFAULT '', PRIMARY KEY (shard_id, namespace_id, workflow_id))`,
  ],
  [
    'buffered_events',
    `CREATE TABLE IF NOT EXISTS buffered_events (${EXECUTION_KEY}, id BIGSERIAL NOT NULL UNIQUE, data BYTEA NOT NULL, data_encoding VARCHAR(16) NOT NULL, PRIMARY KEY (shard_id, namespace_id, workflow_id, run_id, id))`,
  ],
  [
    'activity_info_maps',
    `CREATE TABLE IF NOT EXISTS activity_info_maps (${EXECUTION_KEY}, schedule_id BIGINT NOT NULL, data BYTEA NOT NULL, data_encoding VARCHAR(16), PRIMARY KEY (shard_id, namespace_id, workflow_id, run_id, schedule_id))`,
  ],
  [
    'timer_info_maps',
    `CREATE TABLE IF NOT EXISTS timer_info_maps (${EXECUTION_KEY}, timer_id VARCHAR(255) NOT NULL, data BYTEA NOT NULL, data_encoding VARCHAR(16), PRIMARY KEY (shard_id, namespace_id, workflow_id, run_id, timer_id))`,
  ],
  [
    'signals_requested_sets',
    `CREATE TABLE IF NOT EXISTS signals_requested_sets (${EXECUTION_KEY}, signal_id VARCHAR(255) NOT NULL, PRIMARY KEY (shard_id, namespace_id, workflow_id, run_id, signal_id))`,
  ],
  [
    'history_immediate_tasks',
    `CREATE TABLE IF NOT EXISTS history_immediate_tasks (shard_id INTEGER NOT NULL, category_id INTEGER NOT NULL, task_id BIGINT NOT NULL, data BYTEA NOT NULL, data_encoding VARCHAR(16) NOT NULL, PRIMARY KEY (shard_id, category_id, task_id))`,
  ],
  [
    'history_scheduled_tasks',
    `CREATE TABLE IF NOT EXISTS history_scheduled_tasks (shard_id INTEGER NOT NULL, category_id INTEGER NOT NULL, visibility_timestamp TIMESTAMP NOT NULL, task_id BIGINT NOT NULL, data BYTEA NOT NULL, data_encoding VARCHAR(16) NOT NULL, PRIMARY KEY (shard_id, category_id, visibility_timestamp, task_id))`,
  ],
  [
    'tasks',
    `CREATE TABLE IF NOT EXISTS tasks (range_hash BIGINT NOT NULL, task_queue_id BYTEA NOT NULL, task_id BIGINT NOT NULL, data BYTEA NOT NULL, data_encoding VARCHAR(16) NOT NULL, PRIMARY KEY (range_hash, task_queue_id, task_id))`,
  ],
  [
    'task_queues',
    `CREATE TABLE IF NOT EXISTS task_queues (range_hash BIGINT NOT NULL, task_queue_id BYTEA NOT NULL, range_id BIGINT NOT NULL, data BYTEA NOT NULL, data_encoding VARCHAR(16) NOT NULL, PRIMARY KEY (range_hash, task_queue_id))`,
  ],
  [
    'history_node',
    `CREATE TABLE IF NOT EXISTS history_node (tree_id ${ID}, branch_id ${ID}, node_id BIGINT NOT NULL, txn_id BIGINT NOT NULL, prev_txn_id BIGINT NOT NULL DEFAULT 0, data BYTEA NOT NULL, data_encoding VARCHAR(16) NOT NULL, PRIMARY KEY (tree_id, branch_id, node_id, txn_id))`,
  ],
  [
    'history_tree',
    `CREATE TABLE IF NOT EXISTS history_tree (tree_id ${ID}, branch_id ${ID}, data BYTEA NOT NULL, data_encoding VARCHAR(16) NOT NULL, PRIMARY KEY (tree_id, branch_id))`,
  ],
  [
    // Not in Temporal's SQL schema (its schedules are workflows); this engine keeps a schedule as one record.
    'schedules',
    `CREATE TABLE IF NOT EXISTS schedules (namespace_id ${ID}, schedule_id ${ID}, data BYTEA NOT NULL, data_encoding VARCHAR(16) NOT NULL, version BIGINT NOT NULL, PRIMARY KEY (namespace_id, schedule_id))`,
  ],
  [
    // Temporal's, with host_id as text (as every id here) and rpc_port INTEGER (its SMALLINT cannot hold a port
    // above 32767). No index of its own: every read is by the primary key's partition, one row per member.
    'cluster_membership',
    `CREATE TABLE IF NOT EXISTS cluster_membership (membership_partition INTEGER NOT NULL, host_id ${ID}, rpc_address VARCHAR(128) NOT NULL, rpc_port INTEGER NOT NULL, role SMALLINT NOT NULL, session_start TIMESTAMP DEFAULT '1970-01-01 00:00:01', last_heartbeat TIMESTAMP DEFAULT '1970-01-01 00:00:01', record_expiry TIMESTAMP DEFAULT '1970-01-01 00:00:01', PRIMARY KEY (membership_partition, host_id))`,
  ],
  [
    'executions_visibility',
    `CREATE TABLE IF NOT EXISTS executions_visibility (namespace_id ${ID}, run_id ${ID}, _version BIGINT NOT NULL DEFAULT 0, start_time TIMESTAMP NOT NULL, execution_time TIMESTAMP NOT NULL, workflow_id ${ID}, workflow_type_name VARCHAR(255) NOT NULL, status INTEGER NOT NULL, close_time TIMESTAMP NULL, history_length BIGINT NULL, history_size_bytes BIGINT NULL, memo JSONB NULL, encoding VARCHAR(64) NOT NULL, task_queue VARCHAR(255) NOT NULL DEFAULT '', search_attributes JSONB NULL, search_attribute_payloads JSONB NULL, search_attribute_times JSONB NULL, first_run_id VARCHAR(255) NOT NULL DEFAULT '', PRIMARY KEY (namespace_id, run_id))`,
  ],
]);

/** Indexes (Temporal's visibility indexes: by namespace and close/start time, by workflow id, type, status). */
export const INDEXES: ReadonlyMap<string, string> = new Map([
  [
    // Temporal's default_idx: List's default order (open runs first, close time, start time, run id), so a page
    // is read from the index rather than sorted (visibility-sql.ts DEFAULT_ORDER).
    'by_close_time',
    'CREATE INDEX IF NOT EXISTS by_close_time ON executions_visibility (namespace_id, close_time DESC, start_time DESC, run_id COLLATE "C")',
  ],
  [
    'by_start_time',
    'CREATE INDEX IF NOT EXISTS by_start_time ON executions_visibility (namespace_id, start_time DESC, run_id)',
  ],
  [
    'by_workflow_id',
    'CREATE INDEX IF NOT EXISTS by_workflow_id ON executions_visibility (namespace_id, workflow_id, start_time DESC)',
  ],
  [
    'by_status',
    'CREATE INDEX IF NOT EXISTS by_status ON executions_visibility (namespace_id, status, start_time DESC)',
  ],
  [
    'by_search_attributes',
    'CREATE INDEX IF NOT EXISTS by_search_attributes ON executions_visibility USING GIN (search_attributes jsonb_path_ops)',
  ],
]);

/** Every statement `schema create` runs, in order. */
export function schemaStatements(): string[] {
  return [...TABLES.values(), ...INDEXES.values()];
}

export async function createSchema(client: pg.ClientBase | pg.Pool, log: (line: string) => void): Promise<void> {
  for (const [name, sql] of [...TABLES, ...INDEXES]) {
    await client.query(sql);
    log(`ok ${name}`);
  }
}

/** What is missing; empty when the schema is ready. */
export async function verifySchema(client: pg.ClientBase | pg.Pool): Promise<string[]> {
  const r = await client.query<{ name: string }>(
    `SELECT table_name AS name FROM information_schema.tables WHERE table_schema = current_schema() UNION SELECT indexname AS name FROM pg_indexes WHERE schemaname = current_schema()`,
  );
  const have = new Set(r.rows.map((x) => x.name));
  return [...TABLES.keys(), ...INDEXES.keys()].filter((t) => !have.has(t)).map((t) => `missing ${t}`);
}
