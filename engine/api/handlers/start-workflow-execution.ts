import { InvalidArgumentError } from '../../errors.js';
import type { temporal } from '../../proto.js';
import { startWorkflow } from '../../history/api/start-workflow.js';
import type { Frontend, Handler } from '../handler.js';
import { checkId, checkPayloads, nonNegativeDuration, requireField, requireNamespace } from '../validate.js';
import type { StartParams } from '../../history/api/start-workflow.js';

type StartRequest = temporal.api.workflowservice.v1.IStartWorkflowExecutionRequest;

/** Validation and mapping shared with SignalWithStartWorkflowExecution. */
export async function startParams(fe: Frontend, req: StartRequest): Promise<StartParams> {
  const namespace = await fe.namespaces.byNameOrThrow(requireNamespace(req.namespace));
  const workflowId = checkId(req.workflowId, 'WorkflowId');
  const workflowType = requireField(req.workflowType?.name, 'WorkflowType is not set on request.');
  const taskQueue = requireField(req.taskQueue?.name, 'TaskQueue is not set on request.');
  const requestId = requireField(req.requestId, 'Missing request ID.');
  if (req.cronSchedule)
    throw new InvalidArgumentError('CronSchedule is not supported by the stampede reference engine.');
  checkPayloads(req.input, fe.limits.blobSizeLimitBytes);
  return {
    namespace,
    workflowId,
    workflowType,
    taskQueue,
    input: req.input,
    workflowRunTimeoutMs: nonNegativeDuration(req.workflowRunTimeout, 'WorkflowRunTimeout'),
    workflowExecutionTimeoutMs: nonNegativeDuration(req.workflowExecutionTimeout, 'WorkflowExecutionTimeout'),
    workflowTaskTimeoutMs: nonNegativeDuration(req.workflowTaskTimeout, 'WorkflowTaskTimeout'),
    identity: req.identity ?? '',
    requestId,
    reusePolicy: req.workflowIdReusePolicy ?? 0,
    conflictPolicy: req.workflowIdConflictPolicy ?? 0,
    retryPolicy: req.retryPolicy,
    memo: req.memo,
    searchAttributes: req.searchAttributes,
    header: req.header,
  };
}

export const startWorkflowExecution: Handler<
  StartRequest,
  temporal.api.workflowservice.v1.IStartWorkflowExecutionResponse
> = async (fe, req) => {
  const result = await startWorkflow(fe.history, await startParams(fe, req));
  return { runId: result.runId, started: result.started, status: result.status };
};
