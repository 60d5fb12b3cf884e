/**
 * The HdrHistogram interval log (.hlog, format 1.3, as HistogramLogAnalyzer and HdrHistogram's tools read it):
 * one line per interval and histogram, tagged `<operation>.<service|response|wait>` or `metric.<name>`,
 * values in µs (Interval_Max in ms). Written as the run goes, so nothing accumulates in memory.
 */
import { createWriteStream, type WriteStream } from 'node:fs';
import * as hdr from 'hdr-histogram-js';
import { decodeHistogram, type Histogram, type LatencyKind, type OpLatencies } from './histogram.js';

/** The .hlog tag of an operation's histogram of one latency kind. */
export function opTag(op: string, kind: LatencyKind): string {
  return `${op}.${kind}`;
}

/** The .hlog tag of a metric's histogram. */
export function metricTag(metric: string): string {
  return `metric.${metric}`;
}

/** An operation's measured histograms under their tags (the .hlog lines of one interval). */
export function tagOp(into: Map<string, Histogram>, op: string, histograms: OpLatencies<Histogram>): void {
  for (const [kind, h] of Object.entries(histograms) as [LatencyKind, Histogram | undefined][])
    if (h) into.set(opTag(op, kind), h);
}

export class HlogWriter {
  private readonly stream: WriteStream;
  private readonly writer: hdr.HistogramLogWriter;

  constructor(
    path: string,
    private readonly t0Ms: number,
    comment: string,
  ) {
    this.stream = createWriteStream(path, { encoding: 'utf8' });
    this.writer = new hdr.HistogramLogWriter((line) => this.stream.write(line));
    this.writer.outputComment(comment);
    this.writer.outputLogFormatVersion();
    this.writer.outputStartTime(t0Ms);
    this.writer.outputComment(`[BaseTime: ${(t0Ms / 1000).toFixed(3)} (seconds since epoch)]`);
    this.writer.outputLegend();
  }

  /** Writes one interval's histograms: start/end are ms offsets from t0. */
  interval(startMs: number, endMs: number, histograms: Map<string, Histogram>): void {
    for (const [tag, h] of histograms) {
      h.tag = tag;
      this.writer.outputIntervalHistogram(h, startMs / 1000, endMs / 1000, 1000);
    }
  }

  close(): Promise<void> {
    return new Promise((resolve, reject) => {
      this.stream.end((err?: Error | null) => (err ? reject(err) : resolve()));
    });
  }
}

/** Reads a .hlog back: histograms by tag, per interval start (seconds from t0). */
export function readHlog(text: string): { startSec: number; durationSec: number; tag: string; histogram: Histogram }[] {
  const out: { startSec: number; durationSec: number; tag: string; histogram: Histogram }[] = [];
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#') || line.startsWith('"')) continue;
    let rest = line;
    let tag = '';
    if (rest.startsWith('Tag=')) {
      const comma = rest.indexOf(',');
      tag = rest.slice(4, comma);
      rest = rest.slice(comma + 1);
    }
    const [start, duration, , b64] = rest.split(',');
    if (start === undefined || duration === undefined || b64 === undefined)
      throw new Error(`malformed hlog line: ${line.slice(0, 60)}`);
    out.push({
      startSec: Number(start),
      durationSec: Number(duration),
      tag,
      histogram: decodeHistogram(b64),
    });
  }
  return out;
}
