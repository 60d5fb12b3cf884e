/**
 * Waiting for an update to reach a lifecycle stage (Temporal's WaitLifecycleStage): up to a soft timeout, after
 * which the caller gets the stage reached so far (its client asks again); a rejection is a completed outcome.
 */
import { EngineError } from '../../errors.js';
import { enums } from '../../proto.js';
import type { Future, PendingUpdate, UpdateOutcome } from './registry.js';

const Stage = enums.UpdateWorkflowExecutionLifecycleStage;

/** How long one call waits at most before answering with the stage reached (Temporal's history long poll). */
export const UPDATE_LONG_POLL_MS = 20_000;

export interface StageReached {
  stage: number;
  outcome?: UpdateOutcome;
}

/** The wait of one call: until `deadlineMs` (epoch ms), or until the caller goes away. */
export function softDeadline(callerDeadlineMs: number | undefined, maxMs: number): number {
  return Math.min(Date.now() + maxMs, (callerDeadlineMs ?? Infinity) - 500);
}

async function until<T>(
  f: Future<T>,
  deadlineMs: number,
  signal: AbortSignal,
): Promise<{ done: true; value: T } | { done: false }> {
  if (f.settled) return { done: true, value: await f.promise };
  const remaining = deadlineMs - Date.now();
  if (remaining <= 0) return { done: false };
  let timer: NodeJS.Timeout | undefined;
  let onAbort: (() => void) | undefined;
  try {
    return await Promise.race([
      f.promise.then((value) => ({ done: true as const, value })),
      new Promise<{ done: false }>((resolve) => (timer = setTimeout(() => resolve({ done: false }), remaining))),
      new Promise<never>((_, reject) => {
        onAbort = () => reject(new EngineError('CANCELLED', 'the caller cancelled the update wait'));
        if (signal.aborted) onAbort();
        else signal.addEventListener('abort', onAbort, { once: true });
      }),
    ]);
  } finally {
    clearTimeout(timer);
    if (onAbort) signal.removeEventListener('abort', onAbort);
  }
}

export async function waitForStage(
  u: PendingUpdate,
  stage: number,
  deadlineMs: number,
  signal: AbortSignal,
): Promise<StageReached> {
  if (stage === Stage.UPDATE_WORKFLOW_EXECUTION_LIFECYCLE_STAGE_COMPLETED || u.outcome.settled) {
    const o = await until(u.outcome, deadlineMs, signal);
    if (o.done) return { stage: Stage.UPDATE_WORKFLOW_EXECUTION_LIFECYCLE_STAGE_COMPLETED, outcome: o.value };
  }
  if (stage >= Stage.UPDATE_WORKFLOW_EXECUTION_LIFECYCLE_STAGE_ACCEPTED || u.accepted.settled) {
    const a = await until(u.accepted, deadlineMs, signal);
    if (a.done) {
      if (a.value)
        return { stage: Stage.UPDATE_WORKFLOW_EXECUTION_LIFECYCLE_STAGE_COMPLETED, outcome: { failure: a.value } };
      if (u.outcome.settled && u.outcome.value)
        return { stage: Stage.UPDATE_WORKFLOW_EXECUTION_LIFECYCLE_STAGE_COMPLETED, outcome: u.outcome.value };
      return { stage: Stage.UPDATE_WORKFLOW_EXECUTION_LIFECYCLE_STAGE_ACCEPTED };
    }
  }
  return { stage: Stage.UPDATE_WORKFLOW_EXECUTION_LIFECYCLE_STAGE_ADMITTED };
}
