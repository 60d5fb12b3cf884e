/** An activity for PauseActivity / UnpauseActivity tests (run by the real @temporalio/worker). */
import { Context } from '@temporalio/activity';

/**
 * Heartbeats until the server tells it to stop (a pause cancels it: ctx.sleep throws), and completes on any later
 * attempt.
 */
export async function pausable(): Promise<string> {
  const ctx = Context.current();
  if (ctx.info.attempt > 1) return `done on attempt ${ctx.info.attempt}`;
  for (let i = 0; ; i++) {
    ctx.heartbeat(i);
    await ctx.sleep(100);
  }
}

/** Sleeps three seconds (for UpdateActivityOptions: a shorter start-to-close timeout cuts it off). */
export async function slow(): Promise<string> {
  await Context.current().sleep(3000);
  return 'slept';
}

/** Heartbeats until stopped; an attempt that finds heartbeat details from an earlier one reports its attempt. */
export async function resettable(): Promise<string> {
  const ctx = Context.current();
  if (ctx.info.heartbeatDetails !== undefined) return `restarted at attempt ${ctx.info.attempt}`;
  for (let i = 0; ; i++) {
    ctx.heartbeat(i);
    await ctx.sleep(100);
  }
}
