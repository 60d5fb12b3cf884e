/** Workflows for the SDK integration tests (bundled and run by the real @temporalio/worker). */
import * as wf from '@temporalio/workflow';
import type * as activities from './activities.js';

const acts = wf.proxyActivities<typeof activities>({
  startToCloseTimeout: '10s',
  retry: { initialInterval: '50ms', backoffCoefficient: 1, maximumAttempts: 5 },
});

export async function greeting(name: string): Promise<string> {
  return acts.greet(name);
}

export async function retrying(): Promise<number> {
  return acts.flaky();
}

export async function exhaustsRetries(): Promise<string> {
  const limited = wf.proxyActivities<typeof activities>({
    startToCloseTimeout: '10s',
    retry: { initialInterval: '20ms', maximumAttempts: 3 },
  });
  try {
    await limited.alwaysFails();
    return 'no failure';
  } catch (err) {
    if (err instanceof wf.ActivityFailure && err.cause instanceof wf.ApplicationFailure)
      return `${err.cause.type}: ${err.cause.message}`;
    throw err;
  }
}

export async function heartbeatCancel(): Promise<string> {
  const hb = wf.proxyActivities<typeof activities>({
    startToCloseTimeout: '30s',
    heartbeatTimeout: '1s',
    cancellationType: wf.ActivityCancellationType.WAIT_CANCELLATION_COMPLETED,
  });
  const scope = new wf.CancellationScope();
  const running = scope.run(() => hb.heartbeater());
  await wf.sleep(400);
  scope.cancel();
  try {
    await running;
    return 'not cancelled';
  } catch (err) {
    if (wf.isCancellation(err)) return 'cancelled';
    throw err;
  }
}

/** Returns how much workflow time passed across a 30-day sleep. */
export async function longSleep(): Promise<number> {
  const before = Date.now();
  await wf.sleep('30 days');
  return Date.now() - before;
}

export const addSignal = wf.defineSignal<[number]>('add');
export const totalQuery = wf.defineQuery<number>('total');

export async function accumulate(target: number): Promise<number> {
  let total = 0;
  let count = 0;
  wf.setHandler(addSignal, (n) => {
    total += n;
    count += 1;
  });
  wf.setHandler(totalQuery, () => total);
  await wf.condition(() => count >= target);
  return total;
}

export async function waitForever(): Promise<string> {
  await wf.condition(() => false);
  return 'unreachable';
}

export async function looping(n: number, max: number): Promise<number> {
  if (n >= max) return n;
  return wf.continueAsNew<typeof looping>(n + 1, max);
}

export async function timerThenActivity(): Promise<string> {
  await wf.sleep(200);
  return acts.greet('after the timer');
}

export async function sleepThenGreet(ms: number): Promise<string> {
  await wf.sleep(ms);
  return acts.greet('the second worker');
}

/**
 * Sleeps in a loop until the server suggests continue-as-new (workflowInfo().continueAsNewSuggested, from
 * WorkflowTaskStarted), then continues as new once: the pattern Temporal's docs recommend for long histories.
 */
export async function untilSuggested(continued: boolean): Promise<string> {
  if (continued) return 'continued';
  for (let i = 0; i < 100; i++) {
    if (wf.workflowInfo().continueAsNewSuggested) return wf.continueAsNew<typeof untilSuggested>(true);
    await wf.sleep(1);
  }
  return 'never suggested';
}
