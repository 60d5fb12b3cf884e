import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'unit',
          include: ['{engine,bench,scenarios,reports,result,cli}/**/*.test.ts'],
          environment: 'node',
          testTimeout: 20_000,
        },
      },
      {
        test: {
          name: 'integration',
          include: ['test/**/*.test.ts'],
          environment: 'node',
          testTimeout: 120_000,
          hookTimeout: 120_000,
          // Integration tests start servers (and a Cassandra); run files one at a time on 2-core machines.
          fileParallelism: false,
          // One test Cassandra and one PostgreSQL for the whole run (or STAMPEDE_TEST_CASSANDRA / STAMPEDE_TEST_POSTGRES).
          globalSetup: ['./test/support/cassandra-global-setup.ts', './test/support/postgres-global-setup.ts'],
        },
      },
    ],
  },
});
