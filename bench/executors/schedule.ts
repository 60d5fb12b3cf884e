/**
 * Load models, each behind a plan/run split (k6): planning validates the configuration and yields a
 * schedule; running (threads/starter.ts) executes it. An open-model schedule maps a global iteration index
 * to its intended start offset; the partition below decides which indices a process and thread run, so work
 * divides exactly across threads and `--segment` processes, with no remainder lost.
 */
export interface OpenSchedule {
  model: 'open';
  /** Intended start of global iteration k, ms after t0; undefined when k is past the end. */
  offsetMs(k: number): number | undefined;
  /** Iterations the whole schedule runs (all processes and threads), if finite. */
  totalIterations: number | undefined;
  /** Schedule end, ms after t0 (warm-up included). */
  endMs: number;
}

export interface ClosedSchedule {
  model: 'closed';
  /** Virtual users across the whole run. */
  vus: number;
  /** Iterations across the whole run, if bounded. */
  totalIterations: number | undefined;
  endMs: number;
}

export type Schedule = OpenSchedule | ClosedSchedule;

export interface Partition {
  segmentIndex: number;
  segmentCount: number;
  threadIndex: number;
  threadCount: number;
}

/** Global iteration indices of an open schedule that one partition runs: first, then every `stride`. */
export function openIndices(p: Partition): { first: number; stride: number } {
  return { first: p.segmentIndex + p.segmentCount * p.threadIndex, stride: p.segmentCount * p.threadCount };
}

/** An exact share of `total` for part `index` of `count` (the first `total % count` parts get one more). */
function share(total: number, index: number, count: number): number {
  return Math.floor(total / count) + (index < total % count ? 1 : 0);
}

/** This partition's share of a closed schedule: its virtual users and iteration budget. */
export function closedShare(s: ClosedSchedule, p: Partition): { vus: number; iterations: number | undefined } {
  const parts = p.segmentCount * p.threadCount;
  const index = p.segmentIndex * p.threadCount + p.threadIndex;
  return {
    vus: share(s.vus, index, parts),
    iterations: s.totalIterations === undefined ? undefined : share(s.totalIterations, index, parts),
  };
}
