/** Builders for the commands a synthetic worker sends (Temporal's command protos, with sensible defaults). */
import proto, { type temporal } from '@temporalio/proto';
import { toPayloads } from './payloads.js';
import type { Wire } from './wire.js';

/** A command as built here (int64 fields may be plain numbers). */
export type Command = Wire<temporal.api.command.v1.ICommand>;

// The builders below set the command type, so scenarios need no proto import of their own.
const C = proto.temporal.api.enums.v1.CommandType;
const T = {
  scheduleActivity: C.COMMAND_TYPE_SCHEDULE_ACTIVITY_TASK,
  requestCancelActivity: C.COMMAND_TYPE_REQUEST_CANCEL_ACTIVITY_TASK,
  startTimer: C.COMMAND_TYPE_START_TIMER,
  complete: C.COMMAND_TYPE_COMPLETE_WORKFLOW_EXECUTION,
  fail: C.COMMAND_TYPE_FAIL_WORKFLOW_EXECUTION,
  cancelTimer: C.COMMAND_TYPE_CANCEL_TIMER,
  cancelWorkflow: C.COMMAND_TYPE_CANCEL_WORKFLOW_EXECUTION,
  continueAsNew: C.COMMAND_TYPE_CONTINUE_AS_NEW_WORKFLOW_EXECUTION,
  startChild: C.COMMAND_TYPE_START_CHILD_WORKFLOW_EXECUTION,
  signalExternal: C.COMMAND_TYPE_SIGNAL_EXTERNAL_WORKFLOW_EXECUTION,
  requestCancelExternal: C.COMMAND_TYPE_REQUEST_CANCEL_EXTERNAL_WORKFLOW_EXECUTION,
  protocolMessage: C.COMMAND_TYPE_PROTOCOL_MESSAGE,
  recordMarker: C.COMMAND_TYPE_RECORD_MARKER,
} as const;

/** The marker Temporal's SDKs record a local activity's outcome under. */
export const LOCAL_ACTIVITY_MARKER = 'core_local_activity';

/** What happens to a child when its parent closes first (Temporal's ParentClosePolicy). */
export const PARENT_CLOSE_POLICIES = ['terminate', 'request-cancel', 'abandon'] as const;
export type ParentClosePolicyName = (typeof PARENT_CLOSE_POLICIES)[number];
const PCP = proto.temporal.api.enums.v1.ParentClosePolicy;
const POLICY: Record<ParentClosePolicyName, number> = {
  terminate: PCP.PARENT_CLOSE_POLICY_TERMINATE,
  'request-cancel': PCP.PARENT_CLOSE_POLICY_REQUEST_CANCEL,
  abandon: PCP.PARENT_CLOSE_POLICY_ABANDON,
};

function duration(ms: number): { seconds: number; nanos: number } {
  const seconds = Math.floor(ms / 1000);
  return { seconds, nanos: Math.round((ms - seconds * 1000) * 1e6) };
}

export interface ActivityOptions {
  taskQueue?: string;
  startToCloseMs?: number;
  scheduleToCloseMs?: number;
  heartbeatMs?: number;
  retry?: { initialIntervalMs?: number; backoff?: number; maximumAttempts?: number; maximumIntervalMs?: number };
}

export function scheduleActivity(
  activityId: string,
  activityType: string,
  input: unknown,
  o: ActivityOptions = {},
): Command {
  return {
    commandType: T.scheduleActivity,
    scheduleActivityTaskCommandAttributes: {
      activityId,
      activityType: { name: activityType },
      ...(o.taskQueue ? { taskQueue: { name: o.taskQueue } } : {}),
      input: toPayloads(input),
      startToCloseTimeout: duration(o.startToCloseMs ?? 10_000),
      ...(o.scheduleToCloseMs ? { scheduleToCloseTimeout: duration(o.scheduleToCloseMs) } : {}),
      ...(o.heartbeatMs ? { heartbeatTimeout: duration(o.heartbeatMs) } : {}),
      ...(o.retry
        ? {
            retryPolicy: {
              initialInterval: duration(o.retry.initialIntervalMs ?? 1000),
              backoffCoefficient: o.retry.backoff ?? 2,
              maximumAttempts: o.retry.maximumAttempts ?? 0,
              ...(o.retry.maximumIntervalMs ? { maximumInterval: duration(o.retry.maximumIntervalMs) } : {}),
            },
          }
        : {}),
    },
  };
}

