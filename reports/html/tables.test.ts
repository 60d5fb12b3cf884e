import { expect, it } from 'vitest';
import type { ResultV1 } from '../../result/schema.js';
import { comparisonTable } from './tables.js';

/** A result with only what the comparison table reads: one operation and one metric. */
function runOf(label: string, startP50Us: number, scheduleToStartP50Us: number): ResultV1 {
  const stats = (p50Us: number) => ({ n: 100, p50Us, p99Us: p50Us * 2 });
  return {
    label,
    operations: { start_workflow: { throughputPerSec: 10, response: stats(startP50Us) } },
    metrics: { activity_schedule_to_start: stats(scheduleToStartP50Us) },
  } as unknown as ResultV1;
}

it('gives ratios against the first run, except against a latency it measured as next to nothing', () => {
  const html = comparisonTable([runOf('memory', 2000, 1), runOf('cassandra', 5000, 1500)], ['memory', 'cassandra']);
  const rows = [...html.matchAll(/<tr>(.*?)<\/tr>/g)].map((m) =>
    [...m[1]!.matchAll(/<td[^>]*>(.*?)<\/td>/g)].map((c) => c[1]),
  );
  const start = rows.find((r) => r[0] === 'start_workflow' && r[1] === 'cassandra');
  expect(start?.[6]).toBe('×2.50'); // p50 5 ms against 2 ms
  const wait = rows.find((r) => r[0] === 'activity_schedule_to_start' && r[1] === 'cassandra');
  expect(wait?.[6]).toBe('-'); // 1.5 ms against 1 µs: no ratio
  expect(html).not.toContain('×1500');
});
