/**
 * ExecuteMultiOperation: Temporal supports exactly [Start, Update] (update-with-start). Each operation is checked as
 * its own RPC would be, plus the restrictions of the combination; any problem is reported per operation.
 */
import { EngineError, InvalidArgumentError, MultiOperationError } from '../../errors.js';
import { msFromDuration, type temporal } from '../../proto.js';
import { updateWithStart } from '../../history/api/update-with-start.js';
import type { Handler } from '../handler.js';
import { requireNamespace } from '../validate.js';
import { startParams } from './start-workflow-execution.js';
import { checkUpdateRequest, type CheckedUpdate } from './update-workflow-execution.js';
import type { StartParams } from '../../history/api/start-workflow.js';

type Request = temporal.api.workflowservice.v1.IExecuteMultiOperationRequest;

function asError(err: unknown): Error {
  return err instanceof Error ? err : new Error(String(err));
}

export const executeMultiOperation: Handler<
  Request,
  temporal.api.workflowservice.v1.IExecuteMultiOperationResponse
> = async (fe, req, call) => {
  const namespace = requireNamespace(req.namespace);
  const ops = req.operations ?? [];
  const startReq = ops[0]?.startWorkflow;
  const updateReq = ops[1]?.updateWorkflow;
  if (ops.length !== 2 || !startReq || !updateReq)
    throw new InvalidArgumentError('Operations have to be exactly [Start, Update].');
  await fe.namespaces.byNameOrThrow(namespace);

  const errors: (Error | undefined)[] = [undefined, undefined];
  let start: StartParams | undefined;
  let update: CheckedUpdate | undefined;
  try {
    if (startReq.namespace && startReq.namespace !== namespace)
      throw new InvalidArgumentError("Operation namespace did not match request's namespace.");
    if (startReq.cronSchedule) throw new InvalidArgumentError('CronSchedule is not allowed.');
    if (startReq.requestEagerExecution) throw new InvalidArgumentError('RequestEagerExecution is not supported.');
    if (msFromDuration(startReq.workflowStartDelay) > 0)
      throw new InvalidArgumentError('WorkflowStartDelay is not supported.');
    start = await startParams(fe, { ...startReq, namespace });
  } catch (err) {
    errors[0] = asError(err);
  }
  try {
    if (updateReq.namespace && updateReq.namespace !== namespace)
      throw new InvalidArgumentError("Operation namespace did not match request's namespace.");
    if (updateReq.firstExecutionRunId) throw new InvalidArgumentError('FirstExecutionRunId is not allowed.');
    if (updateReq.workflowExecution?.runId) throw new InvalidArgumentError('RunId is not allowed.');
    update = checkUpdateRequest(fe, updateReq);
    if (start && update.workflowId !== start.workflowId)
      throw new InvalidArgumentError('WorkflowId is not consistent with previous operation(s).');
  } catch (err) {
    errors[1] = asError(err);
  }
  if (errors[0] || errors[1] || !start || !update) {
    // The operation without an error of its own is reported as aborted.
    throw new MultiOperationError(errors.map((e) => e ?? null));
  }
  try {
    return await updateWithStart(fe.history, {
      start,
      request: update.request,
      stage: update.stage,
      deadlineMs: call.deadlineMs,
      signal: call.signal,
    });
  } catch (err) {
    if (err instanceof MultiOperationError || !(err instanceof EngineError)) throw err;
    throw new MultiOperationError([null, err]);
  }
};
