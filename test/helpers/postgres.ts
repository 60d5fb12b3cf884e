/** Test helpers for the postgres store: a fresh database with the schema on the run's test PostgreSQL. */
import { inject } from 'vitest';
import { createPostgresSchema } from '../../engine/persistence/postgres/index.js';
import { freshDatabase } from '../support/postgres-server.js';

/** The test PostgreSQL's server URL (the global setup started it, or STAMPEDE_TEST_POSTGRES named it). */
export function testPostgresUrl(): string {
  return inject('postgres').url;
}

/** A new database with the schema; returns its URL. */
export async function freshPostgres(prefix = 'stampede_test', serverUrl = testPostgresUrl()): Promise<string> {
  const url = await freshDatabase(serverUrl, prefix);
  await createPostgresSchema({ url }, () => undefined);
  return url;
}
