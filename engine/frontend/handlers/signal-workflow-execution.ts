import type { temporal } from '../../proto.js';
import { signalWorkflow } from '../../history/api/signal-workflow.js';
import type { Handler } from '../handler.js';
import { checkHeader, checkId, checkIdentity, checkLength, checkPayloads, requireNamespace } from '../validate.js';

export const signalWorkflowExecution: Handler<
  temporal.api.workflowservice.v1.ISignalWorkflowExecutionRequest,
  temporal.api.workflowservice.v1.ISignalWorkflowExecutionResponse
> = async (fe, req) => {
  const ns = await fe.namespaces.byNameOrThrow(requireNamespace(req.namespace));
  const workflowId = checkId(req.workflowExecution?.workflowId, 'WorkflowId');
  const signalName = checkId(req.signalName, 'SignalName');
  const requestId = checkLength(req.requestId, 'RequestId');
  const identity = checkIdentity(req.identity);
  checkPayloads(req.input, fe.limits);
  checkHeader(req.header, fe.limits);
  await signalWorkflow(fe.history, {
    namespaceId: ns.id,
    workflowId,
    runId: req.workflowExecution?.runId ?? '',
    signalName,
    input: req.input,
    header: req.header,
    identity,
    requestId,
  });
  return {};
};
