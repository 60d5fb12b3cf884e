import { expect, it } from 'vitest';
import { settingBytes, thresholdsFromSettings } from './batch-thresholds.js';

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
