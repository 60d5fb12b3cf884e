/**
 * `renderReport`: one self-contained HTML file from one or more results (several results overlay runs, for
 * example memory vs Cassandra, or before vs after a change). Charts, then the exact numbers under them.
 */
import type { LatencyStats, ResultV1 } from '../result/schema.js';
import { capacitySections } from './capacity-section.js';
import { spectrum, stackedBars, statementLatencyDots, timeSeries, type Spec } from './charts.js';
import {
  errorRows,
  healthRows,
  latencyRows,
  lwtOutcomeRows,
  runLabels,
  statementLatencies,
  statementRateRows,
  spectrumRows,
  throughputRows,
  type SpectrumRow,
} from './data.js';
import { esc, page, table, type Section } from './page.js';
import { COUNTER, METRIC, isGeneratorMetric, isPoll } from '../result/catalogue.js';
import { formatMicros } from '../result/units.js';

function seconds(msValue: number): string {
  return `${(msValue / 1000).toFixed(msValue < 10_000 ? 1 : 0)}s`;
}

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

function runCard(r: ResultV1, label: string): string {
  const v = r.verification;
  const dl = (pairs: [string, string][]): string =>
    `<dl>${pairs.map(([k, x]) => `<dt>${esc(k)}</dt><dd>${esc(x)}</dd>`).join('')}</dl>`;
  const opts = r.options;
  return `<div class="card"><h3>${esc(label)} <span class="verdict ${r.verdict}">${r.verdict.toUpperCase()}</span></h3>${dl(
    [
      [
        'scenario',
        `${r.scenario.name}${
          Object.keys(r.scenario.options).length
            ? ` (${Object.entries(r.scenario.options)
                .map(([k, v]) => `${k} ${String(v)}`)
                .join(', ')})`
            : ''
        }`,
      ],
      ['target', r.target.kind === 'embedded' ? `embedded engine, ${r.target.store}` : r.target.address],
      ['server', r.target.serverVersion],
      [
        'load',
        `${String(opts.executor)} ${opts.executor === 'constant-concurrency' ? `${String(opts.vus)} VUs` : `${String(opts.ratePerSec)}/s`}`,
      ],
      [
        'measured',
        `${seconds(r.timing.measuredMs)} after ${seconds(r.timing.warmupMs)} warm-up, ${seconds(r.timing.intervalMs)} intervals`,
      ],
      [
        'workflows',
        `started ${v.started}, ${
          Object.entries(v.byStatus)
            .map(([k, n]) => `${k} ${n}`)
            .join(', ') || 'none read back'
        }`,
      ],
      [
        'verification',
        `${v.status}${v.lost ? `, ${v.lost} lost` : ''}${v.stuck ? `, ${v.stuck} stuck` : ''}, ${v.historiesChecked} histories checked${v.problems ? `, ${v.problems} problem(s)` : ''}`,
      ],
      ['time scale', `x${r.target.timeScale}`],
      ...(r.contention
        ? ([
            [
              'engine',
              `${r.contention.transactions} transactions, ${r.contention.conflicts} conflicts retried, ${r.contention.lockWaits} lock waits on one run, ${r.contention.bufferedEvents} buffered events; conditional writes: ${
                Object.entries(r.contention.lwt)
                  .map(([k, n]) => `${k} ${n}`)
                  .join(', ') || 'none'
              }`,
            ],
          ] as [string, string][])
        : []),
      ['machine', `${r.environment.cpus} × ${r.environment.cpuModel}, node ${r.environment.node}`],
      ['run', `${r.runId} at ${r.createdAt}${r.tool.gitSha ? `, git ${r.tool.gitSha}` : ''}`],
    ],
  )}${r.health.warnings.map((w) => `<div class="warn">⚠ ${esc(w)}</div>`).join('')}${v.notes.map((n) => `<div class="warn">⚠ ${esc(n)}</div>`).join('')}</div>`;
}

