/** PollWorkflowExecutionUpdate: the stage an update reached, waiting for the one asked for. */
import type { temporal } from '../../proto.js';
import { pollWorkflowExecutionUpdate as poll } from '../../history/api/update-workflow.js';
import type { Handler } from '../handler.js';
import { checkId, checkLength, requireField, requireNamespace } from '../validate.js';

export const pollWorkflowExecutionUpdate: Handler<
  temporal.api.workflowservice.v1.IPollWorkflowExecutionUpdateRequest,
  temporal.api.workflowservice.v1.IPollWorkflowExecutionUpdateResponse
> = async (fe, req, call) => {
  const ns = await fe.namespaces.byNameOrThrow(requireNamespace(req.namespace));
  const ref = requireField(req.updateRef, 'UpdateRef is not set on request.');
  const workflowId = checkId(ref.workflowExecution?.workflowId, 'WorkflowId');
  const updateId = checkId(ref.updateId, 'UpdateId');
  // No wait policy: the stage reached now (UNSPECIFIED), as Temporal answers.
  return poll(fe.history, {
    namespaceId: ns.id,
    workflowId,
    runId: checkLength(ref.workflowExecution?.runId, 'RunId'),
    updateId,
    stage: req.waitPolicy?.lifecycleStage ?? 0,
    deadlineMs: call.deadlineMs,
    signal: call.signal,
  });
};
