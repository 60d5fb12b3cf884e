/** The scenario registry: an explicit map, not import side effects. */
import type { AnyScenario } from './sdk/index.js';
import { children } from './children.js';
import { hello } from './hello.js';
import { loyalty } from './loyalty.js';
import { mixed } from './mixed.js';
import { schedules } from './schedules.js';
import { signalStorm } from './signal-storm.js';
import { subscription } from './subscription.js';
import { throughputStress } from './throughput-stress.js';
import { timers } from './timers.js';
import { updates } from './updates.js';

export const SCENARIOS: ReadonlyMap<string, AnyScenario> = new Map(
  [hello, subscription, timers, signalStorm, loyalty, children, updates, schedules, throughputStress, mixed].map(
    (s) => [s.name, s],
  ),
);
