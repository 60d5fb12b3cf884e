/**
 * The engine's public entry: the only module the harness (bench/) may import from engine/.
 */
export { startEngine, ENGINE_VERSION, type Engine } from './server.js';
export {
  ENGINE_DEFAULTS,
  EngineOptionsError,
  validateEngineOptions,
  type EngineOptions,
  type StoreKind,
  type CassandraOptions,
} from './options.js';
export { ManualClock, ScaledClock, type Clock } from './clock.js';
export { workflowServiceDefinition, WORKFLOW_SERVICE } from './frontend/service-definition.js';
export { engineAdminDefinition, ADMIN_SERVICE } from './admin/admin-service.js';
export type { EngineStats, EngineSample, PersistenceStatementStats } from './admin/stats-types.js';
export type { RpcMethodStats } from './stats.js';
export {
  createCassandraSchema,
  verifyCassandraSchema,
  schemaPlan,
  type SchemaAdminOptions,
} from './persistence/cassandra/admin.js';
export { openStoreReader, type StoreReader, type StoredRun } from './admin/store-reader.js';
