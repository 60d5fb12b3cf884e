/**
 * Closing a run: the close event is the last event of its history. Closing schedules the close transfer task
 * (visibility), the retention timer that deletes the run, and leaves pending activities and timers inert.
 */
import { randomUUID } from 'node:crypto';
import {
  enums,
  msFromDuration,
  type IFailure,
  type IHistoryEvent,
  type IPayloads,
  type temporal,
} from '../../proto.js';
import { WorkflowState } from '../../persistence/records.js';
import type { MutableState } from '../mutable-state.js';
import { newRun, workflowTaskTimeoutMs } from './start.js';
import { cronNext, retryBackoff, startNextRun } from './next-run.js';

const E = enums.EventType;
const Status = enums.WorkflowExecutionStatus;

function close(ms: MutableState, eventType: number, attributes: Partial<IHistoryEvent>, status: number): IHistoryEvent {
  const event = ms.addEvent(eventType, attributes);
  ms.info.state = WorkflowState.Completed;
  ms.info.status = status;
  ms.info.closeTimeMs = ms.nowMs;
  ms.info.completionEventId = Number(event.eventId);
  ms.info.workflowTask = null;
  ms.info.stickyTaskQueue = '';
  ms.touch();
  ms.addTransferTask({ kind: 'close-execution' });
  ms.addVisibilityTask({ kind: 'upsert-visibility' });
  ms.addTimerTask({ kind: 'delete-history' }, ms.nowMs + ms.info.retentionMs);
  return event;
}

export function completeWorkflow(
  ms: MutableState,
  result: IPayloads | null | undefined,
  wtCompletedEventId: number,
  startEvent?: IHistoryEvent,
): void {
  const cronBackoffMs = startEvent ? cronNext(ms) : undefined;
  const newRunId =
    cronBackoffMs !== undefined && startEvent
      ? startNextRun(
          ms,
          { kind: 'cron', backoffMs: cronBackoffMs, failure: undefined, lastCompletionResult: result ?? undefined },
          startEvent,
        )
      : undefined;
  close(
    ms,
    E.EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED,
    {
      workflowExecutionCompletedEventAttributes: {
        workflowTaskCompletedEventId: wtCompletedEventId,
        ...(result ? { result } : {}),
        ...(newRunId ? { newExecutionRunId: newRunId } : {}),
      },
    },
    Status.WORKFLOW_EXECUTION_STATUS_COMPLETED,
  );
}

/**
 * A failed or timed-out run: retried as a new run when its retry policy allows, else followed by its next cron run
 * if it has a schedule. Returns the retry state and the next run's id ('' when the chain ends).
 */
function continueAfterFailure(
  ms: MutableState,
  failure: IFailure,
  startEvent: IHistoryEvent | undefined,
): { retryState: number; newRunId: string } {
  const decision = retryBackoff(ms, failure);
  if (!startEvent) return { retryState: 'retryState' in decision ? decision.retryState : RETRY_NOT_SET, newRunId: '' };
  if ('backoffMs' in decision) {
    const newRunId = startNextRun(ms, { kind: 'retry', backoffMs: decision.backoffMs, failure }, startEvent);
    return { retryState: enums.RetryState.RETRY_STATE_IN_PROGRESS, newRunId };
  }
  const cronBackoffMs = cronNext(ms);
  if (cronBackoffMs === undefined) return { retryState: decision.retryState, newRunId: '' };
  const lastCompletionResult = startEvent.workflowExecutionStartedEventAttributes?.lastCompletionResult ?? undefined;
  const newRunId = startNextRun(
    ms,
    { kind: 'cron', backoffMs: cronBackoffMs, failure, lastCompletionResult },
    startEvent,
  );
  return { retryState: decision.retryState, newRunId };
}

const RETRY_NOT_SET = enums.RetryState.RETRY_STATE_RETRY_POLICY_NOT_SET;

