import type { temporal } from '../../proto.js';
import { signalWorkflow } from '../../history/api/signal-workflow.js';
import type { Handler } from '../handler.js';
import { checkId, checkPayloads, requireField, requireNamespace } from '../validate.js';

export const signalWorkflowExecution: Handler<
  temporal.api.workflowservice.v1.ISignalWorkflowExecutionRequest,
  temporal.api.workflowservice.v1.ISignalWorkflowExecutionResponse
> = async (fe, req) => {
  const ns = await fe.namespaces.byNameOrThrow(requireNamespace(req.namespace));
  const workflowId = checkId(req.workflowExecution?.workflowId, 'WorkflowId');
  const signalName = requireField(req.signalName, 'SignalName is not set on request.');
  checkPayloads(req.input, fe.limits.blobSizeLimitBytes);
  await signalWorkflow(fe.history, {
    namespaceId: ns.id,
    workflowId,
    runId: req.workflowExecution?.runId ?? '',
    signalName,
    input: req.input,
    header: req.header,
    identity: req.identity ?? '',
    requestId: req.requestId ?? '',
  });
  return {};
};
