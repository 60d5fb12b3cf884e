import type { temporal } from '../../proto.js';
import { describeWorkflow } from '../../history/api/describe-workflow.js';
import { typedForOutput } from '../../visibility/search-attributes.js';
import type { Handler } from '../handler.js';
import { checkId, requireNamespace } from '../validate.js';

export const describeWorkflowExecution: Handler<
  temporal.api.workflowservice.v1.IDescribeWorkflowExecutionRequest,
  temporal.api.workflowservice.v1.IDescribeWorkflowExecutionResponse
> = async (fe, req) => {
  const ns = await fe.namespaces.byNameOrThrow(requireNamespace(req.namespace));
  const response = await describeWorkflow(
    fe.history,
    ns.id,
    checkId(req.execution?.workflowId, 'WorkflowId'),
    req.execution?.runId ?? '',
  );
  // Search attributes go out typed (`metadata.type`), as Temporal's frontend sends them.
  const sa = response.workflowExecutionInfo?.searchAttributes;
  if (sa?.indexedFields) sa.indexedFields = typedForOutput(sa.indexedFields, ns.customSearchAttributes ?? {});
  return response;
};
