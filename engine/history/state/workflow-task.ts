/**
 * Workflow task state machine. A task is scheduled (event + transfer task to matching), started by a poll
 * (event + start-to-close timer), then completed, failed or timed out. After a failure or timeout, later
 * attempts are *transient*: their scheduled/started events are not written until one of them completes, so a
 * workflow stuck on a bad task does not grow its history (Temporal's behaviour).
 */
import { continueAsNewSuggestion } from '../../limits.js';
import {
  durationFromMs,
  enums,
  timestampFromMs,
  toNumber,
  type IFailure,
  type IHistoryEvent,
  type temporal,
} from '../../proto.js';
import { TimeoutKind, type WorkflowTaskInfo } from '../../persistence/records.js';
import type { MutableState } from '../mutable-state.js';
import { StaleTaskError } from '../errors.js';

const E = enums.EventType;

export interface ScheduleOptions {
  attempt?: number;
  /** Dispatch to the normal queue even when the workflow has a sticky queue. */
  normalQueue?: boolean;
}

export function scheduleWorkflowTask(ms: MutableState, opts: ScheduleOptions = {}): WorkflowTaskInfo | undefined {
  if (ms.info.workflowTask || !ms.isRunning()) return undefined;
  const attempt = opts.attempt ?? 1;
  const sticky = !opts.normalQueue && ms.info.stickyTaskQueue !== '';
  const taskQueue = sticky ? ms.info.stickyTaskQueue : ms.info.taskQueue;
  const transient = attempt > 1;
  let scheduledEventId = ms.info.nextEventId;
  if (!transient) {
    const event = ms.addEvent(E.EVENT_TYPE_WORKFLOW_TASK_SCHEDULED, {
      workflowTaskScheduledEventAttributes: scheduledAttributes(ms, taskQueue, sticky, attempt),
    });
    scheduledEventId = toNumber(event.eventId);
  }
  const wt: WorkflowTaskInfo = {
    scheduledEventId,
    startedEventId: 0,
    attempt,
    scheduledTimeMs: ms.nowMs,
    startedTimeMs: 0,
    startToCloseTimeoutMs: startToCloseTimeoutMs(ms.info.workflowTaskTimeoutMs, attempt),
    taskQueue,
    sticky,
    requestId: '',
    identity: '',
    transient,
  };
  ms.info.workflowTask = wt;
  ms.info.pendingBackoff = false;
  ms.touch();
  ms.addTransferTask({ kind: 'workflow-task', taskQueue, scheduledEventId, sticky });
  if (sticky) {
    ms.addRealTimeoutTask(
      { kind: 'workflow-task-timeout', scheduledEventId, attempt, timeout: TimeoutKind.ScheduleToStart },
      ms.info.stickyScheduleToStartTimeoutMs,
    );
  }
  return wt;
}

/**
 * Temporal slows a workflow task that keeps failing (since v1.17): attempts past the third get the task timeout
 * plus an exponential delay (5 s doubling, at most 10 min, jittered into [0.8, 1.0) of it), so a stuck workflow
 * costs one attempt per stretched timeout rather than a hot loop.
 */
export function startToCloseTimeoutMs(defaultMs: number, attempt: number): number {
  if (attempt <= 3) return defaultMs;
  const delayMs = Math.min(5_000 * 2 ** (attempt - 4), 600_000);
  return defaultMs + Math.round(delayMs * (0.8 + Math.random() * 0.2));
}

/** WorkflowTaskStarted's history size and continue-as-new suggestion, from the history already persisted. */
function historySizeInfo(ms: MutableState, startedEventId: number) {
  const s = continueAsNewSuggestion(startedEventId, ms.info.historySizeBytes, ms.limits);
  return {
    historySizeBytes: ms.info.historySizeBytes,
    ...(s.suggest ? { suggestContinueAsNew: true, suggestContinueAsNewReasons: s.reasons } : {}),
  };
}

function scheduledAttributes(ms: MutableState, taskQueue: string, sticky: boolean, attempt: number) {
  return {
    taskQueue: {
      name: taskQueue,
      kind: sticky ? enums.TaskQueueKind.TASK_QUEUE_KIND_STICKY : enums.TaskQueueKind.TASK_QUEUE_KIND_NORMAL,
      ...(sticky ? { normalName: ms.info.taskQueue } : {}),
    },
    startToCloseTimeout: durationFromMs(ms.info.workflowTask?.startToCloseTimeoutMs ?? ms.info.workflowTaskTimeoutMs),
    attempt,
  };
}

/**
 * Records that a worker picked the task up. A repeated call with the same request id (the poll was retried) is
 * answered again; any other mismatch means the task is stale and matching drops it.
 */
