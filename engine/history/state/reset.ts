/**
 * ResetWorkflowExecution's new run (Temporal's workflow resetter): the base run's events before the reset point
 * copied verbatim into a new branch, the mutable state rebuilt from them (pending activities and timers), then the
 * workflow task in flight at that point failed with RESET_WORKFLOW, the signals received after the point reapplied,
 * and a new workflow task scheduled.
 *
 * The engine writes an activity's started event only when the activity closes (Temporal's model), so an activity
 * pending at the reset point is restarted as scheduled (attempt 1, dispatched again); Temporal fails the ones that
 * were running with a ResetWorkflowFailure.
 */
import { randomUUID } from 'node:crypto';
import { InvalidArgumentError } from '../../errors.js';
import { enums, msFromDuration, toNumber, type IHistoryEvent } from '../../proto.js';
import {
  TimeoutKind,
  WorkflowState,
  type ActivityInfo,
  type ExecutionInfo,
  type TimerInfo,
  type UpdateInfo,
} from '../../persistence/records.js';
import { MutableState } from '../mutable-state.js';
import { pendingActivity, retryPolicyInfo } from './activities.js';
import { scheduleWorkflowTask } from './workflow-task.js';

const E = enums.EventType;

export interface ResetParams {
  base: ExecutionInfo;
  /** The base run's history, from event 1 (at least up to the reset point). */
  events: IHistoryEvent[];
  finishEventId: number;
  newRunId: string;
  requestId: string;
  reason: string;
  identity: string;
  nowMs: number;
  timeScale: number;
}

/** Pending activities, timers and recorded updates after `events`, as the run's mutable state holds them. */
function replay(events: IHistoryEvent[], nowMs: number) {
  const activities = new Map<number, ActivityInfo>();
  const timers = new Map<string, TimerInfo>();
  const updates: Record<string, UpdateInfo> = {};
  let lastCompletedStarted = 0;
  let signals = 0;
  let cancelRequested = false;
  for (const e of events) {
    const id = toNumber(e.eventId);
    const s = e.activityTaskScheduledEventAttributes;
    if (s) {
      activities.set(
        id,
        pendingActivity({
          scheduledEventId: id,
          // The copied events form the new branch's first (and only) node.
          scheduledEventBatchId: 1,
          activityId: s.activityId ?? '',
          activityType: s.activityType?.name ?? '',
          taskQueue: s.taskQueue?.name ?? '',
          scheduledTimeMs: nowMs,
          timeouts: {
            scheduleToCloseMs: msFromDuration(s.scheduleToCloseTimeout),
            scheduleToStartMs: msFromDuration(s.scheduleToStartTimeout),
            startToCloseMs: msFromDuration(s.startToCloseTimeout),
            heartbeatMs: msFromDuration(s.heartbeatTimeout),
          },
          retry: retryPolicyInfo(s.retryPolicy),
        }),
      );
    }
    const closed =
      e.activityTaskCompletedEventAttributes ??
      e.activityTaskFailedEventAttributes ??
      e.activityTaskTimedOutEventAttributes ??
      e.activityTaskCanceledEventAttributes;
    if (closed) activities.delete(toNumber(closed.scheduledEventId));
    const cancel = e.activityTaskCancelRequestedEventAttributes;
    const requested = cancel ? activities.get(toNumber(cancel.scheduledEventId)) : undefined;
    if (requested) {
      requested.cancelRequested = true;
      requested.cancelRequestedEventId = id;
    }
    const t = e.timerStartedEventAttributes;
    if (t) {
      const startedMs = toNumber(e.eventTime?.seconds) * 1000 + Math.floor((e.eventTime?.nanos ?? 0) / 1e6);
      timers.set(t.timerId ?? '', {
        timerId: t.timerId ?? '',
        startedEventId: id,
        expiryTimeMs: startedMs + msFromDuration(t.startToFireTimeout),
        taskCreated: true,
      });
    }
    const timerEnd = e.timerFiredEventAttributes ?? e.timerCanceledEventAttributes;
    if (timerEnd) timers.delete(timerEnd.timerId ?? '');
    if (e.workflowTaskCompletedEventAttributes)
      lastCompletedStarted = toNumber(e.workflowTaskCompletedEventAttributes.startedEventId);
    if (e.workflowExecutionSignaledEventAttributes) signals += 1;
    if (e.workflowExecutionCancelRequestedEventAttributes) cancelRequested = true;
    const accepted = e.workflowExecutionUpdateAcceptedEventAttributes;
    if (accepted)
      updates[accepted.protocolInstanceId ?? ''] = { acceptedEventId: id, completedEventId: 0, completedBatchId: 0 };
    const done = e.workflowExecutionUpdateCompletedEventAttributes;
    const u = done ? updates[done.meta?.updateId ?? ''] : undefined;
    if (u) {
      u.completedEventId = id;
      u.completedBatchId = 1;
    }
  }
  return { activities, timers, updates, lastCompletedStarted, signals, cancelRequested };
}

