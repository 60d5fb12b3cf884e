/**
 * What the statement-mix tools share: an engine on a fresh keyspace of the test Cassandra (STAMPEDE_TEST_CASSANDRA,
 * or one started for the tool), and its statement counters read and divided per workflow.
 */
import { randomUUID } from 'node:crypto';
import { createCassandraSchema, startEngine, type Engine, type EngineOptions } from '../../engine/index.js';
import { testCassandra, type TestCassandra } from '../../test/support/cassandra-server.js';

export type Counts = Record<string, number>;

/** Starts an engine on a new keyspace named `<prefix>_<random>` of the test Cassandra (stop both when done). */
export async function engineOnFreshKeyspace(
  prefix: string,
  options: Omit<Partial<EngineOptions>, 'store' | 'cassandra'> = {},
): Promise<{ engine: Engine; cassandra: TestCassandra }> {
  const c = await testCassandra();
  const keyspace = `${prefix}_${randomUUID().replace(/-/g, '').slice(0, 10)}`;
  const cassandra = { contactPoints: c.contactPoints, localDataCenter: c.localDataCenter, keyspace };
  await createCassandraSchema(
    { ...cassandra, replication: { class: 'SimpleStrategy', replicationFactor: 1 } },
    () => undefined,
  );
  const engine = await startEngine({
    port: 0,
    ...options,
    store: 'cassandra',
    cassandra: { ...cassandra, replicationFactor: 1 },
  });
  return { engine, cassandra: c };
}

/** The engine's statement count per class so far (a cheap sample). */
export function statementCounts(engine: Engine): Counts {
  return Object.fromEntries(Object.entries(engine.sample().statements).map(([k, v]) => [k, v.count]));
}

/** Statements per workflow between two samples, rounded to hundredths (classes that did not move left out). */
export function perWorkflow(before: Counts, after: Counts, n: number): Counts {
  const out: Counts = {};
  for (const [k, v] of Object.entries(after)) {
    const d = (v - (before[k] ?? 0)) / n;
    if (d > 0) out[k] = Math.round(d * 100) / 100;
  }
  return out;
}
