import { defineConfig } from 'vitest/config';

/**
 * Long fault and capacity suites (minutes each: a Cassandra SIGKILLed and restored, PostgreSQL restarted, capacity
 * searches that need a quiet machine). `npm test` leaves them out to stay lean; `npm run test:slow` runs them.
 */
const SLOW = [
  'test/reliability.test.ts',
  'test/store-crash.test.ts',
  'test/postgres-faults.test.ts',
  'test/capacity.test.ts',
];

const integration = {
  environment: 'node' as const,
  testTimeout: 120_000,
  hookTimeout: 120_000,
  // Integration tests start servers (and a Cassandra); run files one at a time on 2-core machines.
  fileParallelism: false,
  // One test Cassandra and one PostgreSQL for the whole run (or STAMPEDE_TEST_CASSANDRA / STAMPEDE_TEST_POSTGRES).
  globalSetup: ['./test/support/cassandra-global-setup.ts', './test/support/postgres-global-setup.ts'],
};

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
      { test: { name: 'integration', include: ['test/**/*.test.ts'], exclude: SLOW, ...integration } },
      { test: { name: 'slow', include: SLOW, ...integration } },
    ],
  },
});
