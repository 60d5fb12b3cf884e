/**
 * The sections of a report, in reading order after the capacity sections: what each shows and why (its intro), its
 * charts (charts.ts over data.ts's rows) and its tables (tables.ts). A section with nothing to show is left out.
 */
import type { ResultV1 } from '../../result/schema.js';
import { spectrum, stackedBars, statementLatencyDots, timeSeries } from './charts.js';
import {
  chartedOperations,
  errorRows,
  healthRows,
  latencyRows,
  lwtOutcomeRows,
  spectrumSeries,
  statementLatencies,
  statementRateRows,
  throttledRows,
  batchSizes,
  serverWarnings,
  throughputRows,
  workflowMetricNames,
  workflowMetricRows,
} from './data.js';
import type { Section } from './page.js';
import {
  comparisonTable,
  configurationDetails,
  contentionTable,
  errorTable,
  healthTable,
  statementTable,
  batchSizeTable,
  serverWarningTable,
  summaryTables,
} from './tables.js';

/** What every section builder reads. */
interface Runs {
  results: ResultV1[];
  labels: string[];
  /** Several runs overlaid (charts colour by run). */
  multi: boolean;
}

function summary({ results, labels }: Runs): Section {
  return {
    id: 'summary',
    title: 'Summary',
    intro:
      'Per operation: N and rate in the measured phase; response time is measured from each operation’s intended start (so a stalled target shows in the tail), service time from its actual send.',
    charts: [],
    html: summaryTables(results, labels),
  };
}

function comparison({ results, labels, multi }: Runs): Section | undefined {
  if (!multi) return undefined;
  return {
    id: 'comparison',
    title: 'Comparison',
    intro: `Each run against the first (${labels[0] ?? ''}): the ratio is run ÷ first, so above 1 is slower for latencies and faster for throughput (no ratio against a latency under 0.1 ms).`,
    charts: [],
    html: comparisonTable(results, labels),
  };
}

function throughput({ results, labels, multi }: Runs): Section {
  return {
    id: 'throughput',
    title: 'Throughput over time',
    intro: 'Operations completed per second in each interval (warm-up included, marked in the data), per operation.',
    charts: [
      timeSeries('operations per second', throughputRows(results, labels), 'ops/s', multi, {
        seriesTitle: 'operation',
      }),
    ],
  };
}

function latency({ results, labels, multi }: Runs): Section {
  return {
    id: 'latency',
    title: 'Latency percentiles over time',
    intro:
      'p50, p99, p99.9 and max per interval (log scale): response time for operations with an intended start, service time otherwise.',
    charts: chartedOperations(results).map((op) =>
      timeSeries(`${op}`, latencyRows(results, labels, op), 'latency (ms)', multi, {
        logY: true,
        seriesTitle: 'percentile',
      }),
    ),
  };
}

function percentileSpectrum({ results, labels, multi }: Runs): Section {
  return {
    id: 'spectrum',
    title: 'Percentile spectrum',
    intro: 'Latency by percentile on a log 1/(1−p) axis (HdrHistogram’s plot): the tail is as readable as the median.',
    charts: [spectrum('latency by percentile', spectrumSeries(results, labels, chartedOperations(results)), multi)],
  };
}

function workflowLatencies({ results, labels, multi }: Runs): Section | undefined {
  const metrics = workflowMetricNames(results);
  if (metrics.length === 0) return undefined;
  return {
    id: 'workflow',
    title: 'Workflow-level latencies',
    intro:
      'End-to-end time of workflows (intended start to close), task schedule-to-start, and other per-workflow measurements.',
    charts: metrics.map((m) =>
      timeSeries(m, workflowMetricRows(results, labels, m), 'ms', multi, { logY: true, seriesTitle: 'percentile' }),
    ),
  };
}

function persistence({ results, labels, multi }: Runs): Section | undefined {
  const lwt = lwtOutcomeRows(results, labels);
  const rates = statementRateRows(results, labels);
  const latencies = statementLatencies(results, labels);
  const throttled = throttledRows(results, labels);
  if (lwt.length === 0 && rates.length === 0 && latencies.length === 0) return undefined;
  return {
    id: 'persistence',
    title: 'Persistence: LWT outcomes and statements',
    intro:
      'What the engine did to its store, sampled every interval: conditional writes (LWTs) by outcome — applied, not applied by which condition, CAS write timeouts (outcome unknown), throttled (the store’s rate limit), batch too large (a size guardrail), unavailable — every statement refused for the store’s rate, every statement class by rate with its latency over the whole run, and the size of the logged batches.',
    charts: [
      ...(lwt.length ? [stackedBars('conditional writes per interval, by outcome', lwt, 'LWTs', multi)] : []),
      ...(throttled.length
        ? [stackedBars('throttled statements per interval, by class', throttled, 'statements', multi)]
        : []),
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
      statementTable(latencies) +
      batchSizeTable(batchSizes(results, labels)) +
      serverWarningTable(serverWarnings(results, labels)) +
      contentionTable(results, labels),
  };
}

function errors({ results, labels, multi }: Runs): Section {
  const rows = errorRows(results, labels);
  return {
    id: 'errors',
    title: 'Errors by type over time',
    intro:
      rows.length === 0
        ? 'No errors were recorded.'
        : 'Errors per interval, by operation and gRPC status (or error class).',
    charts: rows.length ? [stackedBars('errors per interval', rows, 'errors', multi)] : [],
    html: rows.length ? errorTable(results, labels) : '',
  };
}

function health({ results, labels, multi }: Runs): Section {
  return {
    id: 'health',
    title: 'Generator health',
    intro:
      'Is the generator the bottleneck? Process CPU in cores, the busiest thread’s event-loop utilization (1 = saturated), event-loop delay, how late iterations started, and dropped iterations.',
    charts: [timeSeries('generator health', healthRows(results, labels), 'value', multi, { seriesTitle: 'measure' })],
    html: healthTable(results, labels),
  };
}

function configuration({ results, labels }: Runs): Section {
  return {
    id: 'configuration',
    title: 'Configuration',
    intro: 'The full compiled configuration of each run (secrets redacted).',
    charts: [],
    html: configurationDetails(results, labels),
  };
}

const SECTIONS = [
  summary,
  comparison,
  throughput,
  latency,
  percentileSpectrum,
  workflowLatencies,
  persistence,
  errors,
  health,
  configuration,
];

export function runSections(results: ResultV1[], labels: string[]): Section[] {
  const runs: Runs = { results, labels, multi: results.length > 1 };
  return SECTIONS.flatMap((build) => build(runs) ?? []);
}
