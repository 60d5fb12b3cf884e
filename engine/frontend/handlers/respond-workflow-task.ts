/** RespondWorkflowTaskCompleted and RespondWorkflowTaskFailed. */
import { InvalidArgumentError } from '../../errors.js';
import type { temporal } from '../../proto.js';
import {
  respondWorkflowTaskCompleted as completed,
  respondWorkflowTaskFailed as failed,
} from '../../history/api/respond-workflow-task.js';
import { decodeTaskToken, type WorkflowTaskToken } from '../../history/task-token.js';
import { searchAttributesProblem } from '../../visibility/validate.js';
import { withTypedHistory } from '../../visibility/history-search-attributes.js';
import type { Frontend, Handler } from '../handler.js';
import {
  checkDurations,
  checkHeader,
  checkIdentity,
  checkLength,
  checkMemo,
  checkPayloads,
  checkPayloadsMap,
  checkSearchAttributes,
} from '../validate.js';

function workflowToken(bytes: Uint8Array | null | undefined): WorkflowTaskToken {
  const token = decodeTaskToken(bytes);
  if (token.k !== 'w') throw new InvalidArgumentError('Task token is not a workflow task token.');
  return token;
}

/**
 * The namespace's custom search attributes for checking upserts: the cached ones, or the store's when an upsert
 * names one the cache does not know (another engine may have added it since).
 */
async function upsertedAttributeTypes(
  fe: Frontend,
  token: WorkflowTaskToken,
  namespaceName: string,
  req: temporal.api.workflowservice.v1.IRespondWorkflowTaskCompletedRequest,
): Promise<Readonly<Record<string, number>>> {
  const cached = (await fe.namespaces.byIdOrThrow(token.ns)).customSearchAttributes ?? {};
  const stale = (req.commands ?? []).some((c) => {
    const fields = c.upsertWorkflowSearchAttributesCommandAttributes?.searchAttributes?.indexedFields;
    return fields && searchAttributesProblem(fields, cached, namespaceName)?.includes('has no mapping');
  });
  return stale ? fe.namespaces.customSearchAttributes(namespaceName) : cached;
}

async function checkNamespace(fe: Frontend, token: WorkflowTaskToken): Promise<string> {
  return (await fe.namespaces.byIdOrThrow(token.ns)).name;
}

/**
 * The limits of validate.ts on what the commands carry: payloads and headers to the blob limit, memos and search
 * attributes to theirs, names to `limit.maxIDLength`. Whether a command makes sense (ids set, unique, timeouts
 * consistent) is history's to judge: a bad command fails the workflow task there, as in Temporal. A request over a
 * limit is refused here and the task stays as it was (the worker may retry it, or it times out).
 */
function checkCommands(fe: Frontend, req: temporal.api.workflowservice.v1.IRespondWorkflowTaskCompletedRequest): void {
  const blob = fe.limits;
  for (const c of req.commands ?? []) {
    const activity = c.scheduleActivityTaskCommandAttributes;
    if (activity) {
      checkLength(activity.activityId, 'ActivityId');
      checkLength(activity.activityType?.name, 'ActivityType');
      checkLength(activity.taskQueue?.name, 'TaskQueue');
      checkPayloads(activity.input, blob);
      checkHeader(activity.header, blob);
    }
    checkLength(c.startTimerCommandAttributes?.timerId, 'TimerId');
    checkPayloads(c.completeWorkflowExecutionCommandAttributes?.result, blob);
    checkPayloads(c.cancelWorkflowExecutionCommandAttributes?.details, blob);
    const can = c.continueAsNewWorkflowExecutionCommandAttributes;
    if (can) {
      checkLength(can.workflowType?.name, 'WorkflowType');
      checkLength(can.taskQueue?.name, 'TaskQueue');
      checkPayloads(can.input, blob);
      checkHeader(can.header, blob);
      checkMemo(can.memo);
      checkSearchAttributes(can.searchAttributes);
    }
    const marker = c.recordMarkerCommandAttributes;
    if (marker) {
      checkLength(marker.markerName, 'MarkerName');
      checkPayloadsMap(marker.details, blob);
      checkHeader(marker.header, blob);
    }
    checkSearchAttributes(c.upsertWorkflowSearchAttributesCommandAttributes?.searchAttributes);
    checkMemo(c.modifyWorkflowPropertiesCommandAttributes?.upsertedMemo);
  }
  checkLength(req.stickyAttributes?.workerTaskQueue?.name, 'StickyTaskQueue');
  // Every duration, in the commands (timeouts, timers, retry policies) and the sticky attributes.
  checkDurations('temporal.api.workflowservice.v1.RespondWorkflowTaskCompletedRequest', req);
}

export const respondWorkflowTaskCompleted: Handler<
  temporal.api.workflowservice.v1.IRespondWorkflowTaskCompletedRequest,
  temporal.api.workflowservice.v1.IRespondWorkflowTaskCompletedResponse
> = async (fe, req) => {
  const token = workflowToken(req.taskToken);
  const namespaceName = await checkNamespace(fe, token);
  checkIdentity(req.identity);
  checkCommands(fe, req);
  const custom = await upsertedAttributeTypes(fe, token, namespaceName, req);
  const response = await completed(fe.history, token, req, namespaceName, (fields) =>
    searchAttributesProblem(fields, custom, namespaceName),
  );
  // A workflow task handed back at once carries history like a polled one: search attributes typed.
  const task = response.workflowTask;
  return task ? { ...response, workflowTask: withTypedHistory(task, custom) } : response;
};

export const respondWorkflowTaskFailed: Handler<
  temporal.api.workflowservice.v1.IRespondWorkflowTaskFailedRequest,
  temporal.api.workflowservice.v1.IRespondWorkflowTaskFailedResponse
> = async (fe, req) => {
  const token = workflowToken(req.taskToken);
  await checkNamespace(fe, token);
  await failed(fe.history, token, req.cause ?? 0, req.failure, checkIdentity(req.identity));
  return {};
};
