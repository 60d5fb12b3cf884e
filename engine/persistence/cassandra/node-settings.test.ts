import { expect, it } from 'vitest';
import type cassandra from 'cassandra-driver';
import { readNodeSettings, settingBytes, thresholdsFromSettings } from './node-settings.js';

it("reads a 4.1+ node's data-storage values and a 4.0 node's _in_kb values", () => {
  expect(settingBytes('batch_size_warn_threshold', '5KiB')).toBe(5120);
  expect(settingBytes('batch_size_fail_threshold', '2 MiB')).toBe(2 * 1024 * 1024);
  expect(settingBytes('batch_size_fail_threshold', '640B')).toBe(640);
  expect(settingBytes('batch_size_fail_threshold_in_kb', '50')).toBe(51_200);
  expect(settingBytes('batch_size_fail_threshold', 'null')).toBeUndefined();
  expect(settingBytes('batch_size_fail_threshold', null)).toBeUndefined();
  expect(settingBytes('batch_size_fail_threshold', '5 parsecs')).toBeUndefined();
});

it('takes the thresholds from either generation of setting names, newest first', () => {
  const v41 = [
    { name: 'batch_size_warn_threshold', value: '8KiB' },
    { name: 'batch_size_fail_threshold', value: '80KiB' },
    { name: 'cdc_enabled', value: 'false' },
  ];
  expect(thresholdsFromSettings(v41)).toEqual({ warnBytes: 8192, failBytes: 81_920 });
  const v40 = [
    { name: 'batch_size_warn_threshold_in_kb', value: '5' },
    { name: 'batch_size_fail_threshold_in_kb', value: '100' },
  ];
  expect(thresholdsFromSettings(v40)).toEqual({ warnBytes: 5120, failBytes: 102_400 });
  expect(thresholdsFromSettings([])).toEqual({ warnBytes: undefined, failBytes: undefined });
});

// A TEST DOUBLE for a 4.1 node (only 2.1 runs here): a client whose system_views.settings answers as 4.1's does.
function nodeWith(rows: { name: string; value: string | null }[] | Error): cassandra.Client {
  return {
    execute: () =>
      rows instanceof Error
        ? Promise.reject(rows)
        : Promise.resolve({ rows: rows.map((r) => ({ name: r.name, value: r.value })) }),
  } as unknown as cassandra.Client;
}

it("reads a 4.1 node's thresholds and Paxos variant, and says defaults where the node has no settings table", async () => {
  const v41 = await readNodeSettings(
    nodeWith([
      { name: 'batch_size_warn_threshold', value: '10KiB' },
      { name: 'batch_size_fail_threshold', value: '100KiB' },
      { name: 'paxos_variant', value: 'v2' },
    ]),
    false,
  );
  expect(v41).toEqual({
    batchThresholds: { warnBytes: 10_240, failBytes: 102_400, source: "the node's settings (system_views.settings)" },
    paxosVariant: 'v2',
  });
  const v21 = await readNodeSettings(nodeWith(new Error("Keyspace system_views doesn't exist")), false);
  expect(v21.paxosVariant).toBeUndefined();
  expect(v21.batchThresholds).toMatchObject({ warnBytes: 5120, failBytes: 51_200 });
  expect(v21.batchThresholds.source).toMatch(/^defaults/);
  const astra = await readNodeSettings(nodeWith(new Error('not asked')), true);
  expect(astra.batchThresholds.source).toBe('Astra DB guardrails');
});
