/**
 * SignalExternalWorkflowExecution and RequestCancelExternalWorkflowExecution: an initiated event, a pending entry
 * keyed by its id with a fresh request id (which deduplicates the request on the target) and a transfer task that
 * carries the request to the target's shard (tasks/cross-shard-executor.ts).
 */
import { randomUUID } from 'node:crypto';
import { enums, toNumber, type ICommand } from '../../proto.js';
import type { ExternalRequestInfo } from '../../persistence/records.js';
import type { MutableState } from '../mutable-state.js';
import type { CommandHandler } from './types.js';

const Cause = enums.WorkflowTaskFailedCause;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Commands name their namespace; another one needs cross-namespace commands, which Temporal disables by default. */
export function crossNamespace(requested: string | null | undefined, own: string): boolean {
  return !!requested && !!own && requested !== own;
}

/** The pending entry (with the request id that deduplicates it on the target) and the transfer task that sends it. */
function track(
  ms: MutableState,
  pending: Record<string, ExternalRequestInfo>,
  kind: 'signal-external' | 'cancel-external',
  initiatedEventId: number,
  batchId: number,
): void {
  pending[String(initiatedEventId)] = { initiatedEventId, initiatedEventBatchId: batchId, requestId: randomUUID() };
  ms.touch();
  ms.addTransferTask({ kind, initiatedEventId });
}

function signalAttrs(c: ICommand) {
  return c.signalExternalWorkflowExecutionCommandAttributes ?? {};
}

function cancelAttrs(c: ICommand) {
  return c.requestCancelExternalWorkflowExecutionCommandAttributes ?? {};
}

export const signalExternalWorkflowExecution: CommandHandler = {
  cause: Cause.WORKFLOW_TASK_FAILED_CAUSE_BAD_SIGNAL_WORKFLOW_EXECUTION_ATTRIBUTES,
  closes: false,
  validate(c, _ms, _seen, namespace) {
    const a = signalAttrs(c);
    const e = a.execution;
    if (!e) return 'Execution is not set on SignalExternalWorkflowExecutionCommand.';
    if (!e.workflowId)
      return `WorkflowId is not set on SignalExternalWorkflowExecutionCommand. Namespace=${namespace} RunId=${e.runId ?? ''} SignalName=${a.signalName ?? ''}`;
    if (e.runId && !UUID.test(e.runId)) return 'Invalid RunId set on SignalExternalWorkflowExecutionCommand.';
    if (!a.signalName)
      return `SignalName is not set on SignalExternalWorkflowExecutionCommand. WorkflowId=${e.workflowId} Namespace=${namespace} RunId=${e.runId ?? ''}`;
    if (crossNamespace(a.namespace, namespace)) return 'cross namespace commands are not allowed';
    return undefined;
  },
  apply(c, ms, env) {
    const a = signalAttrs(c);
    const event = ms.addEvent(enums.EventType.EVENT_TYPE_SIGNAL_EXTERNAL_WORKFLOW_EXECUTION_INITIATED, {
      signalExternalWorkflowExecutionInitiatedEventAttributes: {
        workflowTaskCompletedEventId: env.workflowTaskCompletedEventId,
        namespace: a.namespace ?? '',
        namespaceId: ms.info.namespaceId,
        workflowExecution: { workflowId: a.execution?.workflowId ?? '', runId: a.execution?.runId ?? '' },
        signalName: a.signalName ?? '',
        ...(a.input ? { input: a.input } : {}),
        ...(a.header ? { header: a.header } : {}),
        ...(a.control ? { control: a.control } : {}),
        childWorkflowOnly: a.childWorkflowOnly ?? false,
      },
    });
    track(ms, ms.info.signalsOut, 'signal-external', toNumber(event.eventId), env.batchFirstEventId);
  },
};

export const requestCancelExternalWorkflowExecution: CommandHandler = {
  cause: Cause.WORKFLOW_TASK_FAILED_CAUSE_BAD_REQUEST_CANCEL_EXTERNAL_WORKFLOW_EXECUTION_ATTRIBUTES,
  closes: false,
  validate(c, _ms, seen, namespace) {
    const a = cancelAttrs(c);
    if (!a.workflowId)
      return `WorkflowId is not set on RequestCancelExternalWorkflowExecutionCommand. Namespace=${namespace} RunId=${a.runId ?? ''}`;
    if (a.runId && !UUID.test(a.runId)) return 'Invalid RunId set on RequestCancelExternalWorkflowExecutionCommand.';
    if (crossNamespace(a.namespace, namespace)) return 'cross namespace commands are not allowed';
    if (seen.childWorkflowIds.has(a.workflowId))
      return `Start and RequestCancel for child workflow is not allowed in same workflow task. WorkflowId=${a.workflowId}`;
    return undefined;
  },
  apply(c, ms, env) {
    const a = cancelAttrs(c);
    const event = ms.addEvent(enums.EventType.EVENT_TYPE_REQUEST_CANCEL_EXTERNAL_WORKFLOW_EXECUTION_INITIATED, {
      requestCancelExternalWorkflowExecutionInitiatedEventAttributes: {
        workflowTaskCompletedEventId: env.workflowTaskCompletedEventId,
        namespace: a.namespace ?? '',
        namespaceId: ms.info.namespaceId,
        workflowExecution: { workflowId: a.workflowId ?? '', runId: a.runId ?? '' },
        ...(a.control ? { control: a.control } : {}),
        childWorkflowOnly: a.childWorkflowOnly ?? false,
        ...(a.reason ? { reason: a.reason } : {}),
      },
    });
    track(ms, ms.info.cancelsOut, 'cancel-external', toNumber(event.eventId), env.batchFirstEventId);
  },
};
