/** Conversions between driver values and ours (bigint as Long, uuid as Uuid, collections as Map/Set/Array). */
import type cassandra from 'cassandra-driver';

export function asNumber(v: unknown): number {
  if (v === null || v === undefined) return NaN;
  if (typeof v === 'number') return v;
  if (typeof v === 'object' && 'toNumber' in v) return (v as cassandra.types.Long).toNumber();
  return Number(v);
}

export function asString(v: unknown): string {
  if (v === null || v === undefined) return '';
  return typeof v === 'string' ? v : (v as { toString(): string }).toString();
}

export function asBuffer(v: unknown): Uint8Array {
  return v instanceof Uint8Array ? v : new Uint8Array();
}

/** A map<K, blob> column read back (null when empty; keys as the driver gives them, e.g. Long). */
export function mapOf<K>(v: unknown, key: (k: unknown) => K): Map<K, Uint8Array> {
  const out = new Map<K, Uint8Array>();
  if (v instanceof Map) for (const [k, b] of v as Map<unknown, Buffer>) out.set(key(k), b);
  return out;
}
