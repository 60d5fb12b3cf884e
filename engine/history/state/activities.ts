/**
 * Activity state machine (Temporal's model): scheduling writes ActivityTaskScheduled; a poll starts the
 * activity without writing an event; the ActivityTaskStarted event is written together with the outcome
 * (completed, failed, timed out, canceled). Failed or timed-out attempts are retried by the server under the
 * activity's retry policy, with no events until the last attempt ends.
 */
import {
  api,
  durationFromMs,
  enums,
  msFromDuration,
  toNumber,
  type IFailure,
  type IPayloads,
  type IRetryPolicy,
  type temporal,
} from '../../proto.js';
import { TimeoutKind, type ActivityInfo, type RetryPolicyInfo } from '../../persistence/records.js';
import type { MutableState } from '../mutable-state.js';
import { StaleTaskError } from '../errors.js';
import { StateDefaults } from './config.js';
import { addExternalEvent } from './workflow-task.js';
import { BUFFERED_EVENT_ID } from '../mutable-state.js';

const E = enums.EventType;
const RetryState = enums.RetryState;

type ScheduleAttrs = temporal.api.command.v1.IScheduleActivityTaskCommandAttributes;

export function retryPolicyInfo(p: IRetryPolicy | null | undefined): RetryPolicyInfo {
  const initialIntervalMs = msFromDuration(p?.initialInterval) || StateDefaults.activityRetryInitialIntervalMs;
  return {
    initialIntervalMs,
    backoffCoefficient: p?.backoffCoefficient || StateDefaults.activityRetryBackoffCoefficient,
    maximumIntervalMs:
      msFromDuration(p?.maximumInterval) || initialIntervalMs * StateDefaults.activityRetryMaxIntervalFactor,
    maximumAttempts: p?.maximumAttempts ?? 0,
    nonRetryableErrorTypes: p?.nonRetryableErrorTypes ?? [],
  };
}

export function retryPolicyProto(r: RetryPolicyInfo): IRetryPolicy {
  return {
    initialInterval: durationFromMs(r.initialIntervalMs),
    backoffCoefficient: r.backoffCoefficient,
    maximumInterval: durationFromMs(r.maximumIntervalMs),
    maximumAttempts: r.maximumAttempts,
    nonRetryableErrorTypes: r.nonRetryableErrorTypes,
  };
}

/** Timeouts after Temporal's normalization: schedule-to-close bounds the others; start-to-close is required. */
export function normalizeActivityTimeouts(
  attrs: ScheduleAttrs,
  runTimeoutMs: number,
): { scheduleToCloseMs: number; scheduleToStartMs: number; startToCloseMs: number; heartbeatMs: number } | string {
  let scheduleToCloseMs = msFromDuration(attrs.scheduleToCloseTimeout);
  let scheduleToStartMs = msFromDuration(attrs.scheduleToStartTimeout);
  let startToCloseMs = msFromDuration(attrs.startToCloseTimeout);
  let heartbeatMs = msFromDuration(attrs.heartbeatTimeout);
  if ([scheduleToCloseMs, scheduleToStartMs, startToCloseMs, heartbeatMs].some((v) => v < 0)) {
    return 'A valid timeout may not be negative.';
  }
  if (runTimeoutMs > 0) {
    if (scheduleToCloseMs === 0 || scheduleToCloseMs > runTimeoutMs) scheduleToCloseMs = runTimeoutMs;
  }
  if (scheduleToCloseMs > 0) {
    if (scheduleToStartMs === 0 || scheduleToStartMs > scheduleToCloseMs) scheduleToStartMs = scheduleToCloseMs;
    if (startToCloseMs === 0 || startToCloseMs > scheduleToCloseMs) startToCloseMs = scheduleToCloseMs;
  } else if (startToCloseMs === 0) {
    return 'A valid StartToClose or ScheduleToCloseTimeout is not set on ScheduleActivityTaskCommand.';
  }
  if (heartbeatMs > startToCloseMs) heartbeatMs = startToCloseMs;
  return { scheduleToCloseMs, scheduleToStartMs, startToCloseMs, heartbeatMs };
}

