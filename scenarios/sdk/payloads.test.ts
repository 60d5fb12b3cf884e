import { describe, expect, it } from 'vitest';
import { fromPayload, fromPayloads, toPayload, toPayloads } from './payloads.js';

describe('payloads', () => {
  it('round-trips JSON, undefined and bytes', () => {
    expect(fromPayload(toPayload({ a: 1, b: ['x'] }))).toEqual({ a: 1, b: ['x'] });
    expect(fromPayload(toPayload(undefined))).toBeUndefined();
    expect(fromPayload(toPayload(new Uint8Array([1, 2])))).toEqual(new Uint8Array([1, 2]));
    expect(fromPayloads(toPayloads('first', 'second'), 1)).toBe('second');
  });

  it('uses the SDK default converter encodings', () => {
    const p = toPayload('hi');
    expect(new TextDecoder().decode(p.metadata?.encoding)).toBe('json/plain');
    expect(new TextDecoder().decode(p.data ?? undefined)).toBe('"hi"');
  });
});
