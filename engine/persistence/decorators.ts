/**
 * Decorators around the manager interfaces (never mixed into business code): retries of writes that certainly
 * did not apply and of reads, with capped backoff. Condition failures and unknown outcomes are not retried here:
 * the transaction path owns those (reload, fence).
 */
import { StoreError } from './errors.js';

export interface RetryPolicy {
  attempts: number;
  initialBackoffMs: number;
  maxBackoffMs: number;
}

function retryable(err: unknown): boolean {
  return err instanceof StoreError && err.applied === 'no' && (err.code === 'UNAVAILABLE' || err.code === 'TIMEOUT');
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

export function withRetries<T extends object>(target: T, policy: RetryPolicy): T {
  return decorate(target, async (_method, call) => {
    for (let attempt = 1; ; attempt++) {
      try {
        return await call();
      } catch (err) {
        if (!retryable(err) || attempt >= policy.attempts) throw err;
        const backoff = Math.min(policy.initialBackoffMs * 2 ** (attempt - 1), policy.maxBackoffMs);
        await new Promise((r) => setTimeout(r, backoff * (0.5 + Math.random() / 2)));
      }
    }
  });
}

/** Fault injection: every call waits `ms` first (a slower store), for testing regression gates. */
export function withLatency<T extends object>(target: T, ms: number): T {
  return decorate(target, async (_method, call) => {
    await new Promise((r) => setTimeout(r, ms));
    return call();
  });
}