export function scheduleActivity(
  ms: MutableState,
  attrs: ScheduleAttrs,
  timeouts: { scheduleToCloseMs: number; scheduleToStartMs: number; startToCloseMs: number; heartbeatMs: number },
  workflowTaskCompletedEventId: number,
  batchFirstEventId: number,
  opts: { eager?: boolean } = {},
): ActivityInfo {
  const taskQueue = attrs.taskQueue?.name || ms.info.taskQueue;
  const retry = retryPolicyInfo(attrs.retryPolicy);
  const event = ms.addEvent(E.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED, {
    activityTaskScheduledEventAttributes: {
      activityId: attrs.activityId ?? '',
      activityType: attrs.activityType ?? null,
      taskQueue: { name: taskQueue, kind: enums.TaskQueueKind.TASK_QUEUE_KIND_NORMAL },
      header: attrs.header ?? null,
      input: attrs.input ?? null,
      scheduleToCloseTimeout: durationFromMs(timeouts.scheduleToCloseMs),
      scheduleToStartTimeout: durationFromMs(timeouts.scheduleToStartMs),
      startToCloseTimeout: durationFromMs(timeouts.startToCloseMs),
      heartbeatTimeout: durationFromMs(timeouts.heartbeatMs),
      workflowTaskCompletedEventId,
      retryPolicy: retryPolicyProto(retry),
    },
  });
  const info = pendingActivity({
    scheduledEventId: toNumber(event.eventId),
    scheduledEventBatchId: batchFirstEventId,
    activityId: attrs.activityId ?? '',
    activityType: attrs.activityType?.name ?? '',
    taskQueue,
    scheduledTimeMs: ms.nowMs,
    timeouts,
    retry,
  });
  ms.putActivity(info);
  // An eager activity is started by the caller in this same transaction: no matching, no schedule-to-start.
  if (!opts.eager) dispatchAttempt(ms, info);
  if (info.scheduleToCloseTimeoutMs > 0) {
    ms.addRealTimeoutTask(
      {
        kind: 'activity-timeout',
        scheduledEventId: info.scheduledEventId,
        attempt: 0,
        timeout: TimeoutKind.ScheduleToClose,
      },
      info.scheduleToCloseTimeoutMs,
    );
  }
  return info;
}

/** A scheduled activity's record before its first attempt starts. */
export function pendingActivity(p: {
  scheduledEventId: number;
  scheduledEventBatchId: number;
  activityId: string;
  activityType: string;
  taskQueue: string;
  scheduledTimeMs: number;
  timeouts: { scheduleToCloseMs: number; scheduleToStartMs: number; startToCloseMs: number; heartbeatMs: number };
  retry: RetryPolicyInfo | null;
}): ActivityInfo {
  return {
    scheduledEventId: p.scheduledEventId,
    scheduledEventBatchId: p.scheduledEventBatchId,
    activityId: p.activityId,
    activityType: p.activityType,
    taskQueue: p.taskQueue,
    scheduledTimeMs: p.scheduledTimeMs,
    attemptScheduledTimeMs: p.scheduledTimeMs,
    startedTimeMs: 0,
    started: false,
    startedIdentity: '',
    requestId: '',
    attempt: 1,
    scheduleToCloseTimeoutMs: p.timeouts.scheduleToCloseMs,
    scheduleToStartTimeoutMs: p.timeouts.scheduleToStartMs,
    startToCloseTimeoutMs: p.timeouts.startToCloseMs,
    heartbeatTimeoutMs: p.timeouts.heartbeatMs,
    lastHeartbeatTimeMs: 0,
    heartbeatDetails: '',
    cancelRequested: false,
    cancelRequestedEventId: 0,
    retry: p.retry,
    lastFailure: '',
    lastWorkerIdentity: '',
    timerTaskStatus: 0,
  };
}

/** Sends the current attempt to matching and arms its schedule-to-start timeout. */
function dispatchAttempt(ms: MutableState, a: ActivityInfo): void {
  ms.addTransferTask({
    kind: 'activity-task',
    taskQueue: a.taskQueue,
    scheduledEventId: a.scheduledEventId,
    attempt: a.attempt,
  });
  if (a.scheduleToStartTimeoutMs > 0 && a.scheduleToStartTimeoutMs !== a.scheduleToCloseTimeoutMs) {
    ms.addRealTimeoutTask(
      {
        kind: 'activity-timeout',
        scheduledEventId: a.scheduledEventId,
        attempt: a.attempt,
        timeout: TimeoutKind.ScheduleToStart,
      },
      a.scheduleToStartTimeoutMs,
    );
  }
}

