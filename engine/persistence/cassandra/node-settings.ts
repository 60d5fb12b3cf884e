/**
 * What a node says about itself that changes what a run does to it: its batch-size thresholds and, on 4.1+, its
 * Paxos variant (`paxos_variant`: v1, or v2 from CEP-14, which halves an LWT's round trips).
 *
 * The batch-size thresholds of the store a run writes to: what a logged batch may weigh before the server warns
 * and before it refuses it. Astra DB's are fixed guardrails (5 KiB, 50 KiB). A Cassandra 4.0+ node says its own in
 * the `system_views.settings` virtual table (4.0: `batch_size_*_threshold_in_kb`, in KiB; 4.1+:
 * `batch_size_*_threshold`, a data-storage value such as `5KiB`); older nodes have no virtual tables, and their
 * settings are only in cassandra.yaml, so the defaults (which are the same) stand, said to be defaults.
 */
import type cassandra from 'cassandra-driver';
import { StoreUnavailableError } from '../errors.js';
import type { BatchThresholds } from '../store.js';
import { retryThrottled } from './classify.js';

export const DEFAULT_BATCH_WARN_BYTES = 5 * 1024;
export const DEFAULT_BATCH_FAIL_BYTES = 50 * 1024;

const UNIT_BYTES: Record<string, number> = { B: 1, KIB: 1024, MIB: 1024 * 1024, GIB: 1024 * 1024 * 1024 };

/** A setting's value in bytes: `5KiB` / `50 KiB` (4.1+), or a bare number of KiB (4.0's `_in_kb` names). */
export function settingBytes(name: string, value: string | null | undefined): number | undefined {
  if (value === null || value === undefined) return undefined;
  const v = value.trim();
  if (name.endsWith('_in_kb')) {
    const kib = Number(v);
    return Number.isFinite(kib) && kib >= 0 ? kib * 1024 : undefined;
  }
  const m = /^(\d+(?:\.\d+)?)\s*([A-Za-z]+)$/.exec(v);
  const unit = m ? UNIT_BYTES[m[2]!.toUpperCase()] : undefined;
  return m && unit !== undefined ? Number(m[1]) * unit : undefined;
}

/** The thresholds named by rows of `system_views.settings` (either generation's names); missing ones are undefined. */
export function thresholdsFromSettings(rows: readonly { name: string; value: string | null }[]): {
  warnBytes: number | undefined;
  failBytes: number | undefined;
} {
  const find = (kind: 'warn' | 'fail'): number | undefined => {
    for (const name of [`batch_size_${kind}_threshold`, `batch_size_${kind}_threshold_in_kb`]) {
      const row = rows.find((r) => r.name === name);
      const bytes = row ? settingBytes(name, row.value) : undefined;
      if (bytes !== undefined) return bytes;
    }
    return undefined;
  };
  return { warnBytes: find('warn'), failBytes: find('fail') };
}

export interface NodeSettings {
  batchThresholds: BatchThresholds;
  /** `paxos_variant` where the node shows it (4.1+); undefined before 4.1, and on Astra. */
  paxosVariant: string | undefined;
}

/** Reads what the node the client is connected to says (never throws: unreadable settings mean defaults). */
export async function readNodeSettings(client: cassandra.Client, astra: boolean): Promise<NodeSettings> {
  if (astra)
    return {
      batchThresholds: {
        warnBytes: DEFAULT_BATCH_WARN_BYTES,
        failBytes: DEFAULT_BATCH_FAIL_BYTES,
        source: 'Astra DB guardrails',
      },
      paxosVariant: undefined,
    };
  let rows: { name: string; value: string | null }[] = [];
  try {
    const rs = await retryThrottled("reading the node's settings", () =>
      client.execute('SELECT name, value FROM system_views.settings'),
    );
    rows = rs.rows.map((r) => ({ name: String(r['name']), value: r['value'] as string | null }));
  } catch (err) {
    // Cassandra before 4.0 has no system_views: its settings live only in cassandra.yaml.
    if (err instanceof StoreUnavailableError) throw err;
  }
  const t = thresholdsFromSettings(rows);
  const read = t.warnBytes !== undefined || t.failBytes !== undefined;
  const paxos = rows.find((r) => r.name === 'paxos_variant')?.value ?? undefined;
  return {
    batchThresholds: {
      warnBytes: t.warnBytes ?? DEFAULT_BATCH_WARN_BYTES,
      failBytes: t.failBytes ?? DEFAULT_BATCH_FAIL_BYTES,
      source: read
        ? "the node's settings (system_views.settings)"
        : 'defaults (this node does not expose its settings; Cassandra before 4.0)',
    },
    paxosVariant: paxos === null ? undefined : paxos,
  };
}