export function startWorkflowTask(
  ms: MutableState,
  scheduledEventId: number,
  requestId: string,
  identity: string,
): { wt: WorkflowTaskInfo; duplicate: boolean } {
  const wt = ms.info.workflowTask;
  if (!ms.isRunning() || !wt || wt.scheduledEventId !== scheduledEventId) {
    throw new StaleTaskError('Workflow task not found.');
  }
  if (wt.startedEventId > 0) {
    if (wt.requestId === requestId) return { wt, duplicate: true };
    throw new StaleTaskError('Workflow task already started.');
  }
  if (wt.transient) {
    wt.startedEventId = scheduledEventId + 1;
  } else {
    const event = ms.addEvent(E.EVENT_TYPE_WORKFLOW_TASK_STARTED, {
      workflowTaskStartedEventAttributes: {
        scheduledEventId,
        identity,
        requestId,
        ...historySizeInfo(ms, ms.info.nextEventId),
      },
    });
    wt.startedEventId = toNumber(event.eventId);
  }
  wt.startedTimeMs = ms.nowMs;
  wt.requestId = requestId;
  wt.identity = identity;
  ms.touch();
  ms.addRealTimeoutTask(
    { kind: 'workflow-task-timeout', scheduledEventId, attempt: wt.attempt, timeout: TimeoutKind.StartToClose },
    wt.startToCloseTimeoutMs,
  );
  return { wt, duplicate: false };
}

/**
 * Eager dispatch: starts the task scheduled in this same transaction for the caller (eager workflow start), so
 * the transfer task that would have sent it to matching is dropped (Temporal's bypassTaskGeneration).
 */
export function startWorkflowTaskEagerly(ms: MutableState, requestId: string, identity: string): WorkflowTaskInfo {
  const wt = ms.info.workflowTask;
  if (!wt || wt.startedEventId > 0) throw new StaleTaskError('No scheduled workflow task to start eagerly.');
  const scheduledEventId = wt.scheduledEventId;
  ms.tasks = ms.tasks.filter(
    (t) =>
      !(t.category === 'transfer' && t.body.kind === 'workflow-task' && t.body.scheduledEventId === scheduledEventId),
  );
  return startWorkflowTask(ms, scheduledEventId, requestId, identity).wt;
}

/**
 * What WorkflowTaskStarted tells the worker about the history's size: the bytes persisted so far, and whether (and
 * why) it should continue as new (Temporal's getHistorySizeInfo; the SDKs expose it as continueAsNewSuggested).
 */
/** The scheduled/started pair of a transient attempt, as the worker must see them (not yet in history). */
export function transientEvents(ms: MutableState): IHistoryEvent[] {
  const wt = ms.info.workflowTask;
  if (!wt?.transient) return [];
  const scheduled: IHistoryEvent = {
    eventId: wt.scheduledEventId,
    eventTime: timestampFromMs(wt.scheduledTimeMs),
    eventType: E.EVENT_TYPE_WORKFLOW_TASK_SCHEDULED,
    workflowTaskScheduledEventAttributes: scheduledAttributes(ms, wt.taskQueue, wt.sticky, wt.attempt),
  };
  if (wt.startedEventId === 0) return [scheduled];
  const started: IHistoryEvent = {
    eventId: wt.startedEventId,
    eventTime: timestampFromMs(wt.startedTimeMs),
    eventType: E.EVENT_TYPE_WORKFLOW_TASK_STARTED,
    workflowTaskStartedEventAttributes: {
      scheduledEventId: wt.scheduledEventId,
      identity: wt.identity,
      requestId: wt.requestId,
      ...historySizeInfo(ms, wt.startedEventId),
    },
  };
  return [scheduled, started];
}

/** Writes a transient attempt's pending events into history (its outcome is about to be recorded). */
function materialize(ms: MutableState, wt: WorkflowTaskInfo): void {
  if (!wt.transient) return;
  for (const e of transientEvents(ms)) ms.addEvent(e.eventType ?? 0, e);
  wt.transient = false;
}

/** Checks that a respond call refers to the task in flight. */
export function requireInFlight(
  ms: MutableState,
  scheduledEventId: number,
  startedEventId: number,
  attempt: number,
): WorkflowTaskInfo {
  const wt = ms.info.workflowTask;
  if (
    !ms.isRunning() ||
    !wt ||
    wt.scheduledEventId !== scheduledEventId ||
    wt.startedEventId === 0 ||
    (startedEventId > 0 && wt.startedEventId !== startedEventId) ||
    wt.attempt !== attempt
  ) {
    throw new StaleTaskError('Workflow task not found.');
  }
  return wt;
}

