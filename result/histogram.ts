/**
 * HDR histograms for latency in microseconds, 3 significant digits, auto-resizing so one histogram covers
 * microseconds to days (long timers). Pure-JS histograms: no WASM memory to free, and they encode to the
 * standard compressed base64 that HdrHistogram tools read.
 */
import * as hdr from 'hdr-histogram-js';

export type Histogram = hdr.Histogram;

export function newHistogram(): Histogram {
  return hdr.build({
    bitBucketSize: 32,
    lowestDiscernibleValue: 1,
    highestTrackableValue: 60_000_000,
    numberOfSignificantValueDigits: 3,
    autoResize: true,
    useWebAssembly: false,
  });
}

export function encodeHistogram(h: Histogram): string {
  return hdr.encodeIntoCompressedBase64(h);
}

export function decodeHistogram(encoded: string): Histogram {
  const h = hdr.decodeFromCompressedBase64(encoded, 32, false);
  return h;
}

/** Adds an encoded histogram into `into`. */
export function addEncoded(into: Histogram, encoded: string | undefined): void {
  if (!encoded) return;
  const h = decodeHistogram(encoded);
  into.add(h);
}

export interface LatencySummary {
  /** Number of samples. */
  n: number;
  meanUs: number;
  stdevUs: number;
  minUs: number;
  p50Us: number;
  p90Us: number;
  p99Us: number;
  p999Us: number;
  p9999Us: number;
  maxUs: number;
}

export function summarize(h: Histogram): LatencySummary {
  const n = h.totalCount;
  if (n === 0)
    return { n: 0, meanUs: 0, stdevUs: 0, minUs: 0, p50Us: 0, p90Us: 0, p99Us: 0, p999Us: 0, p9999Us: 0, maxUs: 0 };
  return {
    n,
    meanUs: round(h.mean),
    stdevUs: round(h.stdDeviation),
    minUs: h.minNonZeroValue,
    p50Us: h.getValueAtPercentile(50),
    p90Us: h.getValueAtPercentile(90),
    p99Us: h.getValueAtPercentile(99),
    p999Us: h.getValueAtPercentile(99.9),
    p9999Us: h.getValueAtPercentile(99.99),
    maxUs: h.maxValue,
  };
}

function round(v: number): number {
  return Math.round(v * 10) / 10;
}

/** Records a value in µs, clamped to the histogram's lowest discernible value. */
export function recordUs(h: Histogram, us: number): void {
  h.recordValue(us < 1 ? 1 : Math.round(us));
}
