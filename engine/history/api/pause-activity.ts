/**
 * PauseActivity, UnpauseActivity and ResetActivity (Temporal 1.27+ activity operator calls). A paused activity gets no new attempt:
 * one waiting to start is not handed to a worker, a running one learns of the pause from its next heartbeat
 * (`activityPaused`), and when that attempt fails no retry is scheduled. Unpausing dispatches the waiting attempt.
 * Neither writes a history event (Temporal's do not).
 */
import { EngineError, NotFoundError } from '../../errors.js';
import type { ActivityInfo } from '../../persistence/records.js';
import type { HistoryContext } from '../context.js';
import type { MutableState } from '../mutable-state.js';
import { resetRunningActivity, retryActivity } from '../state/activities.js';
import { WorkflowCompletedError } from '../errors.js';
import { updateCurrentOrNamedRun } from './resolve.js';

export interface ActivityTarget {
  namespaceId: string;
  workflowId: string;
  runId: string;
  /** The activity by id, or every activity of a type, or (unpause) all paused ones. */
  activityId: string;
  activityType: string;
  all: boolean;
}

export function selectActivities(ms: MutableState, t: ActivityTarget): ActivityInfo[] {
  if (!ms.isRunning()) throw new WorkflowCompletedError();
  const found = [...ms.activities.values()].filter(
    (a) => t.all || (t.activityId ? a.activityId === t.activityId : a.activityType === t.activityType),
  );
  if (found.length === 0 && !t.all) throw new NotFoundError('activity not found');
  return found;
}

export async function pauseActivity(
  ctx: HistoryContext,
  t: ActivityTarget & { identity: string; reason: string; requestId: string },
): Promise<void> {
  await updateCurrentOrNamedRun(ctx, t.namespaceId, t.workflowId, t.runId, (ms) => {
    for (const a of selectActivities(ms, t)) {
      if (a.pause) {
        if (a.pause.requestId !== t.requestId || !t.requestId)
          throw new EngineError('FAILED_PRECONDITION', 'activity is already paused');
        continue;
      }
      a.pause = { pauseTimeMs: ms.nowMs, identity: t.identity, reason: t.reason, requestId: t.requestId };
      ms.putActivity(a);
    }
  });
}

export async function unpauseActivity(
  ctx: HistoryContext,
  t: ActivityTarget & { resetHeartbeat: boolean },
): Promise<void> {
  await updateCurrentOrNamedRun(ctx, t.namespaceId, t.workflowId, t.runId, (ms) => {
    for (const a of selectActivities(ms, t)) {
      if (!a.pause) continue;
      delete a.pause;
      if (t.resetHeartbeat) a.heartbeatDetails = '';
      ms.putActivity(a);
      // Not running: its attempt was held back (not dispatched, or failed while paused): send it now.
      if (!a.started) retryActivity(ms, a);
    }
  });
}

/**
 * ResetActivity: the activity starts over at attempt 1. One waiting for its next attempt is dispatched again at once;
 * a running one is at attempt 1 from now, learns of the reset from its next heartbeat (`activityReset`), and retries
 * as attempt 2 under its retry policy when that attempt fails.
 * Unpaused unless `keepPaused`.
 */
export async function resetActivity(
  ctx: HistoryContext,
  t: ActivityTarget & { resetHeartbeat: boolean; keepPaused: boolean },
): Promise<void> {
  await updateCurrentOrNamedRun(ctx, t.namespaceId, t.workflowId, t.runId, (ms) => {
    for (const a of selectActivities(ms, t)) {
      if (!t.keepPaused) delete a.pause;
      if (t.resetHeartbeat) a.heartbeatDetails = '';
      if (a.started) {
        resetRunningActivity(ms, a);
      } else {
        a.attempt = 1;
        if (!a.pause) retryActivity(ms, a);
      }
      ms.putActivity(a);
    }
  });
}
