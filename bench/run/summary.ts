/** The end-of-run summary: percentiles per operation with N, front and centre; verification; where the files are. */
import type { LatencyStats, ResultV1 } from '../result/schema.js';
import { formatDuration, formatMicros } from '../units.js';

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

export function formatSummary(r: ResultV1, outDir: string): string {
  const lines: string[] = [];
  lines.push('');
  lines.push(
    `${r.scenario.name} on ${r.target.kind === 'embedded' ? `embedded engine (${r.target.store})` : r.target.address} — measured ${formatDuration(r.timing.measuredMs)} after ${formatDuration(r.timing.warmupMs)} warm-up`,
  );
  const widths = [28, 9, 9, 9, 9, 9, 9, 9, 8];
  lines.push(row(['operation (response time)', 'N', 'rate/s', 'p50', 'p90', 'p99', 'p99.9', 'max', 'errors'], widths));
  for (const [name, op] of Object.entries(r.operations)) {
    const main = op.response ?? op.service;
    lines.push(
      row([name, String(op.count), op.throughputPerSec.toFixed(1), ...latencyCells(main), String(op.errors)], widths),
    );
    if (op.response) lines.push(row(['  service time', '', '', ...latencyCells(op.service), ''], widths));
  }
  if (Object.keys(r.metrics).length > 0) {
    lines.push(row(['workflow metric', 'N', '', 'p50', 'p90', 'p99', 'p99.9', 'max', ''], widths));
    for (const [name, s] of Object.entries(r.metrics))
      lines.push(row([name, String(s.n), '', ...latencyCells(s), ''], widths));
  }
  const v = r.verification;
  const statuses = Object.entries(v.byStatus)
    .map(([k, n]) => `${k} ${n}`)
    .join(', ');
  lines.push(
    `workflows: started ${v.started}; engine reports ${statuses || 'nothing'}; lost ${v.lost}; stuck ${v.stuck} — verification ${v.status}`,
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