export function requestCancelActivity(scheduledEventId: number): Command {
  return {
    commandType: T.requestCancelActivity,
    requestCancelActivityTaskCommandAttributes: { scheduledEventId },
  };
}

export function startTimer(timerId: string, delayMs: number): Command {
  return {
    commandType: T.startTimer,
    startTimerCommandAttributes: { timerId, startToFireTimeout: duration(delayMs) },
  };
}

export function cancelTimer(timerId: string): Command {
  return { commandType: T.cancelTimer, cancelTimerCommandAttributes: { timerId } };
}

export function completeWorkflow(result?: unknown): Command {
  return { commandType: T.complete, completeWorkflowExecutionCommandAttributes: { result: toPayloads(result) } };
}

export function failWorkflow(message: string, type = 'ScenarioFailure'): Command {
  return {
    commandType: T.fail,
    failWorkflowExecutionCommandAttributes: {
      failure: { message, source: 'stampede', applicationFailureInfo: { type } },
    },
  };
}

/** Closes the run as cancelled (it ends a cron chain: no next run follows a cancelled one), with details. */
export function cancelWorkflow(details?: unknown): Command {
  return {
    commandType: T.cancelWorkflow,
    cancelWorkflowExecutionCommandAttributes: details === undefined ? {} : { details: toPayloads(details) },
  };
}

export function continueAsNew(
  workflowType: string,
  taskQueue: string,
  input: unknown,
  header?: Wire<temporal.api.common.v1.IHeader> | null,
): Command {
  return {
    commandType: T.continueAsNew,
    continueAsNewWorkflowExecutionCommandAttributes: {
      workflowType: { name: workflowType },
      taskQueue: { name: taskQueue },
      input: toPayloads(input),
      ...(header ? { header } : {}),
    },
  };
}

export interface ChildOptions {
  taskQueue?: string;
  parentClosePolicy?: ParentClosePolicyName;
}

/** Starts a child workflow (its own execution, on whichever shard its id hashes to). */
export function startChildWorkflow(
  workflowId: string,
  workflowType: string,
  input: unknown,
  o: ChildOptions = {},
): Command {
  return {
    commandType: T.startChild,
    startChildWorkflowExecutionCommandAttributes: {
      workflowId,
      workflowType: { name: workflowType },
      ...(o.taskQueue ? { taskQueue: { name: o.taskQueue } } : {}),
      input: toPayloads(input),
      parentClosePolicy: POLICY[o.parentClosePolicy ?? 'terminate'],
    },
  };
}

/** Signals another workflow (any run of the id when `runId` is empty). */
export function signalExternalWorkflow(
  workflowId: string,
  signalName: string,
  input?: unknown,
  o: { runId?: string; childWorkflowOnly?: boolean } = {},
): Command {
  return {
    commandType: T.signalExternal,
    signalExternalWorkflowExecutionCommandAttributes: {
      execution: { workflowId, runId: o.runId ?? '' },
      signalName,
      input: toPayloads(input),
      childWorkflowOnly: o.childWorkflowOnly ?? false,
    },
  };
}

/** Asks another workflow to cancel (its code decides what cancelling means). */
export function requestCancelExternalWorkflow(
  workflowId: string,
  o: { runId?: string; childWorkflowOnly?: boolean } = {},
): Command {
  return {
    commandType: T.requestCancelExternal,
    requestCancelExternalWorkflowExecutionCommandAttributes: {
      workflowId,
      runId: o.runId ?? '',
      childWorkflowOnly: o.childWorkflowOnly ?? false,
    },
  };
}

/**
 * A local activity's outcome: run in the worker during the task (no activity task, no matching) and recorded as a
 * marker in the task's completion, as Temporal's SDKs do.
 */
export function recordLocalActivity(activityId: string, activityType: string, result: unknown): Command {
  return {
    commandType: T.recordMarker,
    recordMarkerCommandAttributes: {
      markerName: LOCAL_ACTIVITY_MARKER,
      details: { data: toPayloads({ activityId, activityType }), result: toPayloads(result) },
    },
  };
}

/** Places the protocol message `messageId` (an update's acceptance or response) at this point among the commands. */
export function protocolMessage(messageId: string): Command {
  return { commandType: T.protocolMessage, protocolMessageCommandAttributes: { messageId } };
}

/** True for the commands that close a run. */
export function isCloseCommand(c: Command): boolean {
  const t = c.commandType;
  return t === T.complete || t === T.fail || t === T.cancelWorkflow || t === T.continueAsNew;
}

export function isContinueAsNew(c: Command): boolean {
  return c.commandType === T.continueAsNew;
}
