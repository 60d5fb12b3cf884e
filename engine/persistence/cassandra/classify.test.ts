import cassandra from 'cassandra-driver';
import { describe, expect, it } from 'vitest';
import { StoreError } from '../errors.js';
import { classifyDriverError } from './classify.js';

describe('classifyDriverError', () => {
  it("treats the driver's plain 'No connection available' as the node being unreachable, not an engine fault", () => {
    // cassandra-driver's host pool throws this as a plain Error (host-connection-pool.js, borrowConnection) while a
    // node that came back up has no open connection yet; the reliability test's Cassandra restart hits it.
    const read = classifyDriverError(new Error('No connection available'), false, false);
    expect(read).toBeInstanceOf(StoreError);
    expect((read as StoreError).code).toBe('UNAVAILABLE');
    // Nothing was sent (no connection was lent), so a write did not happen either.
    const write = classifyDriverError(new Error('No connection available'), true, true);
    expect(write).toBeInstanceOf(StoreError);
    expect((write as StoreError).applied).toBe('no');
  });

  it('keeps other plain errors as they are (a bug stays visible) and maps NoHostAvailable to UNAVAILABLE', () => {
    const bug = new TypeError('bad parameter');
    expect(classifyDriverError(bug, false, false)).toBe(bug);
    const other = new Error('something else');
    expect(classifyDriverError(other, false, false)).toBe(other);
    const nha = classifyDriverError(new cassandra.errors.NoHostAvailableError({}), false, false);
    expect((nha as StoreError).code).toBe('UNAVAILABLE');
  });

  it('marks what means the store is unreachable as an outage, and an unhappy answer not', () => {
    const outage = (e: unknown, write = false): boolean => (classifyDriverError(e, write, write) as StoreError).outage;
    expect(outage(new cassandra.errors.NoHostAvailableError({}))).toBe(true);
    expect(outage(new Error('No connection available'))).toBe(true);
    // What the driver rejects requests in flight with when a node's connection drops (connection.js); the type
    // declares DriverError abstract, the runtime class is not.
    const Driver = cassandra.errors.DriverError as unknown as new (message: string) => Error;
    const closed = new Driver('Socket was closed');
    expect(outage(closed, true)).toBe(true);
    expect((classifyDriverError(closed, true, true) as StoreError).applied).toBe('unknown');
    expect(outage(new cassandra.errors.OperationTimedOutError('client timeout'), true)).toBe(false);
    const overloaded = new cassandra.errors.ResponseError(cassandra.types.responseErrorCodes.overloaded, 'busy');
    expect(outage(overloaded)).toBe(false);
    const unavailable = new cassandra.errors.ResponseError(
      cassandra.types.responseErrorCodes.unavailableException,
      'not enough replicas',
    );
    expect(outage(unavailable)).toBe(true);
  });
});

describe('throttling and guardrails', () => {
  const codes = cassandra.types.responseErrorCodes;

  it("classifies Astra's rate limit (an OverloadedException) as throttled, certainly not applied", () => {
    const e = classifyDriverError(
      new cassandra.errors.ResponseError(codes.overloaded, 'Rate limit reached'),
      true,
      true,
    );
    expect((e as StoreError).code).toBe('THROTTLED');
    expect((e as StoreError).applied).toBe('no');
    expect((e as StoreError).outage).toBe(false);
  });

  it('classifies a batch refused for its size as batch too large, and other invalid requests as internal', () => {
    const tooLarge = classifyDriverError(
      new cassandra.errors.ResponseError(codes.invalid, 'Batch too large'),
      true,
      true,
    );
    expect((tooLarge as StoreError).code).toBe('BATCH_TOO_LARGE');
    expect((tooLarge as StoreError).applied).toBe('no');
    const other = classifyDriverError(
      new cassandra.errors.ResponseError(codes.invalid, 'unknown column x'),
      true,
      true,
    );
    expect((other as StoreError).code).toBe('INTERNAL');
  });
});
