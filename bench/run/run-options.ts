/**
 * A run's compiled options: what `stampede run` (cli/flags/run-flags.ts) and a capacity step hand the run, durations
 * in ms and rates per second. result.json records them (secrets redacted) as the run's `options`.
 */
import type { EngineOptions } from '../../engine/index.js';
import type { ExecutorName } from '../executors/index.js';
import type { Routing } from '../client/routed-client.js';
import type { Stage } from '../executors/ramping-arrival-rate.js';

export interface RunOptions {
  scenario: string;
  scenarioOptions: Record<string, unknown>;
  namespace: string;
  taskQueue: string;
  executor: ExecutorName;
  ratePerSec: number;
  startRatePerSec: number;
  stages: Stage[];
  vus: number;
  durationMs: number;
  warmupMs: number;
  iterations: number | undefined;
  maxInFlight: number;
  connections: number;
  drainTimeoutMs: number;
  verifySample: number;
  seed: number;
  starters: number;
  pollers: number;
  workflowPollers: number;
  activityPollers: number;
  /** Eager workflow start and eager activity dispatch in the synthetic workers. */
  eager: boolean;
  /** Engine members (or a Temporal frontend) to drive; empty: the embedded engine. */
  targets: string[];
  /** How calls pick a member (bench/client/routed-client.ts). */
  routing: Routing;
  segment: { index: number; count: number };
  runTag: string | undefined;
  /** Epoch ms at which the schedule starts (`--start-at`: every segment of a distributed run at one instant). */
  startAtMs: number | undefined;
  out: string | undefined;
  intervalMs: number;
  label: string | undefined;
  output: 'tty' | 'plain' | 'quiet' | 'json';
  report: boolean;
  engine: Partial<EngineOptions>;
  /** Whether --time-scale / --retention were set (else a scenario may choose the time scale). */
  timeScaleGiven: boolean;
  retentionGiven: boolean;
}
