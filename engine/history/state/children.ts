/**
 * The parent's side of child workflows and of requests to other workflows: the events the cross-shard transfer
 * tasks write back on the initiating run (child started / failed to start / closed, external signal and cancel
 * outcomes). Each comes from outside a workflow task, so it is buffered while one is in flight and schedules one
 * otherwise.
 */
import { enums, toNumber, type IHistoryEvent } from '../../proto.js';
import type { ChildExecutionInfo } from '../../persistence/records.js';
import { BUFFERED_EVENT_ID, type MutableState } from '../mutable-state.js';
import { addExternalEvent } from './workflow-task.js';

const E = enums.EventType;

function childRef(ci: ChildExecutionInfo) {
  return { namespace: ci.namespace, namespaceId: ci.namespaceId, workflowType: { name: ci.workflowType } };
}

export function recordChildStarted(ms: MutableState, ci: ChildExecutionInfo, runId: string): void {
  const event = addExternalEvent(ms, E.EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_STARTED, {
    childWorkflowExecutionStartedEventAttributes: {
      ...childRef(ci),
      initiatedEventId: ci.initiatedEventId,
      workflowExecution: { workflowId: ci.workflowId, runId },
    },
  });
  ci.startedRunId = runId;
  ci.startedEventId = event ? toNumber(event.eventId) : BUFFERED_EVENT_ID;
  ms.touch();
}

export function recordChildStartFailed(ms: MutableState, ci: ChildExecutionInfo, cause: number): void {
  addExternalEvent(ms, E.EVENT_TYPE_START_CHILD_WORKFLOW_EXECUTION_FAILED, {
    startChildWorkflowExecutionFailedEventAttributes: {
      ...childRef(ci),
      workflowId: ci.workflowId,
      initiatedEventId: ci.initiatedEventId,
      workflowTaskCompletedEventId: 0,
      cause,
    },
  });
  delete ms.info.children[String(ci.initiatedEventId)];
  ms.touch();
}

/** Writes the parent's event for a child's close event (Temporal's RecordChildExecutionCompleted). */
export function recordChildClosed(
  ms: MutableState,
  ci: ChildExecutionInfo,
  childRunId: string,
  close: IHistoryEvent,
): void {
  const common = {
    ...childRef(ci),
    workflowExecution: { workflowId: ci.workflowId, runId: childRunId },
    initiatedEventId: ci.initiatedEventId,
    startedEventId: ci.startedEventId,
  };
  const t = close.eventType;
  if (t === E.EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED) {
    const result = close.workflowExecutionCompletedEventAttributes?.result;
    addExternalEvent(ms, E.EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_COMPLETED, {
      childWorkflowExecutionCompletedEventAttributes: { ...common, ...(result ? { result } : {}) },
    });
  } else if (t === E.EVENT_TYPE_WORKFLOW_EXECUTION_FAILED) {
    const a = close.workflowExecutionFailedEventAttributes;
    addExternalEvent(ms, E.EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_FAILED, {
      childWorkflowExecutionFailedEventAttributes: {
        ...common,
        ...(a?.failure ? { failure: a.failure } : {}),
        retryState: a?.retryState ?? 0,
      },
    });
  } else if (t === E.EVENT_TYPE_WORKFLOW_EXECUTION_CANCELED) {
    const details = close.workflowExecutionCanceledEventAttributes?.details;
    addExternalEvent(ms, E.EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_CANCELED, {
      childWorkflowExecutionCanceledEventAttributes: { ...common, ...(details ? { details } : {}) },
    });
  } else if (t === E.EVENT_TYPE_WORKFLOW_EXECUTION_TIMED_OUT) {
    addExternalEvent(ms, E.EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_TIMED_OUT, {
      childWorkflowExecutionTimedOutEventAttributes: {
        ...common,
        retryState: close.workflowExecutionTimedOutEventAttributes?.retryState ?? 0,
      },
    });
  } else {
    addExternalEvent(ms, E.EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_TERMINATED, {
      childWorkflowExecutionTerminatedEventAttributes: common,
    });
  }
  delete ms.info.children[String(ci.initiatedEventId)];
  ms.touch();
}

export interface ExternalTarget {
  namespace: string;
  namespaceId: string;
  workflowExecution: { workflowId: string; runId: string };
  initiatedEventId: number;
  control?: string;
}

/** Outcome of a SignalExternal: `cause` 0 means it was delivered. */
export function recordExternalSignal(ms: MutableState, target: ExternalTarget, cause: number): void {
  if (cause === 0) {
    addExternalEvent(ms, E.EVENT_TYPE_EXTERNAL_WORKFLOW_EXECUTION_SIGNALED, {
      externalWorkflowExecutionSignaledEventAttributes: target,
    });
  } else {
    addExternalEvent(ms, E.EVENT_TYPE_SIGNAL_EXTERNAL_WORKFLOW_EXECUTION_FAILED, {
      signalExternalWorkflowExecutionFailedEventAttributes: { ...target, cause, workflowTaskCompletedEventId: 0 },
    });
  }
  delete ms.info.signalsOut[String(target.initiatedEventId)];
  ms.touch();
}

/** Outcome of a RequestCancelExternal: `cause` 0 means the cancel was requested. */
export function recordExternalCancel(ms: MutableState, target: ExternalTarget, cause: number): void {
  const { control: _control, ...ref } = target;
  if (cause === 0) {
    addExternalEvent(ms, E.EVENT_TYPE_EXTERNAL_WORKFLOW_EXECUTION_CANCEL_REQUESTED, {
      externalWorkflowExecutionCancelRequestedEventAttributes: ref,
    });
  } else {
    addExternalEvent(ms, E.EVENT_TYPE_REQUEST_CANCEL_EXTERNAL_WORKFLOW_EXECUTION_FAILED, {
      requestCancelExternalWorkflowExecutionFailedEventAttributes: { ...ref, cause, workflowTaskCompletedEventId: 0 },
    });
  }
  delete ms.info.cancelsOut[String(target.initiatedEventId)];
  ms.touch();
}
