/** RequestCancelWorkflowExecution and TerminateWorkflowExecution. */
import type { temporal } from '../../proto.js';
import { requestCancelWorkflow, terminateWorkflowExecution as terminate } from '../../history/api/cancel-terminate.js';
import type { Handler } from '../handler.js';
import { checkId, checkIdentity, checkLength, requireNamespace } from '../validate.js';

export const requestCancelWorkflowExecution: Handler<
  temporal.api.workflowservice.v1.IRequestCancelWorkflowExecutionRequest,
  temporal.api.workflowservice.v1.IRequestCancelWorkflowExecutionResponse
> = async (fe, req) => {
  const ns = await fe.namespaces.byNameOrThrow(requireNamespace(req.namespace));
  await requestCancelWorkflow(fe.history, {
    namespaceId: ns.id,
    workflowId: checkId(req.workflowExecution?.workflowId, 'WorkflowId'),
    runId: req.workflowExecution?.runId ?? '',
    identity: checkIdentity(req.identity),
    requestId: checkLength(req.requestId, 'RequestId'),
    reason: req.reason ?? '',
  });
  return {};
};

export const terminateWorkflowExecution: Handler<
  temporal.api.workflowservice.v1.ITerminateWorkflowExecutionRequest,
  temporal.api.workflowservice.v1.ITerminateWorkflowExecutionResponse
> = async (fe, req) => {
  const ns = await fe.namespaces.byNameOrThrow(requireNamespace(req.namespace));
  await terminate(fe.history, {
    namespaceId: ns.id,
    workflowId: checkId(req.workflowExecution?.workflowId, 'WorkflowId'),
    runId: req.workflowExecution?.runId ?? '',
    reason: req.reason ?? '',
    details: req.details,
    identity: checkIdentity(req.identity),
  });
  return {};
};
