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

const local = wf.proxyLocalActivities<typeof activities>({ startToCloseTimeout: '10s' });
export const stepQuery = wf.defineQuery<string>('step');

/** A local activity, then a timer; its query is answered by replaying the whole history once the run is closed. */
export async function localActivityThenQuery(): Promise<string> {
  let step = 'started';
  wf.setHandler(stepQuery, () => step);
  step = await local.greet('local');
  await wf.sleep(1);
  return step;
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

// ---- child workflows, external signals and cancels, retries, cron, metadata (issue 18) ----

/** A child that fails with an application failure (the parent sees a ChildWorkflowFailure around it). */
export function failing(message: string): Promise<string> {
  return Promise.reject(wf.ApplicationFailure.nonRetryable(message, 'ChildBoom'));
}

/** Runs a child to completion and returns its result and what it knew of its parent and root. */
export async function parentOfGreeting(childId: string): Promise<string> {
  const child = await wf.startChild(childInfo, {
    workflowId: childId,
    staticSummary: 'the child',
  });
  const info = await child.result();
  const greeted = await wf.executeChild(greeting, { args: ['child'], workflowId: `${childId}-greeting` });
  return `${greeted} | ${info}`;
}

export function childInfo(): Promise<string> {
  const i = wf.workflowInfo();
  return Promise.resolve(`parent=${i.parent?.workflowId ?? '-'} root=${i.root?.workflowId ?? '-'}`);
}

/** Runs a failing child and reports how the failure reached the parent. */
export async function parentOfFailing(childId: string): Promise<string> {
  try {
    await wf.executeChild(failing, { args: ['child failed'], workflowId: childId });
    return 'no failure';
  } catch (err) {
    if (err instanceof wf.ChildWorkflowFailure && err.cause instanceof wf.ApplicationFailure)
      return `${err.cause.type}: ${err.cause.message}`;
    throw err;
  }
}

/** Starts a child whose workflow id is already running: the start fails with WORKFLOW_ALREADY_EXISTS. */
export async function parentOfDuplicate(childId: string): Promise<string> {
  try {
    await wf.startChild(waitForever, { workflowId: childId });
    return 'started';
  } catch (err) {
    // (@temporalio/workflow does not re-export the class; the SDK names the error.)
    if (err instanceof Error && err.name === 'WorkflowExecutionAlreadyStartedError')
      return `already started: ${err.message}`;
    throw err;
  }
}

/** Starts a long-running child with the given parent-close policy, waits for it to start, then completes. */
export async function parentThatLeaves(childId: string, policy: wf.ParentClosePolicy): Promise<string> {
  const child = await wf.startChild(cancellableWait, { workflowId: childId, parentClosePolicy: policy });
  return child.firstExecutionRunId;
}

/** Waits until cancelled, then completes as cancelled. */
export async function cancellableWait(): Promise<string> {
  await wf.condition(() => false);
  return 'unreachable';
}

/** Signals another workflow (by id) `times` times through an external handle; reports a missing target. */
export async function signalOther(targetId: string, times: number): Promise<string> {
  const handle = wf.getExternalWorkflowHandle(targetId);
  try {
    for (let i = 1; i <= times; i++) await handle.signal(addSignal, i);
    return 'signalled';
  } catch (err) {
    if (err instanceof wf.ApplicationFailure || err instanceof Error) return `failed: ${err.message}`;
    throw err;
  }
}

/** Requests cancellation of another workflow; reports a missing target. */
export async function cancelOther(targetId: string): Promise<string> {
  try {
    await wf.getExternalWorkflowHandle(targetId).cancel();
    return 'cancel requested';
  } catch (err) {
    if (err instanceof Error) return `failed: ${err.message}`;
    throw err;
  }
}

/** Fails its first `failures` attempts (retryable), then returns its attempt and the last failure it saw. */
export function failsThenSucceeds(failures: number): Promise<string> {
  const i = wf.workflowInfo();
  if (i.attempt <= failures)
    return Promise.reject(wf.ApplicationFailure.retryable(`attempt ${i.attempt} fails`, 'Flaky'));
  return Promise.resolve(`attempt ${i.attempt} after "${i.lastFailure?.message ?? ''}"`);
}

/** A cron run: returns its run's position in the chain (the previous run's result + 1). */
export function cronRun(): Promise<number> {
  const last = wf.workflowInfo().lastResult;
  return Promise.resolve((typeof last === 'number' ? last : 0) + 1);
}

/** Sends a command the server refuses (a run id that is not a UUID): its workflow task fails on every attempt. */
export async function badCommand(): Promise<string> {
  await wf.getExternalWorkflowHandle('anyone', 'not-a-uuid').signal(addSignal, 1);
  return 'unreachable';
}

/** Upserts memo: one key deleted (null), one set. */
export async function memoUpsert(): Promise<string> {
  wf.upsertMemo({ gone: null, kept: 'yes' });
  await wf.sleep(10);
  return 'upserted';
}

/** Grows history past Temporal's 4096-event suggestion with short timers, then reports continueAsNewSuggested. */
export async function growsHistory(timers: number): Promise<string> {
  const before = wf.workflowInfo().continueAsNewSuggested;
  // In rounds of at most 1,000: the engine holds a run to 2,000 pending timers (engine/limits.ts).
  for (let left = timers; left > 0; left -= 1000)
    await Promise.all(Array.from({ length: Math.min(left, 1000) }, () => wf.sleep(1)));
  await wf.sleep(1);
  const i = wf.workflowInfo();
  return `before=${String(before)} after=${String(i.continueAsNewSuggested)} length=${i.historyLength}`;
}

/** A timer with a summary (user metadata on TimerStarted). */
export async function summarizedTimer(): Promise<string> {
  await wf.sleep(10, { summary: 'a short nap' });
  return 'rested';
}

/** A parent that runs one trivial child to completion (the statement-mix benchmark's parent). */
export async function parentThatAwaitsChild(childId: string): Promise<string> {
  return wf.executeChild(childInfo, { workflowId: childId });
}

/** A child with a tiny execution timeout and no retries: the parent sees a TimeoutFailure (retry state TIMEOUT). */
export async function parentOfTimedOut(childId: string): Promise<string> {
  try {
    await wf.executeChild(waitForever, {
      workflowId: childId,
      workflowExecutionTimeout: '10ms',
      retry: { maximumAttempts: 1 },
    });
    return 'no timeout';
  } catch (err) {
    if (err instanceof wf.ChildWorkflowFailure && err.cause instanceof wf.TimeoutFailure)
      return `timed out: retryState=${String(err.retryState)}`;
    throw err;
  }
}

/** Signals its child through the child handle (childWorkflowOnly), then returns the child's result. */
export async function parentSignalsChild(childId: string): Promise<number> {
  const child = await wf.startChild(accumulate, { workflowId: childId, args: [2] });
  await child.signal(addSignal, 20);
  await child.signal(addSignal, 22);
  return child.result();
}

/** Waits for its child, which a client terminates: the parent sees a TerminatedFailure. */
export async function parentOfTerminated(childId: string): Promise<string> {
  try {
    await wf.executeChild(waitForever, { workflowId: childId });
    return 'not terminated';
  } catch (err) {
    if (err instanceof wf.ChildWorkflowFailure && err.cause instanceof wf.TerminatedFailure) return 'terminated';
    throw err;
  }
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
