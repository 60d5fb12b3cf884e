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
): void {
  close(
    ms,
    E.EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED,
    {
      workflowExecutionCompletedEventAttributes: {
        workflowTaskCompletedEventId: wtCompletedEventId,
        ...(result ? { result } : {}),
      },
    },
    Status.WORKFLOW_EXECUTION_STATUS_COMPLETED,
  );
}

export function failWorkflow(ms: MutableState, failure: IFailure | null | undefined, wtCompletedEventId: number): void {
  close(
    ms,
    E.EVENT_TYPE_WORKFLOW_EXECUTION_FAILED,
    {
      workflowExecutionFailedEventAttributes: {
        workflowTaskCompletedEventId: wtCompletedEventId,
        retryState: enums.RetryState.RETRY_STATE_RETRY_POLICY_NOT_SET,
        ...(failure ? { failure } : {}),
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

export function timeoutWorkflow(ms: MutableState): void {
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
  close(
    ms,
    E.EVENT_TYPE_WORKFLOW_EXECUTION_TIMED_OUT,
    { workflowExecutionTimedOutEventAttributes: { retryState: enums.RetryState.RETRY_STATE_TIMEOUT } },
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
      limits: ms.limits,
    },
    ms.nowMs,
  );
  ms.newRun = next;
  return next;
}
