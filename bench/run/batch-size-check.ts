/**
 * Before a run on Cassandra or Astra DB: would the scenario's payload settings push logged batches past the store's
 * batch-size thresholds? A workflow's input or a signal's payload is written inside one logged batch (the first
 * history node's batch with its history_tree row, or the execution row's batch), so a payload of N bytes makes a
 * batch of at least N bytes. Astra DB warns at 5 KiB and refuses at 50 KiB; Apache Cassandra's defaults
 * (batch_size_warn_threshold_in_kb, batch_size_fail_threshold_in_kb) are the same, and a node configured otherwise
 * refuses at its own threshold — the run then counts those batches as batch_too_large.
 */
import type { RunOptions } from './run-options.js';

export const BATCH_WARN_BYTES = 5 * 1024;
export const BATCH_FAIL_BYTES = 50 * 1024;

/** One line per scenario payload option that would cross a threshold (empty for other stores). */
export function batchSizeWarnings(o: Pick<RunOptions, 'engine' | 'scenario' | 'scenarioOptions' | 'target'>): string[] {
  if (o.target !== undefined || o.engine.store !== 'cassandra') return [];
  const store = o.engine.cassandra?.secureConnectBundle ? 'Astra DB' : 'Cassandra (default thresholds)';
  const out: string[] = [];
  for (const [name, value] of Object.entries(o.scenarioOptions)) {
    const bytes = Number(value);
    if (!/Bytes$/.test(name) || !Number.isFinite(bytes)) continue;
    const flag = `--${name.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`;
    if (bytes >= BATCH_FAIL_BYTES)
      out.push(
        `warning: ${o.scenario} ${flag} ${bytes} puts batches past ${store}'s 50 KiB batch-size failure threshold: those writes will be refused (counted as batch_too_large)`,
      );
    else if (bytes >= BATCH_WARN_BYTES)
      out.push(
        `warning: ${o.scenario} ${flag} ${bytes} puts batches past ${store}'s 5 KiB batch-size warning threshold (accepted, logged by the server)`,
      );
  }
  return out;
}