export function renderReport(results: ResultV1[]): string {
  if (results.length === 0) throw new Error('renderReport needs at least one result');
  const labels = runLabels(results);
  const multi = results.length > 1;
  const sections: Section[] = [...capacitySections(results, labels)];

  // Summary: percentiles per operation with N, front and centre.
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
  sections.push({
    id: 'summary',
    title: 'Summary',
    intro:
      'Per operation: N and rate in the measured phase; response time is measured from each operation’s intended start (so a stalled target shows in the tail), service time from its actual send.',
    charts: [],
    html:
      table(
        ['operation', 'run', 'N', 'rate/s', 'errors', 'time', 'p50', 'p90', 'p99', 'p99.9', 'max', 'mean'],
        opRows,
        { numericFrom: 2 },
      ) +
      (metricRows.length
        ? `<h3>Workflow metrics</h3>${table(['metric', 'run', 'N', 'p50', 'p90', 'p99', 'p99.9', 'max', 'mean'], metricRows, { numericFrom: 2 })}`
        : ''),
  });

  if (multi) {
    sections.push({
      id: 'comparison',
      title: 'Comparison',
      intro: `Each run against the first (${labels[0] ?? ''}): the ratio is run ÷ first, so above 1 is slower for latencies and faster for throughput.`,
      charts: [],
      html: comparisonTable(results, labels),
    });
  }

  sections.push({
    id: 'throughput',
    title: 'Throughput over time',
    intro: 'Operations completed per second in each interval (warm-up included, marked in the data), per operation.',
    charts: [
      timeSeries('operations per second', throughputRows(results, labels), 'ops/s', multi, {
        seriesTitle: 'operation',
      }),
    ],
  });

  const mainOps = [
    ...new Set(
      results.flatMap((r) =>
        Object.entries(r.operations)
          .filter(([n]) => !isPoll(n))
          .map(([n]) => n),
      ),
    ),
  ];
  sections.push({
    id: 'latency',
    title: 'Latency percentiles over time',
    intro:
      'p50, p99, p99.9 and max per interval (log scale): response time for operations with an intended start, service time otherwise.',
    charts: mainOps.map((op) =>
      timeSeries(`${op}`, latencyRows(results, labels, op), 'latency (ms)', multi, {
        logY: true,
        seriesTitle: 'percentile',
      }),
    ),
  });

  const spectra: SpectrumRow[] = [];
  results.forEach((r, i) => {
    const run = labels[i] ?? r.label;
    for (const op of mainOps) {
      const o = r.operations[op];
      if (!o) continue;
      spectra.push(
        ...spectrumRows(run, `${op} ${o.response ? 'response' : 'service'}`, (o.response ?? o.service).histogram),
      );
      if (o.response) spectra.push(...spectrumRows(run, `${op} service`, o.service.histogram));
    }
    for (const [name, s] of Object.entries(r.metrics))
      if (name === METRIC.workflowE2e) spectra.push(...spectrumRows(run, name, s.histogram));
  });
  sections.push({
    id: 'spectrum',
    title: 'Percentile spectrum',
    intro: 'Latency by percentile on a log 1/(1−p) axis (HdrHistogram’s plot): the tail is as readable as the median.',
    charts: [spectrum('latency by percentile', spectra, multi)],
  });

  const wfMetrics = [...new Set(results.flatMap((r) => Object.keys(r.metrics)))].filter((m) => !isGeneratorMetric(m));
  const wfCharts: Spec[] = wfMetrics.map((m) =>
    timeSeries(
      m,
      results.flatMap((r, i) =>
        r.intervals.flatMap((iv) => {
          const x = iv.metrics[m];
          return x
            ? [
                { run: labels[i] ?? '', t: iv.endMs / 1000, series: 'p50', value: x.p50Us / 1000 },
                { run: labels[i] ?? '', t: iv.endMs / 1000, series: 'p99', value: x.p99Us / 1000 },
                { run: labels[i] ?? '', t: iv.endMs / 1000, series: 'max', value: x.maxUs / 1000 },
              ]
            : [];
        }),
      ),
      'ms',
      multi,
      { logY: true, seriesTitle: 'percentile' },
    ),
  );
  if (wfCharts.length) {
    sections.push({
      id: 'workflow',
      title: 'Workflow-level latencies',
      intro:
        'End-to-end time of workflows (intended start to close), task schedule-to-start, and other per-workflow measurements.',
      charts: wfCharts,
    });
  }

  const lwt = lwtOutcomeRows(results, labels);
  const rates = statementRateRows(results, labels);
  const latencies = statementLatencies(results, labels);
  if (lwt.length > 0 || rates.length > 0 || latencies.length > 0) {
    sections.push({
      id: 'persistence',
      title: 'Persistence: LWT outcomes and statements',
      intro:
        'What the engine did to its store, sampled every interval: conditional writes (LWTs) by outcome — applied, not applied by which condition, CAS write timeouts (outcome unknown), unavailable — and every statement class by rate, with its latency over the whole run.',
      charts: [
        ...(lwt.length ? [stackedBars('conditional writes per interval, by outcome', lwt, 'LWTs', multi)] : []),
        ...(rates.length
          ? [
              timeSeries('statements per second, by class', rates, 'statements/s', multi, {
                logY: true,
                seriesTitle: 'statement',
                facetRuns: true,
              }),
            ]
          : []),
        ...(latencies.length ? [statementLatencyDots(latencies, multi)] : []),
      ],
      html:
        (latencies.length
          ? table(
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
            )
          : '') + contentionTable(results, labels),
    });
  }

  const errors = errorRows(results, labels);
  sections.push({
    id: 'errors',
    title: 'Errors by type over time',
    intro:
      errors.length === 0
        ? 'No errors were recorded.'
        : 'Errors per interval, by operation and gRPC status (or error class).',
    charts: errors.length ? [stackedBars('errors per interval', errors, 'errors', multi)] : [],
    html: errors.length
      ? table(
          ['error', 'run', 'count'],
          results.flatMap((r, i) =>
            Object.entries(r.errors).map(([k, n]) => [k.replace('|', ': '), labels[i] ?? '', n]),
          ),
          { numericFrom: 2 },
        )
      : '',
  });

  sections.push({
    id: 'health',
    title: 'Generator health',
    intro:
      'Is the generator the bottleneck? Process CPU in cores, the busiest thread’s event-loop utilization (1 = saturated), event-loop delay, how late iterations started, and dropped iterations.',
    charts: [timeSeries('generator health', healthRows(results, labels), 'value', multi, { seriesTitle: 'measure' })],
    html: table(
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
    ),
  });

  sections.push({
    id: 'configuration',
    title: 'Configuration',
    intro: 'The full compiled configuration of each run (secrets redacted).',
    charts: [],
    html: results
      .map(
        (r, i) =>
          `<details><summary>${esc(labels[i] ?? r.label)}</summary><pre>${esc(JSON.stringify({ options: r.options, scenario: r.scenario, environment: r.environment }, null, 2))}</pre></details>`,
      )
      .join(''),
  });

  const title = multi
    ? `stampede: ${labels.join(' vs ')}`
    : `stampede: ${results[0]?.scenario.name ?? ''} — ${labels[0] ?? ''}`;
  const subtitle = multi
    ? `${results.length} runs overlaid`
    : `run ${results[0]?.runId ?? ''}, ${results[0]?.createdAt ?? ''}`;
  const header = `<div class="cards">${results.map((r, i) => runCard(r, labels[i] ?? r.label)).join('')}</div>`;
  return page(title, subtitle, header, sections);
}

function contentionTable(results: ResultV1[], labels: string[]): string {
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
function comparisonTable(results: ResultV1[], labels: string[]): string {
  const first = results[0];
  if (!first) return '';
  const ratio = (a: number | undefined, b: number | undefined): string =>
    a !== undefined && b !== undefined && b > 0 ? `×${(a / b).toFixed(2)}` : '-';
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
        i === 0 ? '' : ratio(st?.p50Us, bs?.p50Us),
        formatMicros(st?.p99Us),
        i === 0 ? '' : ratio(st?.p99Us, bs?.p99Us),
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
        i === 0 ? '' : ratio(st?.p50Us, bs?.p50Us),
        formatMicros(st?.p99Us),
        i === 0 ? '' : ratio(st?.p99Us, bs?.p99Us),
      ]);
    });
  }
  return table(['series', 'run', 'N', 'rate/s', 'rate ratio', 'p50', 'p50 ratio', 'p99', 'p99 ratio'], rows, {
    numericFrom: 2,
  });
}
