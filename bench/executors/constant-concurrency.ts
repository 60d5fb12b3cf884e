/**
 * constant-concurrency (closed model): a fixed number of virtual users, each starting its next iteration
 * as soon as the previous one ends. Latency is service time only: a closed model cannot see queueing
 * it causes itself (use an arrival-rate model to measure that).
 */
import type { ClosedSchedule } from './schedule.js';

export interface ConstantConcurrencyConfig {
  vus: number;
  durationMs: number;
  warmupMs: number;
  iterations: number | undefined;
}

export function planConstantConcurrency(c: ConstantConcurrencyConfig): ClosedSchedule | string[] {
  const problems: string[] = [];
  if (!Number.isInteger(c.vus) || c.vus < 1) problems.push(`concurrency must be a positive integer, got ${c.vus}`);
  if (c.durationMs === Infinity && c.iterations === undefined)
    problems.push('the run needs a bound: a duration or a number of iterations');
  if (problems.length > 0) return problems;
  return { model: 'closed', vus: c.vus, totalIterations: c.iterations, endMs: c.warmupMs + c.durationMs };
}
