/**
 * vitest globalSetup: one PostgreSQL for the whole integration run (initdb'd from Debian's server binaries into a
 * temporary folder, or the server STAMPEDE_TEST_POSTGRES names). Tests read its URL with `inject('postgres')` and
 * make a database of their own on it (freshDatabase); tests that restart or kill PostgreSQL start their own.
 */
import type { TestProject } from 'vitest/node';
import { testPostgres } from './postgres-server.js';

declare module 'vitest' {
  export interface ProvidedContext {
    postgres: { url: string; version: string };
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const server = await testPostgres();
  project.provide('postgres', { url: server.url, version: server.version });
  return () => server.stop();
}
