import { InvalidArgumentError } from '../../errors.js';
import { msFromDuration, type temporal } from '../../proto.js';
import { parseCron } from '../../common/cron.js';
import { eagerWorkflowTaskResponse, startWorkflow } from '../../history/api/start-workflow.js';
import { withTypedHistory } from '../../visibility/history-search-attributes.js';
import type { Frontend, Handler } from '../handler.js';
import { checkSearchAttributeMapping } from '../search-attribute-check.js';
import {
  checkConflictPolicy,
  checkDuration,
  checkDurations,
  checkHeader,
  checkId,
  checkIdentity,
  checkMemo,
  checkPayloads,
  checkReusePolicy,
  checkSearchAttributes,
  checkTaskQueue,
  requireField,
  requireNamespace,
} from '../validate.js';
import type { StartParams } from '../../history/api/start-workflow.js';

type StartRequest = temporal.api.workflowservice.v1.IStartWorkflowExecutionRequest;

/**
 * Validation and mapping shared with SignalWithStartWorkflowExecution (`requestType` names the protobuf type of
 * `req`, for the duration check). Every length and size limit of validate.ts applies: ids, type and queue names,
 * request id and identity to `limit.maxIDLength`; input and header to the blob limit; memo and search
 * attributes to theirs.
 */
export async function startParams(
  fe: Frontend,
  req: StartRequest,
  requestType = 'temporal.api.workflowservice.v1.StartWorkflowExecutionRequest',
): Promise<StartParams> {
  const namespace = await fe.namespaces.byNameOrThrow(requireNamespace(req.namespace));
  const workflowId = checkId(req.workflowId, 'WorkflowId');
  const workflowType = checkId(req.workflowType?.name, 'WorkflowType');
  const taskQueue = checkTaskQueue(req.taskQueue).name;
  const requestId = checkId(requireField(req.requestId, 'Missing request ID.'), 'RequestId');
  const identity = checkIdentity(req.identity);
  const startDelayMs = msFromDuration(req.workflowStartDelay);
  if (req.cronSchedule) {
    if (startDelayMs > 0)
      throw new InvalidArgumentError('CronSchedule and WorkflowStartDelay may not be used together.');
    if (typeof parseCron(req.cronSchedule) === 'string') throw new InvalidArgumentError('invalid CronSchedule.');
  }
  const workflowRunTimeoutMs = checkDuration(req.workflowRunTimeout, 'WorkflowRunTimeout');
  const workflowExecutionTimeoutMs = checkDuration(req.workflowExecutionTimeout, 'WorkflowExecutionTimeout');
  const workflowTaskTimeoutMs = checkDuration(req.workflowTaskTimeout, 'WorkflowTaskTimeout');
  checkDurations(requestType, req); // the rest: retry policy intervals, start delay
  const reusePolicy = checkReusePolicy(req.workflowIdReusePolicy);
  const conflictPolicy = checkConflictPolicy(req.workflowIdConflictPolicy);
  checkPayloads(req.input, fe.limits);
  checkHeader(req.header, fe.limits);
  checkMemo(req.memo);
  checkSearchAttributes(req.searchAttributes);
  await checkSearchAttributeMapping(fe, namespace, req.searchAttributes);
  return {
    namespace,
    workflowId,
    workflowType,
    taskQueue,
    input: req.input,
    workflowRunTimeoutMs,
    workflowExecutionTimeoutMs,
    workflowTaskTimeoutMs,
    identity,
    requestId,
    reusePolicy,
    conflictPolicy,
    retryPolicy: req.retryPolicy,
    memo: req.memo,
    searchAttributes: req.searchAttributes,
    header: req.header,
    ...(req.cronSchedule ? { cronSchedule: req.cronSchedule } : {}),
    ...(startDelayMs > 0 ? { startDelayMs } : {}),
    ...(req.userMetadata ? { userMetadata: req.userMetadata } : {}),
  };
}

export const startWorkflowExecution: Handler<
  StartRequest,
  temporal.api.workflowservice.v1.IStartWorkflowExecutionResponse
> = async (fe, req) => {
  const params = await startParams(fe, req);
  // Temporal declines eager start when the first workflow task is backed off — a start delay, or a cron schedule
  // (the first run waits for its first firing); the caller's worker then gets the task by polling.
  if (req.requestEagerExecution && msFromDuration(req.workflowStartDelay) === 0 && !req.cronSchedule)
    params.eager = true;
  const result = await startWorkflow(fe.history, params);
  const response = { runId: result.runId, started: result.started, status: result.status };
  if (!result.eagerTask) return response;
  const custom = (await fe.namespaces.byNameOrThrow(requireNamespace(req.namespace))).customSearchAttributes ?? {};
  const task = await eagerWorkflowTaskResponse(fe.history, result.eagerTask);
  return { ...response, eagerWorkflowTask: withTypedHistory(task, custom) };
};
