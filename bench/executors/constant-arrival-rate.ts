/** constant-arrival-rate (default): iterations start at a fixed rate whatever the target does (open model). */
import type { OpenSchedule } from './schedule.js';

export interface ConstantArrivalRateConfig {
  ratePerSec: number;
  /** Measured phase, ms (after warm-up); Infinity when only `iterations` bounds the run. */
  durationMs: number;
  warmupMs: number;
  iterations: number | undefined;
}

export function planConstantArrivalRate(c: ConstantArrivalRateConfig): OpenSchedule | string[] {
  const problems: string[] = [];
  if (!(c.ratePerSec > 0) || !Number.isFinite(c.ratePerSec))
    problems.push(`rate must be a positive number of iterations per second, got ${c.ratePerSec}`);
  if (c.durationMs === Infinity && c.iterations === undefined)
    problems.push('the run needs a bound: a duration or a number of iterations');
  if (problems.length > 0) return problems;
  const endMs = c.warmupMs + c.durationMs;
  const intervalMs = 1000 / c.ratePerSec;
  const byTime = Number.isFinite(endMs) ? Math.ceil(endMs / intervalMs) : Infinity;
  const total = Math.min(byTime, c.iterations ?? Infinity);
  return {
    model: 'open',
    offsetMs: (k) => (k < total ? k * intervalMs : undefined),
    totalIterations: Number.isFinite(total) ? total : undefined,
    endMs: Number.isFinite(endMs) ? endMs : total * intervalMs,
  };
}
