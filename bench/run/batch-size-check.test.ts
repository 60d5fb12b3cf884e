import { expect, it } from 'vitest';
import { batchSizeWarnings } from './batch-size-check.js';

const cassandra = { contactPoints: ['h'], localDataCenter: 'dc1', keyspace: 'k', replicationFactor: 1 };

it('warns before a run whose payloads would pass the batch-size thresholds of the store', () => {
  const astra = { store: 'cassandra' as const, cassandra: { ...cassandra, secureConnectBundle: 'b.zip' } };
  const at = (payloadBytes: number) =>
    batchSizeWarnings({ engine: astra, scenario: 'hello', scenarioOptions: { payloadBytes }, target: undefined });
  expect(at(16)).toEqual([]);
  expect(at(8000)[0]).toContain("--payload-bytes 8000 puts batches past Astra DB's 5 KiB batch-size warning");
  expect(at(60_000)[0]).toContain('50 KiB batch-size failure threshold');
  const memory = { store: 'memory' as const };
  expect(
    batchSizeWarnings({ engine: memory, scenario: 'hello', scenarioOptions: { payloadBytes: 1e6 }, target: undefined }),
  ).toEqual([]);
});