function requireActivity(ms: MutableState, scheduledEventId: number, attempt?: number): ActivityInfo {
  const a = ms.isRunning() ? ms.activities.get(scheduledEventId) : undefined;
  if (!a || (attempt !== undefined && attempt > 0 && a.attempt !== attempt)) {
    throw new StaleTaskError('Activity task not found.');
  }
  return a;
}

export function findActivityById(ms: MutableState, activityId: string): ActivityInfo {
  for (const a of ms.activities.values()) if (a.activityId === activityId) return a;
  throw new StaleTaskError('Activity task not found.');
}

export function startActivity(
  ms: MutableState,
  scheduledEventId: number,
  attempt: number,
  requestId: string,
  identity: string,
): { activity: ActivityInfo; duplicate: boolean } {
  const a = requireActivity(ms, scheduledEventId, attempt);
  if (a.started) {
    if (a.requestId === requestId) return { activity: a, duplicate: true };
    throw new StaleTaskError('Activity task already started.');
  }
  // Dispatched before PauseActivity: dropped; UnpauseActivity dispatches the attempt again.
  if (a.pause) throw new StaleTaskError('Activity is paused.');
  a.started = true;
  a.startedTimeMs = ms.nowMs;
  a.requestId = requestId;
  a.startedIdentity = identity;
  a.lastHeartbeatTimeMs = ms.nowMs;
  ms.putActivity(a);
  ms.addRealTimeoutTask(
    { kind: 'activity-timeout', scheduledEventId, attempt: a.attempt, timeout: TimeoutKind.StartToClose },
    a.startToCloseTimeoutMs,
  );
  if (a.heartbeatTimeoutMs > 0) {
    ms.addRealTimeoutTask(
      { kind: 'activity-timeout', scheduledEventId, attempt: a.attempt, timeout: TimeoutKind.Heartbeat },
      a.heartbeatTimeoutMs,
    );
  }
  return { activity: a, duplicate: false };
}

export function requireStarted(ms: MutableState, scheduledEventId: number, attempt: number): ActivityInfo {
  const a = requireActivity(ms, scheduledEventId, attempt);
  if (!a.started) throw new StaleTaskError('Activity task not found.');
  return a;
}

function startedEvent(ms: MutableState, a: ActivityInfo): number {
  const event = addExternalEvent(
    ms,
    E.EVENT_TYPE_ACTIVITY_TASK_STARTED,
    {
      activityTaskStartedEventAttributes: {
        scheduledEventId: a.scheduledEventId,
        identity: a.startedIdentity,
        requestId: a.requestId,
        attempt: a.attempt,
        ...(a.lastFailure ? { lastFailure: decodeFailure(a.lastFailure) } : {}),
      },
    },
    { moreToFollow: true },
  );
  // A buffered event gets its id when flushed; the outcome event's reference is wired then.
  return event ? toNumber(event.eventId) : BUFFERED_EVENT_ID;
}

export function completeActivity(
  ms: MutableState,
  a: ActivityInfo,
  result: IPayloads | null | undefined,
  identity: string,
): void {
  const startedEventId = startedEvent(ms, a);
  addExternalEvent(ms, E.EVENT_TYPE_ACTIVITY_TASK_COMPLETED, {
    activityTaskCompletedEventAttributes: {
      scheduledEventId: a.scheduledEventId,
      startedEventId,
      identity,
      ...(result ? { result } : {}),
    },
  });
  ms.deleteActivity(a.scheduledEventId);
}

export function cancelActivity(
  ms: MutableState,
  a: ActivityInfo,
  details: IPayloads | null | undefined,
  identity: string,
): void {
  const startedEventId = a.started ? startedEvent(ms, a) : 0;
  addExternalEvent(ms, E.EVENT_TYPE_ACTIVITY_TASK_CANCELED, {
    activityTaskCanceledEventAttributes: {
      scheduledEventId: a.scheduledEventId,
      startedEventId,
      latestCancelRequestedEventId: a.cancelRequestedEventId,
      identity,
      ...(details ? { details } : {}),
    },
  });
  ms.deleteActivity(a.scheduledEventId);
}

type RetryDecision = { delayMs: number } | { retryState: number };

