/** The starter and poller threads a run spawns, described as each one's init message, and the check of what they run. */
import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { isDeepStrictEqual } from 'node:util';
import type { ThreadEffectiveOptions, ThreadInit } from '../coordinator/protocol.js';
import type { RunPlan } from './plan.js';
import type { RunOptions } from './run-options.js';

export function threadInits(o: RunOptions, plan: RunPlan, targets: string[], timeScale: number): ThreadInit[] {
  const base: Omit<ThreadInit, 'role' | 'threadIndex' | 'threadCount'> = {
    segmentIndex: o.segment.index,
    segmentCount: o.segment.count,
    targets,
    routing: o.routing,
    namespace: o.namespace,
    taskQueue: o.taskQueue,
    scenario: o.scenario,
    scenarioOptions: o.scenarioOptions,
    executor: { name: o.executor, config: { ...plan.executorConfig } },
    // The caps are the run's; each starter takes its share.
    maxInFlight: Math.max(1, Math.ceil(o.maxInFlight / Math.max(1, o.starters))),
    connections: Math.max(1, Math.ceil(o.connections / Math.max(1, o.starters))),
    intervalMs: o.intervalMs,
    runTag: plan.runTag,
    seed: o.seed,
    workflowPollers: o.workflowPollers,
    activityPollers: o.activityPollers,
    eager: o.eager,
    timeScale,
    drainTimeoutMs: o.drainTimeoutMs,
    identity: `stampede@${hostname()}`,
    origin: `${plan.runTag}/s${o.segment.index}/${randomUUID().slice(0, 8)}`,
  };
  return [
    ...Array.from({ length: o.starters }, (_, i) => ({
      ...base,
      role: 'starter' as const,
      threadIndex: i,
      threadCount: o.starters,
    })),
    ...Array.from({ length: o.pollers }, (_, i) => ({
      ...base,
      role: 'poller' as const,
      threadIndex: i,
      threadCount: o.pollers,
    })),
  ];
}

/** Where a thread's options differ from those the run records: `key: recorded X, a thread ran Y`. */
export function effectiveMismatches(recorded: Record<string, unknown>, effective: ThreadEffectiveOptions[]): string[] {
  const out = new Set<string>();
  for (const e of effective)
    for (const [key, value] of Object.entries(e))
      if (!isDeepStrictEqual(recorded[key], value))
        out.add(`${key}: recorded ${JSON.stringify(recorded[key])}, a thread ran ${JSON.stringify(value)}`);
  return [...out];
}