export function resetRun(p: ResetParams): MutableState {
  const { finishEventId: finish } = p;
  const copied = p.events.filter((e) => toNumber(e.eventId) < finish);
  const last = copied[copied.length - 1];
  const lastType = last?.eventType;
  if (
    copied.length !== finish - 1 ||
    (lastType !== E.EVENT_TYPE_WORKFLOW_TASK_STARTED && lastType !== E.EVENT_TYPE_WORKFLOW_TASK_SCHEDULED)
  ) {
    throw new InvalidArgumentError(
      `Can only reset workflow to event ID in range [WorkflowTaskScheduled +1, WorkflowTaskStarted + 1]: ${finish}`,
    );
  }
  const state = replay(copied, p.nowMs);
  if (copied.some((e) => e.startChildWorkflowExecutionInitiatedEventAttributes)) {
    throw new InvalidArgumentError(
      'Resetting a workflow that had started child workflows by the reset point is not supported by the stampede reference engine.',
    );
  }
  const info: ExecutionInfo = {
    ...p.base,
    runId: p.newRunId,
    createRequestId: p.requestId,
    status: enums.WorkflowExecutionStatus.WORKFLOW_EXECUTION_STATUS_RUNNING,
    state: WorkflowState.Running,
    closeTimeMs: 0,
    nextEventId: finish,
    lastCompletedWorkflowTaskStartedEventId: state.lastCompletedStarted,
    lastEventTaskId: 0,
    workflowTask: null,
    stickyTaskQueue: '',
    stickyScheduleToStartTimeoutMs: 0,
    cancelRequested: state.cancelRequested,
    treeId: p.newRunId,
    branchId: randomUUID(),
    completionEventId: 0,
    newRunId: '',
    signalCount: state.signals,
    searchAttributes: { ...p.base.searchAttributes },
    memo: { ...p.base.memo },
    lastTxnId: 0,
    lastFirstEventId: 0,
    historySizeBytes: 0,
    updateInfos: state.updates,
    // What the base run had pending at its end is not what was pending at the reset point: the reset run starts
    // with no children or external requests in flight (the engine does not rebuild those from history).
    pendingBackoff: false,
    children: {},
    signalsOut: {},
    cancelsOut: {},
  };
  const ms = MutableState.fresh(info, p.timeScale, p.nowMs);
  ms.newEvents.push(...copied.map((e) => ({ ...e })));

  // The workflow task in flight at the reset point fails, so the worker replays up to it and carries on from there.
  let scheduledEventId = toNumber(last?.eventId);
  let startedEventId = scheduledEventId;
  if (lastType === E.EVENT_TYPE_WORKFLOW_TASK_SCHEDULED) {
    const started = ms.addEvent(E.EVENT_TYPE_WORKFLOW_TASK_STARTED, {
      workflowTaskStartedEventAttributes: { scheduledEventId, identity: 'history-service', requestId: randomUUID() },
    });
    startedEventId = toNumber(started.eventId);
  } else {
    scheduledEventId = toNumber(last?.workflowTaskStartedEventAttributes?.scheduledEventId);
  }
  ms.addEvent(E.EVENT_TYPE_WORKFLOW_TASK_FAILED, {
    workflowTaskFailedEventAttributes: {
      scheduledEventId,
      startedEventId,
      cause: enums.WorkflowTaskFailedCause.WORKFLOW_TASK_FAILED_CAUSE_RESET_WORKFLOW,
      failure: { message: p.reason, source: 'Server', resetWorkflowFailureInfo: {} },
      identity: 'history-service',
      baseRunId: p.base.runId,
      newRunId: p.newRunId,
    },
  });
  // Signals the base run received after the reset point are reapplied (Temporal's default reapply type, ALL_ELIGIBLE).
  for (const e of p.events) {
    const signal = e.workflowExecutionSignaledEventAttributes;
    if (signal && toNumber(e.eventId) > finish) {
      ms.addEvent(E.EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED, { workflowExecutionSignaledEventAttributes: signal });
      info.signalCount += 1;
    }
  }
  for (const a of state.activities.values()) {
    ms.putActivity(a);
    ms.addTransferTask({
      kind: 'activity-task',
      taskQueue: a.taskQueue,
      scheduledEventId: a.scheduledEventId,
      attempt: 1,
    });
    if (a.scheduleToCloseTimeoutMs > 0)
      ms.addRealTimeoutTask(
        {
          kind: 'activity-timeout',
          scheduledEventId: a.scheduledEventId,
          attempt: 0,
          timeout: TimeoutKind.ScheduleToClose,
        },
        a.scheduleToCloseTimeoutMs,
      );
  }
  for (const t of state.timers.values()) {
    ms.putTimer(t);
    ms.addTimerTask({ kind: 'user-timer', startedEventId: t.startedEventId }, Math.max(t.expiryTimeMs, p.nowMs));
  }
  scheduleWorkflowTask(ms);
  const runExpiry = info.workflowRunTimeoutMs > 0 ? info.startTimeMs + info.workflowRunTimeoutMs : 0;
  const expiry = [runExpiry, info.executionExpirationTimeMs].filter((t) => t > 0);
  if (expiry.length > 0) ms.addTimerTask({ kind: 'workflow-run-timeout' }, Math.min(...expiry));
  ms.addVisibilityTask({ kind: 'upsert-visibility' });
  return ms;
}
