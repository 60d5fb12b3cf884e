import cassandra from 'cassandra-driver';
import { expect, it } from 'vitest';
import { batchBytes } from './batch-size.js';

it('counts the bytes of the values bound to a batch, as the batch-size guardrail measures them', () => {
  const blob = Buffer.alloc(1000);
  const size = batchBytes([
    { params: [1, cassandra.types.Uuid.random(), 'wf-ü', blob] },
    { params: [cassandra.types.Long.fromNumber(7), new Map([[1, Buffer.alloc(10)]]), new Set(['a']), null] },
    { params: [[{ encoding_type: 'proto3', version: 1, data: Buffer.alloc(50) }]] },
  ]);
  // 4 + 16 + 5 + 1000, then 8 + (4 + 10) + 1 + 0, then (6 + 4 + 50)
  expect(size).toBe(1025 + 23 + 60);
});
