/**
 * The report's tables, from the same results as the charts: exact numbers with N under every chart. Latencies are
 * formatted by the one µs formatter.
 */
import { COUNTER, isGeneratorMetric, isPoll } from '../../result/catalogue.js';
import type { LatencyStats, ResultV1 } from '../../result/schema.js';
import { formatMicros } from '../../result/units.js';
import type { BatchSize, ServerWarnings, StatementLatency } from './data.js';
import { esc, table } from './page.js';

function latencyRow(
  label: string,
  run: string,
  s: LatencyStats | undefined,
  extra: (string | number)[],
): (string | number)[] {
  return [
    label,
    run,
    s?.n ?? 0,
    ...extra,
    formatMicros(s?.p50Us),
    formatMicros(s?.p90Us),
    formatMicros(s?.p99Us),
    formatMicros(s?.p999Us),
    formatMicros(s?.maxUs),
    formatMicros(s?.meanUs),
  ];
}

/** Percentiles per operation with N (response time first when measured, then service time) and per metric. */
export function summaryTables(results: ResultV1[], labels: string[]): string {
  const opRows: (string | number)[][] = [];
  results.forEach((r, i) => {
    for (const [name, op] of Object.entries(r.operations)) {
      opRows.push(
        latencyRow(name, labels[i] ?? '', op.response ?? op.service, [
          op.throughputPerSec.toFixed(1),
          op.errors,
          op.response ? 'response' : 'service',
        ]),
      );
      if (op.response) opRows.push(latencyRow(`${name}`, labels[i] ?? '', op.service, ['', '', 'service']));
    }
  });
  const metricRows: (string | number)[][] = [];
  results.forEach((r, i) => {
    for (const [name, s] of Object.entries(r.metrics)) metricRows.push(latencyRow(name, labels[i] ?? '', s, []));
  });
  return (
    table(['operation', 'run', 'N', 'rate/s', 'errors', 'time', 'p50', 'p90', 'p99', 'p99.9', 'max', 'mean'], opRows, {
      numericFrom: 2,
    }) +
    (metricRows.length
      ? `<h3>Workflow metrics</h3>${table(['metric', 'run', 'N', 'p50', 'p90', 'p99', 'p99.9', 'max', 'mean'], metricRows, { numericFrom: 2 })}`
      : '')
  );
}

/** Each statement class's latency over the whole run, with its LWT outcomes. */
export function statementTable(latencies: StatementLatency[]): string {
  if (latencies.length === 0) return '';
  return table(
    ['statement', 'run', 'count', 'errors', 'p50', 'p99', 'max', 'LWT outcomes'],
    latencies.map((l) => [
      l.statement,
      l.run,
      l.count,
      l.errors,
      formatMicros(l.p50Ms * 1000),
      formatMicros(l.p99Ms * 1000),
      formatMicros(l.maxMs * 1000),
      Object.entries(l.outcomes)
        .map(([k, n]) => `${k} ${n}`)
        .join(', '),
    ]),
    { numericFrom: 2 },
  );
}

/** Logged batch sizes per statement class, against the guardrails that refuse them (5 KB warn, 50 KB fail). */
export function batchSizeTable(sizes: BatchSize[]): string {
  if (sizes.length === 0) return '';
  const kb = (bytes: number): string => `${(bytes / 1024).toFixed(1)} KiB`;
  return (
    '<h3>Logged batch sizes</h3>' +
    table(
      ['batch statement', 'run', 'batches', 'p50', 'p99', 'max'],
      sizes.map((b) => [b.statement, b.run, b.count, kb(b.p50), kb(b.p99), kb(b.max)]),
      { numericFrom: 2 },
    )
  );
}

export function serverWarningTable(warnings: ServerWarnings[]): string {
  if (warnings.length === 0) return '';
  return (
    '<h3>Warnings from the store</h3>' +
    '<p>The statement succeeded, and the server said something about it (a logged batch over its warn threshold, too many tombstones read): what Cassandra writes to its log and Astra DB reports to the client.</p>' +
    table(
      ['statement', 'run', 'as the server worded them', 'warnings'],
      warnings.map((w) => [w.statement, w.run, w.samples.join(' / '), w.count]),
      { numericFrom: 3 },
    )
  );
}

export function errorTable(results: ResultV1[], labels: string[]): string {
  return table(
    ['error', 'run', 'count'],
    results.flatMap((r, i) => Object.entries(r.errors).map(([k, n]) => [k.replace('|', ': '), labels[i] ?? '', n])),
    { numericFrom: 2 },
  );
}

