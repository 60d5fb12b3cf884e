/** The engine a run starts in-process when it has no --target. */
import { startEngine, type Engine } from '../../engine/index.js';
import type { RunPlan } from './plan.js';
import type { Progress } from './progress.js';
import type { RunOptions } from './run-options.js';

/**
 * The default retention of closed runs, real time: `--retention`'s default (24h) under the real clock, scaled to
 * virtual time when a scenario compresses the clock, so closed runs can still be read back when the run ends.
 */
const DEFAULT_RETENTION_REAL_MS = 24 * 3600 * 1000;

/** The embedded engine's options: the run's, with the time scale a scenario suggests unless --time-scale is given. */
export function embeddedEngineOptions(o: RunOptions, suggestedTimeScale: number | undefined): RunOptions['engine'] {
  const engineOptions = { ...o.engine };
  if (suggestedTimeScale !== undefined && suggestedTimeScale !== engineOptions.timeScale) {
    engineOptions.timeScale = suggestedTimeScale;
    // Retention is virtual time: keep closed runs for the default's worth of real time at the new scale.
    if (!o.retentionGiven) engineOptions.defaultRetentionMs = DEFAULT_RETENTION_REAL_MS * suggestedTimeScale;
  }
  return engineOptions;
}

/** Starts the embedded engine on a free loopback port, at the time scale the scenario suggests unless given. */
export async function startEmbeddedEngine(o: RunOptions, plan: RunPlan, progress: Progress): Promise<Engine> {
  const suggested = o.timeScaleGiven ? undefined : plan.scenario.timeScale?.(plan.scenarioValues);
  const engineOptions = embeddedEngineOptions(o, suggested);
  const scale = engineOptions.timeScale ?? 1;
  const why = suggested !== undefined ? ` (the ${plan.scenario.name} default; --time-scale overrides)` : '';
  progress.info(
    `starting embedded engine (store ${engineOptions.store ?? 'memory'}, ${engineOptions.numShards ?? 4} shards${scale !== 1 ? `, time x${formatScale(scale)}${why}` : ''})`,
  );
  return startEngine({ ...engineOptions, host: '127.0.0.1', port: 0 });
}

function formatScale(x: number): string {
  return x >= 1000 ? Math.round(x).toLocaleString('en-US') : String(Number(x.toPrecision(4)));
}
