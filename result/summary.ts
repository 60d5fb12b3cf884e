/**
 * The summarizer: every percentile, count and rate a result holds is computed here, from histograms, for the run's
 * intervals and totals (bench), for a merge of several results and for the gate and the reports, which read
 * encoded histograms back through the codec. Percentiles are never averaged: merged figures come from merged
 * histograms.
 */
import { decodeHistogram, encodeHistogram, type Histogram, type OpLatencies } from './histogram.js';
import type { IntervalMetric, IntervalOp, LatencyStats, LatencySummary, OperationResult } from './schema.js';

function round(v: number): number {
  return Math.round(v * 10) / 10;
}

function summarize(h: Histogram): LatencySummary {
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

/** A summary with the histogram it came from, encoded (what result.json keeps of every latency). */
export function latencyStats(h: Histogram): LatencyStats {
  return { ...summarize(h), histogram: encodeHistogram(h) };
}

export function summarizeEncoded(encoded: string): LatencySummary {
  return summarize(decodeHistogram(encoded));
}

/** Values at each percentile of an encoded histogram, and its count (for percentiles that the summary omits). */
export function percentilesOf(encoded: string, percentiles: readonly number[]): { count: number; values: number[] } {
  const h = decodeHistogram(encoded);
  return { count: h.totalCount, values: percentiles.map((p) => h.getValueAtPercentile(p)) };
}

/** An operation over a measured phase: count, errors, rate and the summary of each latency measured. */
export function operationResult(op: OpLatencies<Histogram>, errors: number, measuredMs: number): OperationResult {
  const count = op.service.totalCount;
  return {
    count,
    errors,
    throughputPerSec: count / (measuredMs / 1000),
    service: latencyStats(op.service),
    ...(op.response ? { response: latencyStats(op.response) } : {}),
    ...(op.wait ? { wait: latencyStats(op.wait) } : {}),
  };
}

/** One interval of an operation: percentiles of its response time when it has one, else of its service time. */
export function intervalOp(op: OpLatencies<Histogram>, errors: number, count = op.service.totalCount): IntervalOp {
  const s = summarize(op.response ?? op.service);
  const sv = summarize(op.service);
  return {
    count,
    errors,
    p50Us: s.p50Us,
    p90Us: s.p90Us,
    p99Us: s.p99Us,
    p999Us: s.p999Us,
    maxUs: s.maxUs,
    of: op.response ? 'response' : 'service',
    serviceP50Us: sv.p50Us,
    serviceP99Us: sv.p99Us,
  };
}

export function intervalMetric(h: Histogram, n = h.totalCount): IntervalMetric {
  const s = summarize(h);
  return { n, p50Us: s.p50Us, p99Us: s.p99Us, maxUs: s.maxUs };
}

/** Counters (or errors) of several parts, summed key by key. */
export function sumRecords(records: Iterable<Record<string, number>>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const r of records) for (const [k, v] of Object.entries(r)) out[k] = (out[k] ?? 0) + v;
  return out;
}
