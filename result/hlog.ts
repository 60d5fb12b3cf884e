/**
 * The HdrHistogram interval log (.hlog, format 1.3, as HistogramLogAnalyzer and HdrHistogram's tools read it):
 * one line per interval and histogram, tagged `<operation>.<service|response|wait>` or `metric.<name>`,
 * values in µs (Interval_Max in ms). Written as the run goes, so nothing accumulates in memory.
 */
import { createWriteStream, type WriteStream } from 'node:fs';
import * as hdr from 'hdr-histogram-js';
import { RESULT_BOUNDS } from './bounds.js';
import { ResultFileError } from './errors.js';
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
  private failure: Error | undefined;

  constructor(
    path: string,
    private readonly t0Ms: number,
    comment: string,
  ) {
    this.stream = createWriteStream(path, { encoding: 'utf8' });
    // A write that fails (disk full, folder removed) is reported by close(), never as an unhandled 'error' event.
    this.stream.on('error', (err) => {
      this.failure ??= err;
    });
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
      if (this.failure || this.stream.destroyed) {
        reject(this.failure ?? new Error('the interval log could not be written'));
        return;
      }
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
    const startSec = Number(start);
    const durationSec = Number(duration);
    // A corrupt or hostile log is a usage error naming the line, never a crash (merge reads logs it did not write).
    const bad = (why: string): ResultFileError =>
      new ResultFileError(`malformed interval log line (${why}): ${JSON.stringify(line.slice(0, 60))}`);
    if (b64 === undefined || tag.length > 200) throw bad('expected [Tag=..,]start,duration,max,histogram');
    if (!(startSec >= 0 && startSec < 1e7 && durationSec >= 0 && durationSec < 1e7)) throw bad('start or length');
    if (b64.length > RESULT_BOUNDS.maxHistogramChars) throw bad('histogram too large');
    let histogram: Histogram;
    try {
      histogram = decodeHistogram(b64);
    } catch {
      throw bad('not an encoded HdrHistogram');
    }
    out.push({ startSec, durationSec, tag, histogram });
  }
  return out;
}
