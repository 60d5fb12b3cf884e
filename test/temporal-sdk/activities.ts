/** Activities for the SDK integration tests (run by the real @temporalio/worker). */
import { ApplicationFailure, Context } from '@temporalio/activity';

export function greet(name: string): Promise<string> {
  return Promise.resolve(`hello, ${name}`);
}

/** Fails its first two attempts, then returns the attempt number. */
export function flaky(): Promise<number> {
  const { attempt } = Context.current().info;
  if (attempt < 3) throw ApplicationFailure.retryable(`attempt ${attempt} fails`, 'Flaky');
  return Promise.resolve(attempt);
}

export function alwaysFails(): Promise<never> {
  throw ApplicationFailure.retryable('always fails', 'Boom');
}

/** Heartbeats until cancelled (ctx.sleep throws CancelledFailure once the server asks to cancel). */
export async function heartbeater(): Promise<string> {
  const ctx = Context.current();
  for (let i = 0; ; i++) {
    ctx.heartbeat(i);
    await ctx.sleep(100);
  }
}
