/** The scenario registry: an explicit map, not import side effects. */
import type { AnyScenario } from '../bench/scenario-api/index.js';
import { hello } from './hello.js';

export const SCENARIOS: ReadonlyMap<string, AnyScenario> = new Map([[hello.name, hello]]);

export function scenarioNames(): string[] {
  return [...SCENARIOS.keys()];
}
