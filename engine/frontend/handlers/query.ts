/** QueryWorkflow and RespondQueryTaskCompleted. */
import { InvalidArgumentError } from '../../errors.js';
import type { temporal } from '../../proto.js';
import { queryWorkflow as query, respondQueryTaskCompleted as respond } from '../../history/api/query-workflow.js';
import { decodeTaskToken } from '../../history/task-token.js';
import type { Handler } from '../handler.js';
import { checkHeader, checkId, checkPayloads, requireField, requireNamespace } from '../validate.js';

export const queryWorkflow: Handler<
  temporal.api.workflowservice.v1.IQueryWorkflowRequest,
  temporal.api.workflowservice.v1.IQueryWorkflowResponse
> = async (fe, req, call) => {
  const ns = await fe.namespaces.byNameOrThrow(requireNamespace(req.namespace));
  const workflowId = checkId(req.execution?.workflowId, 'WorkflowId');
  const q = requireField(req.query, 'Query is not set on request.');
  checkId(q.queryType, 'QueryType');
  checkPayloads(q.queryArgs, fe.limits);
  checkHeader(q.header, fe.limits);
  return query(fe.history, {
    namespaceId: ns.id,
    workflowId,
    runId: req.execution?.runId ?? '',
    query: q,
    rejectCondition: req.queryRejectCondition ?? 0,
    deadlineMs: call.deadlineMs,
    signal: call.signal,
  });
};

export const respondQueryTaskCompleted: Handler<
  temporal.api.workflowservice.v1.IRespondQueryTaskCompletedRequest,
  temporal.api.workflowservice.v1.IRespondQueryTaskCompletedResponse
> = async (fe, req) => {
  const token = decodeTaskToken(req.taskToken);
  if (token.k !== 'q') throw new InvalidArgumentError('Task token is not a query task token.');
  await fe.namespaces.byIdOrThrow(token.ns);
  respond(fe.history, token.qid, req.completedType ?? 0, req.queryResult, req.errorMessage ?? '', req.failure);
  return {};
};
