/** Reading int64 and timestamp fields of decoded protos (Long or number) in the worker threads. */

export function num(v: unknown): number {
  if (typeof v === 'number') return v;
  if (v && typeof v === 'object' && 'toNumber' in v) return (v as { toNumber(): number }).toNumber();
  return Number(v ?? 0);
}

/** A Timestamp (or Duration), µs. */
export function tsUs(t: { seconds?: unknown; nanos?: number | null } | null | undefined): number {
  return t ? num(t.seconds) * 1e6 + Math.floor((t.nanos ?? 0) / 1000) : 0;
}
