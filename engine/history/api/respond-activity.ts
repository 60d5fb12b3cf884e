/**
 * Activity outcomes from workers (by task token or by activity id) and heartbeats. A result for an attempt
 * that is no longer current (timed out and retried, or the run closed) is refused with NOT_FOUND, as Temporal
 * does, so a slow worker cannot overwrite a newer attempt.
 */
import type { IFailure, IPayloads } from '../../proto.js';
import type { HistoryContext } from '../context.js';
import {
  cancelActivity,
  completeActivity,
  failActivityAttempt,
  findActivityById,
  recordHeartbeat,
  type HeartbeatAnswer,
  requireStarted,
} from '../state/activities.js';
import type { MutableState } from '../mutable-state.js';
import type { ActivityInfo } from '../../persistence/records.js';
import { resolveRun } from './resolve.js';

export interface ActivityRef {
  namespaceId: string;
  workflowId: string;
  runId: string;
  /** By task token: scheduled event id and attempt. */
  scheduledEventId?: number;
  attempt?: number;
  /** By id (RespondActivityTask*ById). */
  activityId?: string;
}

function find(ms: MutableState, ref: ActivityRef): ActivityInfo {
  if (ref.scheduledEventId !== undefined) return requireStarted(ms, ref.scheduledEventId, ref.attempt ?? 0);
  const a = findActivityById(ms, ref.activityId ?? '');
  return requireStarted(ms, a.scheduledEventId, a.attempt);
}

async function onActivity<T>(
  ctx: HistoryContext,
  ref: ActivityRef,
  fn: (ms: MutableState, a: ActivityInfo) => T,
): Promise<T> {
  const { shard, key } = await resolveRun(ctx, ref.namespaceId, ref.workflowId, ref.runId);
  return ctx.tx.update(shard, key, (ms) => fn(ms, find(ms, ref)));
}

export function respondActivityCompleted(
  ctx: HistoryContext,
  ref: ActivityRef,
  result: IPayloads | null | undefined,
  identity: string,
): Promise<void> {
  return onActivity(ctx, ref, (ms, a) => completeActivity(ms, a, result, identity));
}

export function respondActivityFailed(
  ctx: HistoryContext,
  ref: ActivityRef,
  failure: IFailure | null | undefined,
  identity: string,
  lastHeartbeatDetails: IPayloads | null | undefined,
): Promise<void> {
  return onActivity(ctx, ref, (ms, a) => {
    if (lastHeartbeatDetails) recordHeartbeat(ms, a, lastHeartbeatDetails);
    failActivityAttempt(ms, a, failure ?? { message: 'activity failed', applicationFailureInfo: {} }, identity, {
      failed: true,
    });
  });
}

export function respondActivityCanceled(
  ctx: HistoryContext,
  ref: ActivityRef,
  details: IPayloads | null | undefined,
  identity: string,
): Promise<void> {
  return onActivity(ctx, ref, (ms, a) => cancelActivity(ms, a, details, identity));
}

/** Whether cancellation was requested or the activity paused (the worker should stop the activity). */
export function recordActivityHeartbeat(
  ctx: HistoryContext,
  ref: ActivityRef,
  details: IPayloads | null | undefined,
): Promise<HeartbeatAnswer> {
  return onActivity(ctx, ref, (ms, a) => recordHeartbeat(ms, a, details));
}
