/**
 * Before a run on Cassandra or Astra DB: would the scenario's payload settings push logged batches past the store's
 * batch-size thresholds? A workflow's input or a signal's payload is written inside one logged batch (the first
 * history node's batch with its history_tree row, or the execution row's batch), so a payload of N bytes makes a
 * batch of at least N bytes. The thresholds are the target's own, as its engine read them (Astra DB's guardrails,
 * a 4.0+ node's `system_views.settings`, or the defaults a 2.1–3.x node does not let a client read); past the
 * failure threshold the run counts those batches as batch_too_large.
 */
import type { EngineStats } from '../../engine/index.js';
import type { RunOptions } from './run-options.js';

/** What the target engine reports about its store's batch thresholds. */
type Thresholds = NonNullable<EngineStats['batchThresholds']>;

/** One line per scenario payload option that would cross a threshold (none when the store has no thresholds). */
export function batchSizeWarnings(
  o: Pick<RunOptions, 'scenario' | 'scenarioOptions'>,
  thresholds: Thresholds | undefined,
): string[] {
  if (!thresholds) return [];
  const kib = (bytes: number): string => `${Number((bytes / 1024).toFixed(1))} KiB`;
  const out: string[] = [];
  for (const [name, value] of Object.entries(o.scenarioOptions)) {
    const bytes = Number(value);
    if (!/Bytes$/.test(name) || !Number.isFinite(bytes)) continue;
    const flag = `--${name.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`;
    if (bytes >= thresholds.failBytes)
      out.push(
        `warning: ${o.scenario} ${flag} ${bytes} puts batches past the store's ${kib(thresholds.failBytes)} batch-size failure threshold (${thresholds.source}): those writes will be refused (counted as batch_too_large)`,
      );
    else if (bytes >= thresholds.warnBytes)
      out.push(
        `warning: ${o.scenario} ${flag} ${bytes} puts batches past the store's ${kib(thresholds.warnBytes)} batch-size warning threshold (${thresholds.source}): accepted, and warned about by the server`,
      );
  }
  return out;
}
