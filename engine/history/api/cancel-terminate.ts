/**
 * RequestCancelWorkflowExecution and TerminateWorkflowExecution, from a client or from another workflow (a
 * RequestCancelExternal, a parent-close policy): those name the workflow they come from, may insist that the target
 * is their child (`childWorkflowOnly`), and address the chain by its first run id.
 */
import { NotFoundError } from '../../errors.js';
import { enums, type temporal } from '../../proto.js';
import type { HistoryContext } from '../context.js';
import { WorkflowCompletedError } from '../errors.js';
import type { MutableState } from '../mutable-state.js';
import { terminateWorkflow } from '../state/close.js';
import { addExternalEvent } from '../state/workflow-task.js';
import { updateCurrentOrNamedRun } from './resolve.js';

/** Where a request from another workflow comes from, and what it requires of its target. */
export interface ExternalOrigin {
  execution: { workflowId: string; runId: string };
  /** The target must be a child of `execution`. */
  childWorkflowOnly: boolean;
  /** The target's chain must have started with this run ('' = any). */
  firstExecutionRunId: string;
  /** The initiated event on the requesting run (0 for a parent-close policy). */
  initiatedEventId: number;
}

/** Temporal's ErrWorkflowParent. */
export class WorkflowParentMismatchError extends NotFoundError {
  constructor() {
    super('workflow parent does not match');
    this.name = 'WorkflowParentMismatchError';
  }
}

/** The checks a target makes of a request from another workflow (api/*: firstExecutionRunId, childWorkflowOnly). */
export function checkOrigin(ms: MutableState, origin: ExternalOrigin | undefined): void {
  if (!origin) return;
  if (origin.firstExecutionRunId && ms.info.firstRunId !== origin.firstExecutionRunId)
    throw new NotFoundError('workflow execution not found (first execution run id does not match)');
  const parent = ms.info.parent;
  if (
    origin.childWorkflowOnly &&
    (parent?.workflowId !== origin.execution.workflowId || parent.runId !== origin.execution.runId)
  )
    throw new WorkflowParentMismatchError();
}

export async function requestCancelWorkflow(
  ctx: HistoryContext,
  p: {
    namespaceId: string;
    workflowId: string;
    runId: string;
    identity: string;
    requestId: string;
    reason: string;
    external?: ExternalOrigin;
  },
): Promise<void> {
  await updateCurrentOrNamedRun(ctx, p.namespaceId, p.workflowId, p.runId, (ms) => {
    checkOrigin(ms, p.external);
    // Cancelling a workflow that already closed succeeds and changes nothing (Temporal's answer, to clients and to
    // workflows alike).
    if (!ms.isRunning()) return;
    // Cancellation is requested once; repeats (the client retried) are accepted and change nothing.
    if (ms.info.cancelRequested) return;
    ms.info.cancelRequested = true;
    ms.info.cancelRequestId = p.requestId;
    ms.touch();
    addExternalEvent(ms, enums.EventType.EVENT_TYPE_WORKFLOW_EXECUTION_CANCEL_REQUESTED, {
      workflowExecutionCancelRequestedEventAttributes: {
        cause: p.reason,
        identity: p.identity,
        ...(p.external
          ? {
              externalInitiatedEventId: p.external.initiatedEventId,
              externalWorkflowExecution: p.external.execution,
            }
          : {}),
      },
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
    external?: ExternalOrigin;
  },
): Promise<void> {
  await updateCurrentOrNamedRun(ctx, p.namespaceId, p.workflowId, p.runId, (ms) => {
    if (!ms.isRunning()) throw new WorkflowCompletedError();
    checkOrigin(ms, p.external);
    terminateWorkflow(ms, p.reason, p.details, p.identity);
  });
}
