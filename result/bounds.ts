/**
 * Bounds on what a result file may hold, so that a hostile or corrupt file is refused with one line instead of
 * exhausting memory (a 50 MB label once crashed `report` and `merge`) or passing a gate with negative latencies.
 * Generous for real results: a day-long run at 1 s intervals is ~200 MB; a histogram encodes to a few KB.
 */
export const RESULT_BOUNDS = {
  maxFileBytes: 512 * 1024 * 1024,
  maxDepth: 32,
  maxStringChars: 64 * 1024,
  maxHistogramChars: 256 * 1024,
  maxHistograms: 10_000,
} as const;
