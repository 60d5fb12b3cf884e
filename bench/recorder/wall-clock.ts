/**
 * The harness clock: epoch microseconds with sub-millisecond resolution, comparable across the worker
 * threads of one process (each thread's performance.timeOrigin is an epoch anchor).
 */
export function nowUs(): number {
  return (performance.timeOrigin + performance.now()) * 1000;
}

export function nowMs(): number {
  return performance.timeOrigin + performance.now();
}
