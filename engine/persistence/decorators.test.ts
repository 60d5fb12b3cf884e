import { expect, it } from 'vitest';
import { backoffMs } from './decorators.js';
import { StoreThrottledError, StoreUnavailableError } from './errors.js';

it("backs a throttled retry off at least as long as Temporal's throttle policy (1 s doubling to 10 s)", () => {
  const policy = { attempts: 3, initialBackoffMs: 50, maxBackoffMs: 1000 };
  expect(backoffMs(policy, 1, new StoreUnavailableError('down'))).toBe(50);
  expect(backoffMs(policy, 1, new StoreThrottledError('Rate limit reached'))).toBe(1000);
  expect(backoffMs(policy, 2, new StoreThrottledError('Rate limit reached'))).toBe(2000);
  expect(backoffMs(policy, 9, new StoreThrottledError('Rate limit reached'))).toBe(10_000);
});
