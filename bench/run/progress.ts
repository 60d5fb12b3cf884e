/**
 * Live progress: one line per interval (ops/s, p50/p99/p99.9/max, errors, dropped, in-flight, generator CPU),
 * plus a progress bar on a TTY; plain lines without a TTY; JSON lines with --json; nothing with --quiet.
 */
import type { IntervalResult } from '../../result/schema.js';
import type { RunOptions } from './run-options.js';
import { formatDuration, formatMicros } from '../../result/units.js';
import { COUNTER, METRIC, isPoll } from '../../result/catalogue.js';

export type OutputMode = 'tty' | 'plain' | 'quiet' | 'json';

export class Progress {
  private barShown = false;

  constructor(
    private readonly mode: OutputMode,
    private readonly totalMs: number,
    private readonly write: (s: string) => void = (s) => process.stdout.write(s),
  ) {}

  info(message: string): void {
    if (this.mode === 'quiet') return;
    if (this.mode === 'json') {
      this.write(`${JSON.stringify({ type: 'info', message })}\n`);
      return;
    }
    this.clearBar();
    this.write(`${message}\n`);
  }

  /** Something the user should act on: shown in every mode (on stderr, or as a JSON line in --json mode). */
  warning(message: string): void {
    if (this.mode === 'json') {
      this.write(`${JSON.stringify({ type: 'warning', message })}\n`);
      return;
    }
    this.clearBar();
    process.stderr.write(`${message}\n`);
  }

  interval(r: IntervalResult, intervalMs: number): void {
    if (this.mode === 'quiet') return;
    if (this.mode === 'json') {
      this.write(`${JSON.stringify({ type: 'interval', ...r })}\n`);
      return;
    }
    this.clearBar();
    this.write(`${formatIntervalLine(r, intervalMs)}\n`);
    if (this.mode === 'tty') this.bar(r.endMs);
  }

  private bar(atMs: number): void {
    if (!Number.isFinite(this.totalMs) || this.totalMs <= 0) return;
    const frac = Math.min(1, atMs / this.totalMs);
    const width = 30;
    const filled = Math.round(frac * width);
    this.write(
      `[${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ${formatDuration(atMs)} / ${formatDuration(this.totalMs)}`,
    );
    this.barShown = true;
  }

  private clearBar(): void {
    if (this.barShown) {
      this.write('\r\x1b[2K');
      this.barShown = false;
    }
  }

  done(): void {
    this.clearBar();
  }
}

function pad(s: string, n: number): string {
  return s.length >= n ? s : s + ' '.repeat(n - s.length);
}

function formatIntervalLine(r: IntervalResult, intervalMs: number): string {
  const t = pad(formatDuration(r.endMs), 6);
  const parts = [`${t} ${pad(r.phase, 6)}`];
  const perSec = 1000 / intervalMs;
  for (const [name, op] of Object.entries(r.ops)) {
    if (isPoll(name)) continue;
    parts.push(
      `${name} ${Math.round(op.count * perSec)}/s p50 ${formatMicros(op.p50Us)} p99 ${formatMicros(op.p99Us)} p99.9 ${formatMicros(op.p999Us)} max ${formatMicros(op.maxUs)}`,
    );
    if (parts.length >= 3) break;
  }
  const e2e = r.metrics[METRIC.workflowE2e];
  if (e2e) parts.push(`wf-e2e p50 ${formatMicros(e2e.p50Us)} p99 ${formatMicros(e2e.p99Us)}`);
  const errors = Object.values(r.errors).reduce((a, b) => a + b, 0);
  parts.push(
    `err ${errors}`,
    `drop ${r.counters[COUNTER.dropped] ?? 0}`,
    `inflight ${r.health.inFlight}`,
    `cpu ${r.health.processCpuCores.toFixed(2)}`,
  );
  return parts.join(' | ');
}

function fmt(ms: number): string {
  return ms >= 1000 ? `${ms / 1000}s` : `${ms}ms`;
}

function describeLoad(o: RunOptions): string {
  switch (o.executor) {
    case 'constant-arrival-rate':
      return `${o.ratePerSec}/s constant arrival rate${o.iterations ? `, ${o.iterations} iterations` : ''}`;
    case 'ramping-arrival-rate':
      return `ramping arrival rate ${o.stages.map((s) => `${fmt(s.durationMs)}:${s.targetPerSec}/s`).join(', ')}`;
    case 'constant-concurrency':
      return `${o.vus} virtual users (closed model)`;
  }
}

/** The line a run prints as its threads start: the load, its phases and threads, and the target. */
export function describeRun(o: RunOptions, targets: readonly string[]): string {
  const target =
    targets.length > 1
      ? `${targets.join(', ')} (${o.routing === 'owner' ? "to each shard's owner" : 'spread'})`
      : targets.join('');
  const measured = Number.isFinite(o.durationMs) ? fmt(o.durationMs) : 'until done';
  return `${o.scenario}: ${describeLoad(o)}, warm-up ${fmt(o.warmupMs)} + ${measured}; ${o.starters} starter + ${o.pollers} poller thread(s) -> ${target}`;
}
