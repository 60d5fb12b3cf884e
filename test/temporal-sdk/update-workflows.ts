/** Workflows with update handlers, for the Workflow Update integration tests (bundled by the real worker). */
import * as wf from '@temporalio/workflow';

export const add = wf.defineUpdate<number, [number]>('add');
export const addAfter = wf.defineUpdate<number, [number, number]>('addAfter');
export const fail = wf.defineUpdate<never, [string]>('fail');
export const finish = wf.defineSignal('finish');
export const total = wf.defineQuery<number>('total');

/**
 * A counter changed by updates: `add` (validated: no negatives) answers in the task it arrives in, `addAfter`
 * sleeps first (accepted in one task, completed in a later one), `fail` throws. Returns the total on `finish`.
 */
export async function counter(start = 0): Promise<number> {
  let sum = start;
  let done = false;
  wf.setHandler(
    add,
    (n) => {
      sum += n;
      return sum;
    },
    {
      validator: (n) => {
        if (n < 0) throw new Error(`negative amount ${n}`);
      },
    },
  );
  wf.setHandler(addAfter, async (n, ms) => {
    await wf.sleep(ms);
    sum += n;
    return sum;
  });
  wf.setHandler(fail, (message) => {
    throw wf.ApplicationFailure.nonRetryable(message, 'UpdateFailed');
  });
  wf.setHandler(finish, () => {
    done = true;
  });
  wf.setHandler(total, () => sum);
  await wf.condition(() => done && wf.allHandlersFinished());
  return sum;
}

/** Has no update handlers: every update is rejected by the SDK. */
export async function noHandlers(): Promise<void> {
  await wf.condition(() => false);
}

const pausableActivities = wf.proxyActivities<{ pausable(): Promise<string> }>({
  startToCloseTimeout: '30s',
  heartbeatTimeout: '1s',
  retry: { initialInterval: '100ms', backoffCoefficient: 1, maximumAttempts: 5 },
});

/** Runs the pausable activity (test/temporal-sdk/pausable-activities.ts) for the PauseActivity tests. */
export async function runsPausable(): Promise<string> {
  return pausableActivities.pausable();
}

/** Runs the slow activity once; reports whether it finished or timed out. */
export async function runsSlow(): Promise<string> {
  const { slow } = wf.proxyActivities<{ slow(): Promise<string> }>({
    startToCloseTimeout: '30s',
    retry: { maximumAttempts: 1 },
  });
  try {
    return await slow();
  } catch (err) {
    if (err instanceof wf.ActivityFailure && err.cause instanceof wf.TimeoutFailure) return 'timed out';
    throw err;
  }
}

/** Runs the resettable activity with two attempts allowed (ResetActivity ends the first; the second reports). */
export async function runsResettable(): Promise<string> {
  const { resettable } = wf.proxyActivities<{ resettable(): Promise<string> }>({
    startToCloseTimeout: '30s',
    heartbeatTimeout: '1s',
    retry: { maximumAttempts: 2, initialInterval: '50ms' },
  });
  return resettable();
}
