/**
 * The size of a logged batch as Cassandra's batch-size guardrails see it. Cassandra (BatchStatement.verifyBatchSize)
 * and Astra DB measure the data of the mutations a batch makes, not the statement texts: the values bound to it.
 * This counts the bytes of the bound values in their CQL encoding (a blob its length, text its UTF-8 length, a uuid
 * 16, a bigint or timestamp 8, an int 4, collections their elements), which is what the threshold compares against,
 * give or take per-cell overheads of a few bytes.
 */
import type { Params } from './context.js';

export function batchBytes(queries: readonly { params: Params }[]): number {
  let total = 0;
  for (const q of queries) for (const value of q.params) total += valueBytes(value);
  return total;
}

export function valueBytes(value: unknown): number {
  if (value === null || value === undefined) return 0;
  if (Buffer.isBuffer(value)) return value.length;
  if (typeof value === 'string') return Buffer.byteLength(value, 'utf8');
  if (typeof value === 'number') return Number.isInteger(value) && Math.abs(value) < 2 ** 31 ? 4 : 8;
  if (typeof value === 'bigint' || value instanceof Date) return 8;
  if (typeof value === 'boolean') return 1;
  if (value instanceof Map) {
    let n = 0;
    for (const [k, v] of value) n += valueBytes(k) + valueBytes(v);
    return n;
  }
  if (value instanceof Set || Array.isArray(value)) {
    let n = 0;
    for (const v of value as Iterable<unknown>) n += valueBytes(v);
    return n;
  }
  if (typeof value === 'object') {
    // Driver types: Uuid/TimeUuid carry a 16-byte buffer, Long is 8 bytes; a UDT value is a plain object of fields.
    const buffer = (value as { buffer?: unknown }).buffer;
    if (Buffer.isBuffer(buffer)) return buffer.length;
    if ('high' in value && 'low' in value) return 8;
    let n = 0;
    for (const v of Object.values(value)) n += valueBytes(v);
    return n;
  }
  return 0;
}
