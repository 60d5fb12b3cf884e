/** vega-lite specifications of the report's charts. Every chart colours by run when several runs are shown. */
import type { Row, SpectrumRow } from './data.js';

export type Spec = Record<string, unknown>;

const WIDTH = 'container';

function colorBy(multiRun: boolean, field: string): Spec {
  return multiRun
    ? {
        color: { field: 'run', type: 'nominal', title: 'run' },
        strokeDash: {
          field,
          type: 'nominal',
          title: field,
          legend: { symbolType: 'stroke', symbolStrokeWidth: 2, symbolStrokeColor: '#444' },
        },
      }
    : { color: { field, type: 'nominal', title: field } };
}

export function timeSeries(
  title: string,
  rows: Row[],
  yTitle: string,
  multiRun: boolean,
  opts: { logY?: boolean; seriesTitle?: string; facetRuns?: boolean } = {},
): Spec {
  // Many series and several runs: one panel per run, coloured by series (dashes would not tell 15 apart).
  const facet = multiRun && opts.facetRuns === true;
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title,
    width: WIDTH,
    height: 220,
    data: { values: rows },
    mark: { type: 'line', point: !multiRun && rows.length < 400, interpolate: 'monotone' },
    encoding: {
      x: { field: 't', type: 'quantitative', title: 'time (s)' },
      y: { field: 'value', type: 'quantitative', title: yTitle, ...(opts.logY ? { scale: { type: 'log' } } : {}) },
      ...(facet
        ? {
            color: { field: 'series', type: 'nominal', title: opts.seriesTitle ?? 'series' },
            row: { field: 'run', type: 'nominal' },
          }
        : colorBy(multiRun, 'series')),
      tooltip: [
        { field: 'run', type: 'nominal' },
        { field: 'series', type: 'nominal', title: opts.seriesTitle ?? 'series' },
        { field: 't', type: 'quantitative', title: 'time (s)' },
        { field: 'value', type: 'quantitative', format: '.3~f' },
      ],
    },
  };
}

export function stackedBars(title: string, rows: Row[], yTitle: string, multiRun: boolean): Spec {
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title,
    width: WIDTH,
    height: 200,
    data: { values: rows },
    mark: { type: 'bar' },
    encoding: {
      x: { field: 't', type: 'ordinal', title: 'time (s)', axis: { labelOverlap: true } },
      y: { field: 'value', type: 'quantitative', title: yTitle, stack: true },
      color: { field: 'series', type: 'nominal', title: 'type' },
      ...(multiRun ? { row: { field: 'run', type: 'nominal' } } : {}),
      tooltip: [
        { field: 'run', type: 'nominal' },
        { field: 'series', type: 'nominal' },
        { field: 't', type: 'ordinal' },
        { field: 'value', type: 'quantitative' },
      ],
    },
  };
}

export function spectrum(title: string, rows: SpectrumRow[], multiRun: boolean): Spec {
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title,
    width: WIDTH,
    height: 260,
    data: { values: rows },
    mark: { type: 'line', point: !multiRun },
    encoding: {
      x: {
        field: 'x',
        type: 'quantitative',
        title: 'percentile',
        scale: { type: 'log' },
        axis: {
          values: [1, 2, 10, 100, 1000, 10000, 100000],
          labelExpr:
            "{'1':'0%','2':'50%','10':'90%','100':'99%','1000':'99.9%','10000':'99.99%','100000':'99.999%'}[''+datum.value] || datum.label",
        },
      },
      y: { field: 'ms', type: 'quantitative', title: 'latency (ms)' },
      ...colorBy(multiRun, 'series'),
      tooltip: [
        { field: 'run', type: 'nominal' },
        { field: 'series', type: 'nominal' },
        { field: 'percentile', type: 'quantitative' },
        { field: 'ms', type: 'quantitative', format: '.3~f' },
      ],
    },
  };
}

/** A dot plot: p50 and p99 per statement class (ms, log scale), coloured by run when several. */
export function statementLatencyDots(
  rows: { run: string; statement: string; p50Ms: number; p99Ms: number }[],
  multiRun: boolean,
): Spec {
  const values = rows.flatMap((r) => [
    { run: r.run, statement: r.statement, percentile: 'p50', ms: Math.max(r.p50Ms, 0.001) },
    { run: r.run, statement: r.statement, percentile: 'p99', ms: Math.max(r.p99Ms, 0.001) },
  ]);
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: 'statement latency over the whole run (p50 and p99)',
    width: WIDTH,
    height: { step: 18 },
    data: { values },
    mark: { type: 'point', filled: true, size: 70 },
    encoding: {
      y: { field: 'statement', type: 'nominal', title: null },
      x: { field: 'ms', type: 'quantitative', title: 'latency (ms, log)', scale: { type: 'log' } },
      shape: { field: 'percentile', type: 'nominal' },
      color: multiRun ? { field: 'run', type: 'nominal', title: 'run' } : { field: 'percentile', type: 'nominal' },
      tooltip: [
        { field: 'run', type: 'nominal' },
        { field: 'statement', type: 'nominal' },
        { field: 'percentile', type: 'nominal' },
        { field: 'ms', type: 'quantitative', format: '.3~f' },
      ],
    },
  };
}
