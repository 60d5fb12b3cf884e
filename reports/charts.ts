/** vega-lite specifications of the report's charts. Every chart colours by run when several runs are shown. */
import type { Row, SpectrumRow } from './data.js';

export type Spec = Record<string, unknown>;

const WIDTH = 'container';

function colorBy(multiRun: boolean, field: string): Spec {
  return multiRun
    ? { color: { field: 'run', type: 'nominal', title: 'run' }, strokeDash: { field, type: 'nominal', title: field } }
    : { color: { field, type: 'nominal', title: field } };
}

export function timeSeries(
  title: string,
  rows: Row[],
  yTitle: string,
  multiRun: boolean,
  opts: { logY?: boolean; seriesTitle?: string } = {},
): Spec {
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title,
    width: WIDTH,
    height: 220,
    data: { values: rows },
    mark: { type: 'line', point: rows.length < 400, interpolate: 'monotone' },
    encoding: {
      x: { field: 't', type: 'quantitative', title: 'time (s)' },
      y: { field: 'value', type: 'quantitative', title: yTitle, ...(opts.logY ? { scale: { type: 'log' } } : {}) },
      ...colorBy(multiRun, 'series'),
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
    mark: { type: 'line', point: true },
    encoding: {
      x: {
        field: 'x',
        type: 'quantitative',
        title: 'percentile',
        scale: { type: 'log' },
        axis: {
          values: [1, 2, 10, 100, 1000, 10000, 100000],
          labelExpr:
            "{'1':'0%','2':'50%','10':'90%','100':'99%','1000':'99.9%','10000':'99.99%','100000':'99.999%'}[datum.label] || datum.label",
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
