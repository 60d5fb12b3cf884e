/**
 * The engine's public entry: the only module of engine/ that code outside it may import (ESLint enforces it).
 */
export { startEngine, type Engine } from './server.js';
export {
  ENGINE_DEFAULTS,
  validateEngineOptions,
  type EngineOptions,
  type StoreKind,
  type CassandraOptions,
  type PostgresOptions,
} from './options.js';
export { ManualClock, type Clock } from './clock.js';
export { LIMIT_DEFAULTS, LIMIT_KEYS, validateLimits, type EngineLimits } from './limits.js';
export { TRANSPORT_DEFAULTS, TRANSPORT_KEYS, type TransportOptions } from './frontend/transport.js';
export { workflowServiceDefinition, WORKFLOW_SERVICE } from './frontend/service-definition.js';
export { engineAdminDefinition } from './admin/admin-service.js';
export type {
  ClusterMemberView,
  ClusterView,
  EngineStats,
  EngineSample,
  PersistenceStatementStats,
} from './admin/stats-types.js';
export type { RpcMethodStats } from './stats.js';
export {
  createCassandraSchema,
  verifyCassandraSchema,
  schemaPlan,
  type SchemaAdminOptions,
  type SchemaPlan,
} from './persistence/cassandra/admin.js';
export { SCHEMA_TARGETS, type SchemaTarget } from './persistence/cassandra/schema.js';
export { readSecureConnectBundle, BundleError } from './persistence/cassandra/bundle.js';
export {
  createPostgresSchema,
  verifyPostgresSchema,
  schemaStatements as postgresSchemaStatements,
  splitPassword as splitPostgresPassword,
  urlProblem as postgresUrlProblem,
  describeTarget as describePostgresTarget,
} from './persistence/postgres/index.js';
export { type BackendOptions } from './persistence/open-stores.js';
export { openStoreReader, type StoreReader, type StoredRun } from './admin/store-reader.js';
export { shardOwner, taskQueueOwner } from './cluster/ring.js';
export { shardFor } from './util/hash.js';
