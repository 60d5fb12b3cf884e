/** Column values: BIGINT arrives as a string from node-postgres, blobs go in as Buffers; timestamps as epoch ms. */
import type { RecordBlob } from '../store.js';

export const ENCODING = 'json';
export const EVENTS_ENCODING = 'proto3';

export function num(v: unknown): number {
  return typeof v === 'number' ? v : Number(v);
}

export function buf(b: RecordBlob): Buffer {
  return typeof b === 'string' ? Buffer.from(b, 'utf8') : Buffer.from(b.buffer, b.byteOffset, b.byteLength);
}

/**
 * SQL for a TIMESTAMP from epoch ms in parameter `$n`. Virtual-clock times carry fractions of a millisecond;
 * TIMESTAMP keeps microseconds, so they survive to the microsecond.
 */
export const tsFromMs = (n: number): string => `(TIMESTAMP 'epoch' + $${n}::float8 * INTERVAL '1 millisecond')`;
/** SQL for epoch ms (with its microseconds as a fraction) from a TIMESTAMP column. */
export const msFromTs = (col: string): string => `(EXTRACT(EPOCH FROM ${col}) * 1000)::float8`;
