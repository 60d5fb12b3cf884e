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

/** The least n >= 0 for which `pred(n)` holds, for a predicate that stays true once it is (exponential, then binary search). */
function leastTrue(pred: (n: number) => boolean): number {
  if (pred(0)) return 0;
  let hi = 1;
  while (!pred(hi)) hi *= 2;
  let lo = hi / 2;
  while (hi - lo > 1) {
    const mid = Math.floor((lo + hi) / 2);
    if (pred(mid)) hi = mid;
    else lo = mid;
  }
  return hi;
}

/**
 * The first index of this partition (k + n * stride) whose intended start is at or after `atMs`, or undefined
 * when the schedule ends before (offsets only grow with the index).
 */
export function nextDueIndex(schedule: OpenSchedule, k: number, stride: number, atMs: number): number | undefined {
  const next = k + stride * leastTrue((n) => (schedule.offsetMs(k + n * stride) ?? Infinity) >= atMs);
  return schedule.offsetMs(next) === undefined ? undefined : next;
}

/** Indices of this partition from k (included) to the schedule's end. */
export function remainingIndices(schedule: OpenSchedule, k: number, stride: number): number {
  return leastTrue((n) => schedule.offsetMs(k + n * stride) === undefined);
}
