import { describe, expect, it } from 'vitest';
import Long from 'long';
import { NotFoundError, NotOwnerError, UnavailableError, WorkflowAlreadyStartedError } from '../errors.js';
import { StaleTaskError } from '../history/errors.js';
import { ShardOwnershipLostError } from '../persistence/errors.js';
import { decode, encode, fromWireError, toWireError } from './wire.js';

describe('member wire format', () => {
  it('carries plain data, byte arrays, Maps and Longs', () => {
    const value = { a: 1, b: new Uint8Array([1, 2, 3]), m: new Map([['k', 2]]), n: Long.fromNumber(2 ** 40) };
    const back = decode(encode(value)) as typeof value;
    expect(back.a).toBe(1);
    expect([...back.b]).toEqual([1, 2, 3]);
    expect(back.m.get('k')).toBe(2);
    expect(Long.fromValue(back.n).toNumber()).toBe(2 ** 40);
  });

  it('gives the caller the class and fields of the error the owner raised', () => {
    const started = fromWireError(toWireError(new WorkflowAlreadyStartedError('w', 'r', 'req')), 'm1');
    expect(started).toBeInstanceOf(WorkflowAlreadyStartedError);
    expect((started as WorkflowAlreadyStartedError).runId).toBe('r');
    expect(started.message).toMatch(/already running/);
    expect(fromWireError(toWireError(new StaleTaskError('old')), 'm1')).toBeInstanceOf(NotFoundError);
    expect(fromWireError(toWireError(new NotOwnerError('moved')), 'm1')).toBeInstanceOf(UnavailableError);
    const lost = fromWireError(toWireError(new ShardOwnershipLostError(3, 1, 2)), 'm1');
    expect(lost).toBeInstanceOf(ShardOwnershipLostError);
  });

  it('turns an error of a class it does not know into UNAVAILABLE naming the member', () => {
    const err = fromWireError({ name: 'SomethingElse', message: 'boom', fields: {} }, '10.0.0.2:7233');
    expect(err).toBeInstanceOf(UnavailableError);
    expect(err.message).toContain('10.0.0.2:7233');
  });
});
