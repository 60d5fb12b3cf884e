/** SignalWorkflowExecution: a WorkflowExecutionSignaled event (buffered while a task is in flight), deduplicated by request id. */
import type { temporal } from '../../proto.js';
import type { HistoryContext } from '../context.js';
import { WorkflowCompletedError } from '../errors.js';
import { addSignal } from './start-workflow.js';
import { updateCurrentOrNamedRun } from './resolve.js';

export interface SignalParams {
  namespaceId: string;
  workflowId: string;
  runId: string;
  signalName: string;
  input: temporal.api.common.v1.IPayloads | null | undefined;
  header: temporal.api.common.v1.IHeader | null | undefined;
  identity: string;
  requestId: string;
}

export async function signalWorkflow(ctx: HistoryContext, p: SignalParams): Promise<void> {
  await updateCurrentOrNamedRun(ctx, p.namespaceId, p.workflowId, p.runId, (ms) => {
    if (!ms.isRunning()) throw new WorkflowCompletedError();
    if (p.requestId && ms.signalRequestedIds.has(p.requestId)) return;
    addSignal(ms, { name: p.signalName, input: p.input, header: p.header }, p.identity, p.requestId);
  });
}
