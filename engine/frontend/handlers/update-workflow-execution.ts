/** UpdateWorkflowExecution: Temporal's request checks, then admission and the wait in history. */
import { randomUUID } from 'node:crypto';
import { EngineError } from '../../errors.js';
import { enums, type temporal } from '../../proto.js';
import { updateWorkflow } from '../../history/api/update-workflow.js';
import type { Frontend, Handler } from '../handler.js';
import {
  checkHeader,
  checkId,
  checkIdentity,
  checkLength,
  checkPayloads,
  requireField,
  requireNamespace,
} from '../validate.js';

const Stage = enums.UpdateWorkflowExecutionLifecycleStage;

export interface CheckedUpdate {
  workflowId: string;
  request: temporal.api.update.v1.IRequest;
  stage: number;
}

/** Temporal's prepareUpdateWorkflowRequest: the update's meta, input and name, and the stage to wait for. */
export function checkUpdateRequest(
  fe: Frontend,
  req: temporal.api.workflowservice.v1.IUpdateWorkflowExecutionRequest,
): CheckedUpdate {
  const workflowId = checkId(req.workflowExecution?.workflowId, 'WorkflowId');
  checkLength(req.workflowExecution?.runId, 'RunId');
  const request = requireField(req.request, 'Update request is not set on request.');
  const meta = requireField(request.meta, 'Update meta is not set on request.');
  checkLength(meta.updateId, 'UpdateId');
  const input = requireField(request.input, 'Update input is not set on request.');
  checkId(input.name, 'Update name');
  checkPayloads(input.args, fe.limits);
  checkHeader(input.header, fe.limits);
  const identity = checkIdentity(meta.identity);
  const stage = req.waitPolicy?.lifecycleStage || Stage.UPDATE_WORKFLOW_EXECUTION_LIFECYCLE_STAGE_ACCEPTED;
  if (stage === Stage.UPDATE_WORKFLOW_EXECUTION_LIFECYCLE_STAGE_ADMITTED) {
    throw new EngineError(
      'PERMISSION_DENIED',
      'UpdateWorkflowExecution issued asynchronously and waiting on update admitted is not supported.',
    );
  }
  // No update id: the server picks one (Temporal's).
  const updateId = meta.updateId || randomUUID();
  return { workflowId, request: { ...request, meta: { updateId, identity } }, stage };
}

export const updateWorkflowExecution: Handler<
  temporal.api.workflowservice.v1.IUpdateWorkflowExecutionRequest,
  temporal.api.workflowservice.v1.IUpdateWorkflowExecutionResponse
> = async (fe, req, call) => {
  const ns = await fe.namespaces.byNameOrThrow(requireNamespace(req.namespace));
  const { workflowId, request, stage } = checkUpdateRequest(fe, req);
  return updateWorkflow(fe.history, {
    namespaceId: ns.id,
    workflowId,
    runId: req.workflowExecution?.runId ?? '',
    firstExecutionRunId: req.firstExecutionRunId ?? '',
    request,
    stage,
    deadlineMs: call.deadlineMs,
    signal: call.signal,
  });
};