export function completeWorkflowTask(
  ms: MutableState,
  wt: WorkflowTaskInfo,
  attrs: {
    identity: string;
    binaryChecksum?: string | null;
    sdkMetadata?: temporal.api.sdk.v1.IWorkflowTaskCompletedMetadata | null;
    workerVersion?: temporal.api.common.v1.IWorkerVersionStamp | null;
  },
): IHistoryEvent {
  materialize(ms, wt);
  const event = ms.addEvent(E.EVENT_TYPE_WORKFLOW_TASK_COMPLETED, {
    workflowTaskCompletedEventAttributes: {
      scheduledEventId: wt.scheduledEventId,
      startedEventId: wt.startedEventId,
      identity: attrs.identity,
      binaryChecksum: attrs.binaryChecksum ?? '',
      ...(attrs.sdkMetadata ? { sdkMetadata: attrs.sdkMetadata } : {}),
      ...(attrs.workerVersion ? { workerVersion: attrs.workerVersion } : {}),
    },
  });
  ms.info.lastCompletedWorkflowTaskStartedEventId = wt.startedEventId;
  ms.info.workflowTask = null;
  ms.touch();
  return event;
}

/** Ends the task in flight with a failure and schedules the next attempt. */
export function failWorkflowTask(
  ms: MutableState,
  wt: WorkflowTaskInfo,
  cause: number,
  failure: IFailure | null | undefined,
  identity: string,
): void {
  const newEvents = cause === enums.WorkflowTaskFailedCause.WORKFLOW_TASK_FAILED_CAUSE_UNHANDLED_COMMAND;
  if (!wt.transient || newEvents) {
    materialize(ms, wt);
    ms.addEvent(E.EVENT_TYPE_WORKFLOW_TASK_FAILED, {
      workflowTaskFailedEventAttributes: {
        scheduledEventId: wt.scheduledEventId,
        startedEventId: wt.startedEventId,
        cause,
        ...(failure ? { failure } : {}),
        identity,
      },
    });
  }
  // A task that failed on the sticky queue is retried once on the normal queue at the same attempt (Temporal's).
  retryWorkflowTask(ms, newEvents || wt.sticky ? 1 : wt.attempt + 1);
}

export function timeoutWorkflowTask(ms: MutableState, wt: WorkflowTaskInfo, timeout: TimeoutKind): void {
  const startToClose = timeout === TimeoutKind.StartToClose;
  if (!wt.transient) {
    ms.addEvent(E.EVENT_TYPE_WORKFLOW_TASK_TIMED_OUT, {
      workflowTaskTimedOutEventAttributes: {
        scheduledEventId: wt.scheduledEventId,
        startedEventId: startToClose ? wt.startedEventId : 0,
        timeoutType: startToClose
          ? enums.TimeoutType.TIMEOUT_TYPE_START_TO_CLOSE
          : enums.TimeoutType.TIMEOUT_TYPE_SCHEDULE_TO_START,
      },
    });
  }
  // A task that was never picked up, or timed out on the sticky queue, does not count as an attempt.
  retryWorkflowTask(ms, startToClose && !wt.sticky ? wt.attempt + 1 : wt.attempt);
}

/**
 * Clears the task, flushes buffered events and schedules the next attempt on the normal queue (the sticky
 * worker is presumed gone). New events make the next attempt a fresh, non-transient one.
 */
function retryWorkflowTask(ms: MutableState, attempt: number): void {
  ms.info.workflowTask = null;
  ms.info.stickyTaskQueue = '';
  ms.touch();
  const flushed = ms.flushBufferedEvents();
  scheduleWorkflowTask(ms, { attempt: flushed.length > 0 ? 1 : attempt, normalQueue: true });
}

/**
 * The one way an event from outside a task enters a run: buffered while a task is in flight, otherwise written
 * and covered by a (possibly new) workflow task. A transient attempt that has not started yet is replaced by a
 * normal task, since its scheduled event must follow the new event.
 */
export function addExternalEvent(
  ms: MutableState,
  eventType: Parameters<MutableState['addExternalEvent']>[0],
  attributes: Partial<IHistoryEvent>,
  opts: { moreToFollow?: boolean; skipBackoff?: boolean } = {},
): IHistoryEvent | undefined {
  const wt = ms.info.workflowTask;
  if (wt?.transient && wt.startedEventId === 0) {
    ms.info.workflowTask = null;
    ms.touch();
  }
  const event = ms.addExternalEvent(eventType, attributes);
  // Events that belong together (an activity's started + outcome) come before the task that reports them.
  // A run still waiting out its first task's backoff (start delay, retry, cron) only records the event.
  const waiting = ms.info.pendingBackoff && !opts.skipBackoff;
  if (!opts.moreToFollow && !waiting && !ms.hasPendingWorkflowTask()) scheduleWorkflowTask(ms);
  return event;
}