export function failWorkflow(
  ms: MutableState,
  failure: IFailure | null | undefined,
  wtCompletedEventId: number,
  startEvent?: IHistoryEvent,
): void {
  const next = failure ? continueAfterFailure(ms, failure, startEvent) : { retryState: RETRY_NOT_SET, newRunId: '' };
  close(
    ms,
    E.EVENT_TYPE_WORKFLOW_EXECUTION_FAILED,
    {
      workflowExecutionFailedEventAttributes: {
        workflowTaskCompletedEventId: wtCompletedEventId,
        retryState: next.retryState,
        ...(failure ? { failure } : {}),
        ...(next.newRunId ? { newExecutionRunId: next.newRunId } : {}),
      },
    },
    Status.WORKFLOW_EXECUTION_STATUS_FAILED,
  );
}

export function cancelWorkflow(
  ms: MutableState,
  details: IPayloads | null | undefined,
  wtCompletedEventId: number,
): void {
  close(
    ms,
    E.EVENT_TYPE_WORKFLOW_EXECUTION_CANCELED,
    {
      workflowExecutionCanceledEventAttributes: {
        workflowTaskCompletedEventId: wtCompletedEventId,
        ...(details ? { details } : {}),
      },
    },
    Status.WORKFLOW_EXECUTION_STATUS_CANCELED,
  );
}

export function terminateWorkflow(
  ms: MutableState,
  reason: string,
  details: IPayloads | null | undefined,
  identity: string,
): void {
  const wt = ms.info.workflowTask;
  // A task in flight is failed first (FORCE_CLOSE_COMMAND), so its started event is answered before the close.
  if (wt && wt.startedEventId > 0 && !wt.transient) {
    ms.addEvent(E.EVENT_TYPE_WORKFLOW_TASK_FAILED, {
      workflowTaskFailedEventAttributes: {
        scheduledEventId: wt.scheduledEventId,
        startedEventId: wt.startedEventId,
        cause: enums.WorkflowTaskFailedCause.WORKFLOW_TASK_FAILED_CAUSE_FORCE_CLOSE_COMMAND,
        identity,
      },
    });
  }
  ms.info.workflowTask = null;
  ms.flushBufferedEvents();
  close(
    ms,
    E.EVENT_TYPE_WORKFLOW_EXECUTION_TERMINATED,
    { workflowExecutionTerminatedEventAttributes: { reason, identity, ...(details ? { details } : {}) } },
    Status.WORKFLOW_EXECUTION_STATUS_TERMINATED,
  );
}

/**
 * The run's time is up. A run timeout may be retried (or followed by the next cron run); the execution timeout
 * ends the chain (Temporal's executeWorkflowRunTimeoutTask).
 */
export function timeoutWorkflow(ms: MutableState, startEvent?: IHistoryEvent): void {
  const wt = ms.info.workflowTask;
  if (wt && wt.startedEventId > 0 && !wt.transient) {
    ms.addEvent(E.EVENT_TYPE_WORKFLOW_TASK_TIMED_OUT, {
      workflowTaskTimedOutEventAttributes: {
        scheduledEventId: wt.scheduledEventId,
        startedEventId: wt.startedEventId,
        timeoutType: enums.TimeoutType.TIMEOUT_TYPE_START_TO_CLOSE,
      },
    });
  }
  ms.info.workflowTask = null;
  ms.flushBufferedEvents();
  const expiry = ms.info.executionExpirationTimeMs;
  const executionExpired = expiry > 0 && expiry <= ms.nowMs;
  const next = executionExpired
    ? { retryState: enums.RetryState.RETRY_STATE_TIMEOUT, newRunId: '' }
    : continueAfterFailure(
        ms,
        {
          message: 'workflow timeout',
          source: 'Server',
          timeoutFailureInfo: { timeoutType: enums.TimeoutType.TIMEOUT_TYPE_START_TO_CLOSE },
        },
        startEvent,
      );
  close(
    ms,
    E.EVENT_TYPE_WORKFLOW_EXECUTION_TIMED_OUT,
    {
      workflowExecutionTimedOutEventAttributes: {
        retryState: next.retryState,
        ...(next.newRunId ? { newExecutionRunId: next.newRunId } : {}),
      },
    },
    Status.WORKFLOW_EXECUTION_STATUS_TIMED_OUT,
  );
}