/** Backoff before the next attempt, or the retry state that says why there is none. */
function nextRetry(
  ms: MutableState,
  a: ActivityInfo,
  failureType: string,
  nonRetryable: boolean,
  explicitDelayMs: number,
): RetryDecision {
  const r = a.retry;
  if (!r) return { retryState: RetryState.RETRY_STATE_RETRY_POLICY_NOT_SET };
  if (nonRetryable || r.nonRetryableErrorTypes.includes(failureType)) {
    return { retryState: RetryState.RETRY_STATE_NON_RETRYABLE_FAILURE };
  }
  if (r.maximumAttempts > 0 && a.attempt >= r.maximumAttempts) {
    return { retryState: RetryState.RETRY_STATE_MAXIMUM_ATTEMPTS_REACHED };
  }
  const delayMs =
    explicitDelayMs > 0
      ? explicitDelayMs
      : Math.min(r.initialIntervalMs * r.backoffCoefficient ** (a.attempt - 1), r.maximumIntervalMs);
  if (a.scheduleToCloseTimeoutMs > 0) {
    // Schedule-to-close is a real-time bound; the backoff runs on the virtual clock.
    const expiresAt = a.scheduledTimeMs + a.scheduleToCloseTimeoutMs * ms.timeScale;
    if (ms.nowMs + delayMs >= expiresAt) return { retryState: RetryState.RETRY_STATE_TIMEOUT };
  }
  return { delayMs };
}

/**
 * An attempt failed (worker failure or start-to-close/heartbeat timeout). Returns true when another attempt was
 * scheduled, false when the activity is done and its failure event was written.
 */
export function failActivityAttempt(
  ms: MutableState,
  a: ActivityInfo,
  failure: IFailure,
  identity: string,
  kind: { timeout: TimeoutKind } | { failed: true },
): boolean {
  const app = failure.applicationFailureInfo;
  const retryable =
    'failed' in kind || kind.timeout === TimeoutKind.StartToClose || kind.timeout === TimeoutKind.Heartbeat;
  // After ResetActivity the attempt count already starts over (resetRunningActivity): the retry policy applies
  // from there, as in Temporal, so the next attempt is 2.
  const decision: RetryDecision = retryable
    ? nextRetry(ms, a, app?.type ?? '', app?.nonRetryable ?? false, msFromDuration(app?.nextRetryDelay))
    : { retryState: RetryState.RETRY_STATE_TIMEOUT };
  if ('delayMs' in decision) {
    const delay = decision.delayMs;
    a.attempt += 1;
    delete a.resetRequested;
    a.started = false;
    a.startedTimeMs = 0;
    a.requestId = '';
    a.lastFailure = encodeFailure(failure);
    a.lastWorkerIdentity = identity;
    a.attemptScheduledTimeMs = ms.nowMs + delay;
    ms.putActivity(a);
    // Paused: the next attempt waits for UnpauseActivity, which dispatches it.
    if (a.pause) return true;
    ms.addTimerTask(
      { kind: 'activity-retry', scheduledEventId: a.scheduledEventId, attempt: a.attempt },
      ms.nowMs + delay,
    );
    return true;
  }
  const { retryState } = decision;
  if ('failed' in kind) {
    const startedEventId = startedEvent(ms, a);
    addExternalEvent(ms, E.EVENT_TYPE_ACTIVITY_TASK_FAILED, {
      activityTaskFailedEventAttributes: {
        failure,
        scheduledEventId: a.scheduledEventId,
        startedEventId,
        identity,
        retryState,
      },
    });
  } else {
    const startedEventId = a.started ? startedEvent(ms, a) : 0;
    addExternalEvent(ms, E.EVENT_TYPE_ACTIVITY_TASK_TIMED_OUT, {
      activityTaskTimedOutEventAttributes: {
        failure,
        scheduledEventId: a.scheduledEventId,
        startedEventId,
        retryState,
      },
    });
  }
  ms.deleteActivity(a.scheduledEventId);
  return false;
}

/** The retry backoff elapsed: dispatch the next attempt. */
/**
 * ResetActivity on a running attempt, as Temporal's `ResetActivity`: the attempt count goes back to 1 at once and the
 * worker learns of the reset from its next heartbeat (`activityReset`); when the running attempt ends in failure, the
 * next one is attempt 2. The running attempt's token names its old attempt, so, as in Temporal, a later heartbeat or
 * completion from it is refused unless that was attempt 1; its start-to-close and heartbeat deadlines are kept by
 * re-arming them under the new attempt number.
 */
