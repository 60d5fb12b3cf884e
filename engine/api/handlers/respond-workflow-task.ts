/** RespondWorkflowTaskCompleted and RespondWorkflowTaskFailed. */
import { InvalidArgumentError } from '../../errors.js';
import type { temporal } from '../../proto.js';
import {
  respondWorkflowTaskCompleted as completed,
  respondWorkflowTaskFailed as failed,
} from '../../history/api/respond-workflow-task.js';
import { decodeTaskToken, type WorkflowTaskToken } from '../../history/task-token.js';
import type { Frontend, Handler } from '../handler.js';
import { checkPayloads } from '../validate.js';

function workflowToken(bytes: Uint8Array | null | undefined): WorkflowTaskToken {
  const token = decodeTaskToken(bytes);
  if (token.k !== 'w') throw new InvalidArgumentError('Task token is not a workflow task token.');
  return token;
}

async function checkNamespace(fe: Frontend, token: WorkflowTaskToken): Promise<void> {
  await fe.namespaces.byIdOrThrow(token.ns);
}

export const respondWorkflowTaskCompleted: Handler<
  temporal.api.workflowservice.v1.IRespondWorkflowTaskCompletedRequest,
  temporal.api.workflowservice.v1.IRespondWorkflowTaskCompletedResponse
> = async (fe, req) => {
  const token = workflowToken(req.taskToken);
  await checkNamespace(fe, token);
  for (const c of req.commands ?? []) {
    checkPayloads(c.scheduleActivityTaskCommandAttributes?.input, fe.limits.blobSizeLimitBytes);
    checkPayloads(c.completeWorkflowExecutionCommandAttributes?.result, fe.limits.blobSizeLimitBytes);
    checkPayloads(c.continueAsNewWorkflowExecutionCommandAttributes?.input, fe.limits.blobSizeLimitBytes);
  }
  return completed(fe.history, token, req);
};

export const respondWorkflowTaskFailed: Handler<
  temporal.api.workflowservice.v1.IRespondWorkflowTaskFailedRequest,
  temporal.api.workflowservice.v1.IRespondWorkflowTaskFailedResponse
> = async (fe, req) => {
  const token = workflowToken(req.taskToken);
  await checkNamespace(fe, token);
  await failed(fe.history, token, req.cause ?? 0, req.failure, req.identity ?? '');
  return {};
};
