/**
 * Decorators around the manager interfaces (never mixed into business code): retries of writes that certainly
 * did not apply and of reads, with capped backoff. Condition failures and unknown outcomes are not retried here:
 * the transaction path owns those (reload, fence).
 */
import { StoreError } from './errors.js';
import type { StoreHealth } from './health.js';

export interface RetryPolicy {
  attempts: number;
  initialBackoffMs: number;
  maxBackoffMs: number;
}

function retryable(err: unknown): boolean {
  return (
    err instanceof StoreError &&
    err.applied === 'no' &&
    (err.code === 'UNAVAILABLE' || err.code === 'TIMEOUT' || err.code === 'THROTTLED')
  );
}

/**
 * A throttled attempt waits at least as long as Temporal's throttle retry policy says (common/backoff/retry.go:
 * ResourceExhausted backs off max(the policy's interval, 1 s doubling up to 10 s)): retrying a rate limit sooner only
 * spends more of the rate.
 */
export const THROTTLE_BACKOFF = { initialMs: 1000, maxMs: 10_000 };

/** The wait before throttled retry number `retry` (1-based): Temporal's throttle backoff. */
export function throttleBackoffMs(retry: number): number {
  return Math.min(THROTTLE_BACKOFF.initialMs * 2 ** (retry - 1), THROTTLE_BACKOFF.maxMs);
}

export function backoffMs(policy: RetryPolicy, retry: number, err: unknown): number {
  const base = Math.min(policy.initialBackoffMs * 2 ** (retry - 1), policy.maxBackoffMs);
  if (!isThrottledError(err)) return base;
  return Math.max(base, throttleBackoffMs(retry));
}

export function isThrottledError(err: unknown): boolean {
  return err instanceof StoreError && err.code === 'THROTTLED';
}

/**
 * A start-up step outside any request (registering the default namespace, loading schedules): a throttled store is
 * waited out with Temporal's throttle backoff for up to `budgetMs`, after the decorator's own few retries; then the
 * error stands. A rate limit refusing the burst of a starting engine is a wait, not a failed start.
 */
export async function whileThrottled<T>(fn: () => Promise<T>, budgetMs = 60_000): Promise<T> {
  const deadline = Date.now() + budgetMs;
  for (let retry = 1; ; retry++) {
    try {
      return await fn();
    } catch (err) {
      const waitMs = throttleBackoffMs(retry);
      if (!isThrottledError(err) || Date.now() + waitMs > deadline) throw err;
      await new Promise((r) => setTimeout(r, waitMs * (0.5 + Math.random() / 2)));
    }
  }
}

/** Wraps every method of `target` (own and inherited) with `around`. */
export function decorate<T extends object>(
  target: T,
  around: (method: string, call: () => Promise<unknown>) => Promise<unknown>,
): T {
  const out: Record<string, unknown> = {};
  for (
    let proto: object | null = target;
    proto && proto !== Object.prototype;
    proto = Object.getPrototypeOf(proto) as object | null
  ) {
    for (const name of Object.getOwnPropertyNames(proto)) {
      if (name === 'constructor' || name in out) continue;
      const value = (target as Record<string, unknown>)[name];
      if (typeof value !== 'function') continue;
      const fn = value as (...args: unknown[]) => Promise<unknown>;
      out[name] = (...args: unknown[]) => around(name, () => fn.apply(target, args));
    }
  }
  return out as T;
}

/** Runs `call`, turning a synchronous throw into a rejection. */
function attempt(call: () => Promise<unknown>): Promise<unknown> {
  try {
    return Promise.resolve(call());
  } catch (err) {
    // (A rejection of whatever was thrown, as an async function would give.)
    return Promise.resolve().then(() => {
      throw err;
    });
  }
}

export function withRetries<T extends object>(target: T, policy: RetryPolicy): T {
  // The first attempt is the call's own promise (no extra async frame on the hot path); only a failure that may be
  // retried goes through the retry loop.
  const retry = async (call: () => Promise<unknown>, first: unknown): Promise<unknown> => {
    let err = first;
    for (let n = 1; ; n++) {
      if (!retryable(err) || n >= policy.attempts) throw err;
      const backoff = backoffMs(policy, n, err);
      await new Promise((r) => setTimeout(r, backoff * (0.5 + Math.random() / 2)));
      try {
        return await call();
      } catch (e) {
        err = e;
      }
    }
  };
  return decorate(target, (_method, call) => attempt(call).catch((err: unknown) => retry(call, err)));
}

/** Fault injection: every call waits `ms` first (a slower store), for testing regression gates. */
export function withLatency<T extends object>(target: T, ms: number): T {
  return decorate(target, async (_method, call) => {
    await new Promise((r) => setTimeout(r, ms));
    return call();
  });
}

/** Reports every failed call to `health`, which tells an outage of the store from an unhappy answer. */
export function withHealth<T extends object>(target: T, health: StoreHealth): T {
  return decorate(target, (_method, call) =>
    attempt(call).catch((err: unknown) => {
      health.failed(err);
      throw err;
    }),
  );
}
