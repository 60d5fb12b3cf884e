/**
 * The harness clock: epoch microseconds with sub-millisecond resolution, comparable across the worker
 * threads of one process (each thread's performance.timeOrigin is an epoch anchor).
 *
 * `STAMPEDE_CLOCK_SKEW_MS` moves this process's clock by that many milliseconds: a fault injected to show what a
 * distributed run does with machines whose clocks disagree (tests; never needed in real use).
 */
const SKEW_MS = skewFromEnv(process.env['STAMPEDE_CLOCK_SKEW_MS']);

function skewFromEnv(raw: string | undefined): number {
  if (raw === undefined || raw === '') return 0;
  const n = Number(raw);
  return Number.isFinite(n) ? n : 0;
}

export function nowUs(): number {
  return (performance.timeOrigin + performance.now() + SKEW_MS) * 1000;
}

export function nowMs(): number {
  return performance.timeOrigin + performance.now() + SKEW_MS;
}
