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
});
