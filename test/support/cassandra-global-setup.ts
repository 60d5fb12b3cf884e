/**
 * vitest globalSetup: one Cassandra for the whole integration run (the bundled 2.1 server, or the external cluster
 * in STAMPEDE_TEST_CASSANDRA). Tests read where it is with `inject('cassandra')`; starting one per file would cost a
 * JVM start and ~0.5 GB each.
 */
import type { TestProject } from 'vitest/node';
import { testCassandra } from './cassandra-server.js';

declare module 'vitest' {
  export interface ProvidedContext {
    cassandra: { contactPoints: string[]; localDataCenter: string; releaseVersion: string };
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const server = await testCassandra();
  project.provide('cassandra', {
    contactPoints: server.contactPoints,
    localDataCenter: server.localDataCenter,
    releaseVersion: server.releaseVersion,
  });
  return () => server.stop();
}