export function resetRunningActivity(ms: MutableState, a: ActivityInfo): void {
  a.resetRequested = true;
  if (a.attempt === 1) return;
  a.attempt = 1;
  const elapsedRealMs = (ms.nowMs - a.startedTimeMs) / ms.timeScale;
  const key = { kind: 'activity-timeout', scheduledEventId: a.scheduledEventId, attempt: 1 } as const;
  ms.addRealTimeoutTask(
    { ...key, timeout: TimeoutKind.StartToClose },
    Math.max(0, a.startToCloseTimeoutMs - elapsedRealMs),
  );
  if (a.heartbeatTimeoutMs > 0) ms.addTimerTask({ ...key, timeout: TimeoutKind.Heartbeat }, ms.nowMs);
}

export function retryActivity(ms: MutableState, a: ActivityInfo): void {
  dispatchAttempt(ms, a);
}

export function timeoutFailure(a: ActivityInfo, timeout: TimeoutKind): IFailure {
  const type = {
    [TimeoutKind.StartToClose]: enums.TimeoutType.TIMEOUT_TYPE_START_TO_CLOSE,
    [TimeoutKind.ScheduleToStart]: enums.TimeoutType.TIMEOUT_TYPE_SCHEDULE_TO_START,
    [TimeoutKind.ScheduleToClose]: enums.TimeoutType.TIMEOUT_TYPE_SCHEDULE_TO_CLOSE,
    [TimeoutKind.Heartbeat]: enums.TimeoutType.TIMEOUT_TYPE_HEARTBEAT,
  }[timeout];
  const details = a.heartbeatDetails ? decodePayloadsB64(a.heartbeatDetails) : undefined;
  return {
    message: 'activity timeout',
    source: 'Server',
    timeoutFailureInfo: { timeoutType: type, ...(details ? { lastHeartbeatDetails: details } : {}) },
  };
}

/** What a heartbeat tells the worker: the activity's cancellation was requested, or it was paused or reset. */
export interface HeartbeatAnswer {
  cancelRequested: boolean;
  activityPaused: boolean;
  activityReset: boolean;
}

export function recordHeartbeat(
  ms: MutableState,
  a: ActivityInfo,
  details: IPayloads | null | undefined,
): HeartbeatAnswer {
  a.lastHeartbeatTimeMs = ms.nowMs;
  if (details) a.heartbeatDetails = encodePayloadsB64(details);
  ms.putActivity(a);
  return {
    cancelRequested: a.cancelRequested,
    activityPaused: a.pause !== undefined,
    activityReset: a.resetRequested === true,
  };
}

export function requestCancelActivity(ms: MutableState, a: ActivityInfo, workflowTaskCompletedEventId: number): void {
  const event = ms.addEvent(E.EVENT_TYPE_ACTIVITY_TASK_CANCEL_REQUESTED, {
    activityTaskCancelRequestedEventAttributes: { scheduledEventId: a.scheduledEventId, workflowTaskCompletedEventId },
  });
  a.cancelRequested = true;
  a.cancelRequestedEventId = toNumber(event.eventId);
  ms.putActivity(a);
  // Not started yet: nobody will report the cancellation, so it takes effect at once.
  if (!a.started) {
    ms.addEvent(E.EVENT_TYPE_ACTIVITY_TASK_CANCELED, {
      activityTaskCanceledEventAttributes: {
        scheduledEventId: a.scheduledEventId,
        startedEventId: 0,
        latestCancelRequestedEventId: a.cancelRequestedEventId,
        identity: '',
      },
    });
    ms.deleteActivity(a.scheduledEventId);
  }
}

function encodeFailure(f: IFailure): string {
  return Buffer.from(api.failure.v1.Failure.encode(f).finish()).toString('base64');
}

export function decodeFailure(b64: string): temporal.api.failure.v1.Failure {
  return api.failure.v1.Failure.decode(Buffer.from(b64, 'base64'));
}

function encodePayloadsB64(p: IPayloads): string {
  return Buffer.from(api.common.v1.Payloads.encode(p).finish()).toString('base64');
}

export function decodePayloadsB64(b64: string): temporal.api.common.v1.Payloads {
  return api.common.v1.Payloads.decode(Buffer.from(b64, 'base64'));
}