export function healthTable(results: ResultV1[], labels: string[]): string {
  return table(
    ['run', 'saturated', 'max ELU', 'event-loop p99', 'schedule lag max', 'dropped', 'peak RSS', 'CPU cores (mean)'],
    results.map((r, i) => [
      labels[i] ?? '',
      r.health.saturated ? 'yes' : 'no',
      r.health.maxElu.toFixed(2),
      formatMicros(r.health.eventLoopDelayP99Us),
      formatMicros(r.health.scheduleLagMaxUs),
      r.health.dropped,
      `${Math.round(r.health.peakRssBytes / 1048576)} MiB`,
      r.health.cpuCoresMean.toFixed(2),
    ]),
  );
}

/** Each run's full compiled configuration, folded. */
export function configurationDetails(results: ResultV1[], labels: string[]): string {
  return results
    .map(
      (r, i) =>
        `<details><summary>${esc(labels[i] ?? r.label)}</summary><pre>${esc(JSON.stringify({ options: r.options, scenario: r.scenario, environment: r.environment }, null, 2))}</pre></details>`,
    )
    .join('');
}

/** What each run did to single executions and to the store (engine counters over the run). */
export function contentionTable(results: ResultV1[], labels: string[]): string {
  const rows = results.flatMap((r, i) =>
    r.contention
      ? [
          [
            labels[i] ?? r.label,
            r.contention.transactions,
            r.contention.conflicts,
            r.contention.lockWaits,
            r.contention.bufferedEvents,
            r.counters[COUNTER.workflowTasksUnhandledCommand] ?? 0,
            Object.entries(r.contention.lwt)
              .map(([k, n]) => `${k} ${n}`)
              .join(', '),
          ],
        ]
      : [],
  );
  if (rows.length === 0) return '';
  return `<h3>Contention over the run</h3>${table(
    [
      'run',
      'transactions',
      'conflicts retried',
      'lock waits',
      'buffered events',
      'closing tasks refused',
      'LWT outcomes',
    ],
    rows,
    { numericFrom: 1 },
  )}`;
}

/** Per operation and workflow metric: each run's p50, p99 and rate, and its ratio to the first run. */
/** Latencies of the first run below this (µs) get no ratio. */
const MIN_RATIO_BASE_US = 100;

export function comparisonTable(results: ResultV1[], labels: string[]): string {
  const first = results[0];
  if (!first) return '';
  const ratio = (a: number | undefined, b: number | undefined): string =>
    a !== undefined && b !== undefined && b > 0 ? `×${(a / b).toFixed(2)}` : '-';
  // A latency the first run measured as next to nothing (an eagerly dispatched task waits 1 µs) makes any ratio
  // against it meaningless: ×1,000,000 says nothing a reader can use.
  const latencyRatio = (a: number | undefined, b: number | undefined): string =>
    b !== undefined && b < MIN_RATIO_BASE_US ? '-' : ratio(a, b);
  const rows: (string | number)[][] = [];
  const ops = [...new Set(results.flatMap((r) => Object.keys(r.operations)))].filter((n) => !isPoll(n));
  for (const op of ops) {
    const base = first.operations[op];
    const bs = base?.response ?? base?.service;
    results.forEach((r, i) => {
      const o = r.operations[op];
      const st = o?.response ?? o?.service;
      rows.push([
        op,
        labels[i] ?? r.label,
        st?.n ?? 0,
        o ? o.throughputPerSec.toFixed(1) : '-',
        i === 0 ? '' : ratio(o?.throughputPerSec, base?.throughputPerSec),
        formatMicros(st?.p50Us),
        i === 0 ? '' : latencyRatio(st?.p50Us, bs?.p50Us),
        formatMicros(st?.p99Us),
        i === 0 ? '' : latencyRatio(st?.p99Us, bs?.p99Us),
      ]);
    });
  }
  const metrics = [...new Set(results.flatMap((r) => Object.keys(r.metrics)))].filter((m) => !isGeneratorMetric(m));
  for (const m of metrics) {
    const bs = first.metrics[m];
    results.forEach((r, i) => {
      const st = r.metrics[m];
      rows.push([
        m,
        labels[i] ?? r.label,
        st?.n ?? 0,
        '',
        '',
        formatMicros(st?.p50Us),
        i === 0 ? '' : latencyRatio(st?.p50Us, bs?.p50Us),
        formatMicros(st?.p99Us),
        i === 0 ? '' : latencyRatio(st?.p99Us, bs?.p99Us),
      ]);
    });
  }
  return table(['series', 'run', 'N', 'rate/s', 'rate ratio', 'p50', 'p50 ratio', 'p99', 'p99 ratio'], rows, {
    numericFrom: 2,
  });
}
