/** SignalWorkflowExecution: a WorkflowExecutionSignaled event (buffered while a task is in flight), deduplicated by request id. */
import type { temporal, Wire } from '../../proto.js';
import type { HistoryContext } from '../context.js';
import { WorkflowCompletedError } from '../errors.js';
import { addSignal } from './start-workflow.js';
import { updateCurrentOrNamedRun } from './resolve.js';
import { checkOrigin, type ExternalOrigin } from './cancel-terminate.js';

export interface SignalParams {
  namespaceId: string;
  workflowId: string;
  runId: string;
  signalName: string;
  input: Wire<temporal.api.common.v1.IPayloads> | null | undefined;
  header: Wire<temporal.api.common.v1.IHeader> | null | undefined;
  identity: string;
  requestId: string;
  /** A SignalExternal from another workflow. */
  external?: ExternalOrigin;
}

export async function signalWorkflow(ctx: HistoryContext, p: SignalParams): Promise<void> {
  await updateCurrentOrNamedRun(ctx, p.namespaceId, p.workflowId, p.runId, (ms) => {
    // A request id already applied is a success even if the run closed since (Temporal checks it first).
    if (p.requestId && ms.signalRequestedIds.has(p.requestId)) return;
    if (!ms.isRunning()) throw new WorkflowCompletedError();
    checkOrigin(ms, p.external);
    addSignal(
      ms,
      { name: p.signalName, input: p.input, header: p.header },
      p.identity,
      p.requestId,
      p.external?.execution,
    );
  });
}

/** The source recorded the signal's outcome: the target forgets its request id (Temporal's RemoveSignalMutableState). */
export async function removeSignalRequestId(
  ctx: HistoryContext,
  key: { namespaceId: string; workflowId: string; runId: string },
  requestId: string,
): Promise<void> {
  await updateCurrentOrNamedRun(ctx, key.namespaceId, key.workflowId, key.runId, (ms) => {
    if (!ms.isRunning()) throw new WorkflowCompletedError();
    ms.removeSignalRequestId(requestId);
  });
}
