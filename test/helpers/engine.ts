/**
 * Test helpers: an engine on a free loopback port (memory store, or Cassandra in a fresh keyspace on the test
 * cluster the global setup started), and a WorkflowService client for it.
 */
import { randomUUID } from 'node:crypto';
import { inject } from 'vitest';
import {
  createCassandraSchema,
  startEngine,
  type Engine,
  type EngineOptions,
  type StoreKind,
} from '../../engine/index.js';
import { WorkflowServiceClient } from '../../bench/client/workflow-service.js';
import { freshPostgres } from './postgres.js';

export interface TestEngine {
  engine: Engine;
  client: WorkflowServiceClient;
  keyspace: string | undefined;
  /** The PostgreSQL database's URL (store postgres): give it back as `postgres` to restart on the same data. */
  postgres: EngineOptions['postgres'];
  close(): Promise<void>;
}

export interface TestCluster {
  contactPoints: string[];
  localDataCenter: string;
  releaseVersion: string;
}

export function testCluster(): TestCluster {
  return inject('cassandra');
}

/** A new keyspace with the schema, on the test cluster. */
export async function freshKeyspace(prefix = 'stampede_test'): Promise<string> {
  const c = testCluster();
  const keyspace = `${prefix}_${randomUUID().replace(/-/g, '').slice(0, 12)}`;
  await createCassandraSchema(
    {
      contactPoints: c.contactPoints,
      localDataCenter: c.localDataCenter,
      keyspace,
      replication: { class: 'SimpleStrategy', replicationFactor: 1 },
    },
    () => undefined,
  );
  return keyspace;
}

export async function testEngine(options: Partial<EngineOptions> & { keyspace?: string } = {}): Promise<TestEngine> {
  const store: StoreKind = options.store ?? 'memory';
  let keyspace: string | undefined;
  const extra: Partial<EngineOptions> = {};
  if (store === 'postgres') extra.postgres = options.postgres ?? { url: await freshPostgres('engine'), poolSize: 16 };
  if (store === 'cassandra') {
    const c = testCluster();
    keyspace = options.keyspace ?? (await freshKeyspace());
    extra.cassandra = {
      contactPoints: c.contactPoints,
      localDataCenter: c.localDataCenter,
      keyspace,
      replicationFactor: 1,
    };
  }
  const engine = await startEngine({ port: 0, ...options, ...extra });
  const client = new WorkflowServiceClient(engine.address);
  return {
    engine,
    client,
    keyspace,
    postgres: extra.postgres,
    async close() {
      client.close();
      await engine.stop();
    },
  };
}

/** The backends the store-dependent tests run on: memory always, Cassandra when the test cluster is there. */
export const BACKENDS: StoreKind[] = ['memory', 'cassandra'];
