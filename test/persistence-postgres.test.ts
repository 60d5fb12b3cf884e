/** The persistence conformance suite on PostgreSQL (the run's test server, or the one STAMPEDE_TEST_POSTGRES names). */
import { afterAll, beforeAll } from 'vitest';
import { createPostgresStores } from '../engine/persistence/postgres/index.js';
import type { Stores } from '../engine/persistence/store.js';
import { freshPostgres } from './helpers/postgres.js';
import { membershipConformance } from './support/membership-conformance.js';
import { persistenceConformance } from './support/persistence-conformance.js';

let shared: Stores | undefined;

beforeAll(async () => {
  shared = await createPostgresStores({ url: await freshPostgres('conformance') });
}, 60_000);

afterAll(async () => {
  await shared?.close();
});

persistenceConformance(
  'postgres',
  () => {
    if (!shared) throw new Error('the PostgreSQL stores did not open');
    return Promise.resolve(shared);
  },
  () => Promise.resolve(),
);

membershipConformance('postgres', () => {
  if (!shared) throw new Error('the PostgreSQL stores did not open');
  return Promise.resolve(shared);
});
