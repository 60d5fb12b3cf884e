/** RequestCancelWorkflowExecution and TerminateWorkflowExecution. */
import { enums, type temporal } from '../../proto.js';
import type { HistoryContext } from '../context.js';
import { WorkflowCompletedError } from '../errors.js';
import { terminateWorkflow } from '../state/close.js';
import { addExternalEvent } from '../state/workflow-task.js';
import { updateCurrentOrNamedRun } from './resolve.js';

export async function requestCancelWorkflow(
  ctx: HistoryContext,
  p: { namespaceId: string; workflowId: string; runId: string; identity: string; requestId: string; reason: string },
): Promise<void> {
  await updateCurrentOrNamedRun(ctx, p.namespaceId, p.workflowId, p.runId, (ms) => {
    if (!ms.isRunning()) throw new WorkflowCompletedError();
    // Cancellation is requested once; repeats (the client retried) are accepted and change nothing.
    if (ms.info.cancelRequested) return;
    ms.info.cancelRequested = true;
    ms.info.cancelRequestId = p.requestId;
    ms.touch();
    addExternalEvent(ms, enums.EventType.EVENT_TYPE_WORKFLOW_EXECUTION_CANCEL_REQUESTED, {
      workflowExecutionCancelRequestedEventAttributes: { cause: p.reason, identity: p.identity },
    });
  });
}

export async function terminateWorkflowExecution(
  ctx: HistoryContext,
  p: {
    namespaceId: string;
    workflowId: string;
    runId: string;
    reason: string;
    details: temporal.api.common.v1.IPayloads | null | undefined;
    identity: string;
  },
): Promise<void> {
  await updateCurrentOrNamedRun(ctx, p.namespaceId, p.workflowId, p.runId, (ms) => {
    if (!ms.isRunning()) throw new WorkflowCompletedError();
    terminateWorkflow(ms, p.reason, p.details, p.identity);
  });
}
