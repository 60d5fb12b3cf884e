/** ResetWorkflowExecution: a new run from the end of a workflow task of an earlier one (history/api/reset-workflow.ts). */
import { toNumber, type temporal } from '../../proto.js';
import { resetWorkflow } from '../../history/api/reset-workflow.js';
import type { Handler } from '../handler.js';
import { checkId, checkIdentity, checkLength, requireField, requireNamespace } from '../validate.js';

export const resetWorkflowExecution: Handler<
  temporal.api.workflowservice.v1.IResetWorkflowExecutionRequest,
  temporal.api.workflowservice.v1.IResetWorkflowExecutionResponse
> = async (fe, req) => {
  const ns = await fe.namespaces.byNameOrThrow(requireNamespace(req.namespace));
  const workflowId = checkId(req.workflowExecution?.workflowId, 'WorkflowId');
  const requestId = checkLength(requireField(req.requestId, 'RequestId is not set on request.'), 'RequestId');
  return resetWorkflow(fe.history, {
    namespaceId: ns.id,
    workflowId,
    runId: checkLength(req.workflowExecution?.runId, 'RunId'),
    finishEventId: toNumber(req.workflowTaskFinishEventId),
    requestId,
    reason: checkLength(req.reason, 'Reason'),
    identity: checkIdentity(req.identity),
  });
};
