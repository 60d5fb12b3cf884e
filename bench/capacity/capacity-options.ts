/** A capacity search's compiled options (cli/flags/capacity-flags.ts compiles them from flags and files). */
import type { Threshold } from '../../reports/gate/threshold.js';
import type { StabilityLimits } from './judge.js';
import type { Resolution } from './search.js';

export interface CapacityOptions {
  slos: Threshold[];
  fromPerSec: number;
  /** Infinity: no upper bound. */
  toPerSec: number;
  factor: number;
  resolution: Resolution;
  stepDurationMs: number;
  holdMs: number;
  /** Infinity: no budget. */
  budgetMs: number;
  maxSteps: number;
  prime: boolean;
  verbose: boolean;
  limits: StabilityLimits;
  targetRatePerSec: number | undefined;
  storeNodes: number;
  planningUtilisation: number | undefined;
}
