/** The engine a run starts in-process when it has no --target. */
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
