/** The end-of-run summary: percentiles per operation with N, front and centre; verification; where the files are. */
import type { LatencyStats, ResultV1 } from '../result/schema.js';
import { formatClockOffset, formatDuration, formatMicros } from '../result/units.js';
import { COUNTER, isGeneratorMetric, isPoll, METRIC } from '../result/catalogue.js';

function row(cells: string[], widths: number[]): string {
  return cells.map((c, i) => (i === 0 ? c.padEnd(widths[i] ?? 0) : c.padStart(widths[i] ?? 0))).join('  ');
}

function latencyCells(s: LatencyStats | undefined): string[] {
  if (!s || s.n === 0) return ['-', '-', '-', '-', '-'];
  return [
    formatMicros(s.p50Us),
    formatMicros(s.p90Us),
    formatMicros(s.p99Us),
    formatMicros(s.p999Us),
    formatMicros(s.maxUs),
  ];
}

/** Operations in reading order: the scheduled ones first, then worker responses, then polls. */
function orderedOps(r: ResultV1): [string, ResultV1['operations'][string]][] {
  const rank = (name: string, op: ResultV1['operations'][string]): number => (op.response ? 0 : isPoll(name) ? 2 : 1);
  return Object.entries(r.operations).sort(([a, x], [b, y]) => rank(a, x) - rank(b, y) || a.localeCompare(b));
}

export function formatSummary(r: ResultV1, outDir: string): string {
  const lines: string[] = [];
  lines.push('');
  lines.push(
    `${r.scenario.name} on ${r.target.kind === 'embedded' ? `embedded engine (${r.target.store})` : r.target.address} — measured ${formatDuration(r.timing.measuredMs)} after ${formatDuration(r.timing.warmupMs)} warm-up`,
  );
  const widths = [32, 9, 9, 9, 9, 9, 9, 9, 8];
  lines.push(row(['operation (response time)', 'N', 'rate/s', 'p50', 'p90', 'p99', 'p99.9', 'max', 'errors'], widths));
  for (const [name, op] of orderedOps(r)) {
    const main = op.response ?? op.service;
    lines.push(
      row([name, String(op.count), op.throughputPerSec.toFixed(1), ...latencyCells(main), String(op.errors)], widths),
    );
    if (op.response) lines.push(row(['  service time', '', '', ...latencyCells(op.service), ''], widths));
  }
  const workflowMetrics = Object.entries(r.metrics).filter(([name]) => !isGeneratorMetric(name));
  if (workflowMetrics.length > 0) {
    lines.push(row(['workflow metric', 'N', '', 'p50', 'p90', 'p99', 'p99.9', 'max', ''], widths));
    for (const [name, s] of workflowMetrics) lines.push(row([name, String(s.n), '', ...latencyCells(s), ''], widths));
  }
  const lag = r.metrics[METRIC.scheduleLag];
  if (lag) {
    lines.push(
      `generator: schedule lag p99 ${formatMicros(lag.p99Us)} (max ${formatMicros(lag.maxUs)}), busiest thread ${(r.health.maxElu * 100).toFixed(0)} % busy, process ${r.health.cpuCoresMean.toFixed(2)} cores`,
    );
  }
  if (r.segment.count > 1) {
    const clock = r.segment.clockOffset;
    lines.push(
      `segment ${r.segment.index}/${r.segment.count} of run ${r.runId} on task queue ${String(r.options['taskQueue'])}${clock ? `; engine clock ${formatClockOffset(clock)} from this one` : ''} — merge every segment with \`stampede merge\``,
    );
  }
  const c = r.contention;
  if (c) {
    const lwt = Object.entries(c.lwt)
      .map(([k, n]) => `${k} ${n}`)
      .join(', ');
    lines.push(
      `engine: ${c.transactions} transactions; ${c.conflicts} conflicts retried; ${c.lockWaits} lock waits on one run; ${c.bufferedEvents} buffered events; ${r.counters[COUNTER.workflowTasksUnhandledCommand] ?? 0} closing tasks refused (UnhandledCommand); conditional writes: ${lwt || 'none'}`,
    );
  }
  const v = r.verification;
  const statuses = Object.entries(v.byStatus)
    .map(([k, n]) => `${k} ${n}`)
    .join(', ');
  lines.push(
    `workflows: started ${v.started}; engine reports ${statuses || 'nothing'}; lost ${v.lost}; stuck ${v.stuck}; ${v.historiesChecked} histories read back, ${v.problems} problem(s) — verification ${v.status}`,
  );
  for (const n of v.notes) lines.push(`  ! ${n}`);
  if (r.health.dropped > 0) lines.push(`dropped iterations: ${r.health.dropped} (in-flight cap reached)`);
  for (const w of r.health.warnings) lines.push(`  ! ${w}`);
  for (const n of r.notes) lines.push(`  note: ${n}`);
  lines.push(`verdict: ${r.verdict.toUpperCase()}`);
  lines.push(
    `results: ${outDir}/result.json${r.files.hlog ? `, ${outDir}/${r.files.hlog}` : ''}${r.files.report ? `, ${outDir}/${r.files.report}` : ''}`,
  );
  return lines.join('\n');
}