/** Closes the run with ContinuedAsNew and creates the next run of the chain in the same transaction. */
export function continueAsNew(
  ms: MutableState,
  attrs: temporal.api.command.v1.IContinueAsNewWorkflowExecutionCommandAttributes,
  wtCompletedEventId: number,
): MutableState {
  const runId = randomUUID();
  const taskQueue = attrs.taskQueue?.name || ms.info.taskQueue;
  const workflowType = attrs.workflowType?.name || ms.info.workflowType;
  const runTimeoutMs = msFromDuration(attrs.workflowRunTimeout) || ms.info.workflowRunTimeoutMs;
  const wtTimeoutMs = workflowTaskTimeoutMs(
    msFromDuration(attrs.workflowTaskTimeout) || ms.info.workflowTaskTimeoutMs,
    runTimeoutMs,
  );
  close(
    ms,
    E.EVENT_TYPE_WORKFLOW_EXECUTION_CONTINUED_AS_NEW,
    {
      workflowExecutionContinuedAsNewEventAttributes: {
        newExecutionRunId: runId,
        workflowType: { name: workflowType },
        taskQueue: { name: taskQueue, kind: enums.TaskQueueKind.TASK_QUEUE_KIND_NORMAL },
        input: attrs.input ?? null,
        ...(runTimeoutMs > 0 ? { workflowRunTimeout: attrs.workflowRunTimeout ?? null } : {}),
        workflowTaskTimeout: { seconds: Math.floor(wtTimeoutMs / 1000), nanos: (wtTimeoutMs % 1000) * 1e6 },
        workflowTaskCompletedEventId: wtCompletedEventId,
        initiator: attrs.initiator ?? enums.ContinueAsNewInitiator.CONTINUE_AS_NEW_INITIATOR_WORKFLOW,
        header: attrs.header ?? null,
        memo: attrs.memo ?? null,
        searchAttributes: attrs.searchAttributes ?? null,
        ...(attrs.lastCompletionResult ? { lastCompletionResult: attrs.lastCompletionResult } : {}),
        ...(attrs.failure ? { failure: attrs.failure } : {}),
      },
    },
    Status.WORKFLOW_EXECUTION_STATUS_CONTINUED_AS_NEW,
  );
  ms.info.newRunId = runId;
  const next = newRun(
    {
      namespaceId: ms.info.namespaceId,
      workflowId: ms.info.workflowId,
      runId,
      firstRunId: ms.info.firstRunId,
      requestId: randomUUID(),
      workflowType,
      taskQueue,
      input: attrs.input,
      workflowRunTimeoutMs: runTimeoutMs,
      workflowExecutionTimeoutMs: ms.info.workflowExecutionTimeoutMs,
      executionExpirationTimeMs: ms.info.executionExpirationTimeMs,
      workflowTaskTimeoutMs: wtTimeoutMs,
      retentionMs: ms.info.retentionMs,
      identity: '',
      header: attrs.header,
      memo: attrs.memo,
      searchAttributes: attrs.searchAttributes,
      retryPolicy: attrs.retryPolicy,
      continuedExecutionRunId: ms.info.runId,
      initiator: attrs.initiator ?? enums.ContinueAsNewInitiator.CONTINUE_AS_NEW_INITIATOR_WORKFLOW,
      lastCompletionResult: attrs.lastCompletionResult,
      continuedFailure: attrs.failure,
      timeScale: ms.timeScale,
      parent: ms.info.parent,
      ...(ms.info.parent ? { root: { workflowId: ms.info.rootWorkflowId, runId: ms.info.rootRunId } } : {}),
      ...(ms.info.cronSchedule ? { cronSchedule: ms.info.cronSchedule } : {}),
      limits: ms.limits,
    },
    ms.nowMs,
  );
  ms.newRun = next;
  return next;
}
