import { expect, it } from 'vitest';
import { batchSizeWarnings } from './batch-size-check.js';

const astra = { warnBytes: 5 * 1024, failBytes: 50 * 1024, source: 'Astra DB guardrails' };

it("warns before a run whose payloads would pass the store's batch-size thresholds, naming where they come from", () => {
  const at = (payloadBytes: number, t = astra) =>
    batchSizeWarnings({ scenario: 'hello', scenarioOptions: { payloadBytes } }, t);
  expect(at(16)).toEqual([]);
  expect(at(8000)[0]).toBe(
    "warning: hello --payload-bytes 8000 puts batches past the store's 5 KiB batch-size warning threshold (Astra DB guardrails): accepted, and warned about by the server",
  );
  expect(at(60_000)[0]).toContain("past the store's 50 KiB batch-size failure threshold (Astra DB guardrails)");
  // A node configured with other thresholds is judged by its own.
  const node = { warnBytes: 64 * 1024, failBytes: 640 * 1024, source: "the node's settings" };
  expect(at(60_000, node)).toEqual([]);
  expect(at(100_000, node)[0]).toContain("64 KiB batch-size warning threshold (the node's settings)");
  // A store without batches (memory, PostgreSQL) has no thresholds.
  expect(batchSizeWarnings({ scenario: 'hello', scenarioOptions: { payloadBytes: 1e6 } }, undefined)).toEqual([]);
});
