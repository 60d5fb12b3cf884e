/** Executor registry: a name and a plain configuration (which crosses into threads) -> a schedule. */
import { planConstantArrivalRate } from './constant-arrival-rate.js';
import { planConstantConcurrency } from './constant-concurrency.js';
import { planRampingArrivalRate, type Stage } from './ramping-arrival-rate.js';
import type { Schedule } from './schedule.js';

export type ExecutorName = 'constant-arrival-rate' | 'ramping-arrival-rate' | 'constant-concurrency';

/** Every executor's configuration in one plain object (it crosses into the threads as is). */
export interface ExecutorConfig {
  ratePerSec: number;
  startRatePerSec: number;
  stages: Stage[];
  vus: number;
  durationMs: number;
  warmupMs: number;
  iterations: number | undefined;
}

export const EXECUTORS: readonly ExecutorName[] = [
  'constant-arrival-rate',
  'ramping-arrival-rate',
  'constant-concurrency',
];

export function planSchedule(name: ExecutorName, c: ExecutorConfig): Schedule | string[] {
  switch (name) {
    case 'constant-arrival-rate':
      return planConstantArrivalRate(c);
    case 'ramping-arrival-rate':
      return planRampingArrivalRate({
        startRatePerSec: c.startRatePerSec,
        stages: c.stages,
        warmupMs: c.warmupMs,
        iterations: c.iterations,
      });
    case 'constant-concurrency':
      return planConstantConcurrency({
        vus: c.vus,
        durationMs: c.durationMs,
        warmupMs: c.warmupMs,
        iterations: c.iterations,
      });
  }
}
