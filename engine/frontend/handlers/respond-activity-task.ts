/** Activity outcomes and heartbeats, by task token and by id. */
import { InvalidArgumentError } from '../../errors.js';
import type { temporal } from '../../proto.js';
import { resolveRun } from '../../history/api/resolve.js';
import {
  recordActivityHeartbeat,
  respondActivityCanceled,
  respondActivityCompleted,
  respondActivityFailed,
  type ActivityRef,
} from '../../history/api/respond-activity.js';
import { decodeTaskToken } from '../../history/task-token.js';
import type { Frontend, Handler } from '../handler.js';
import { checkDurations, checkId, checkIdentity, checkPayloads, requireNamespace } from '../validate.js';

async function byToken(fe: Frontend, bytes: Uint8Array | null | undefined): Promise<ActivityRef> {
  const t = decodeTaskToken(bytes);
  if (t.k !== 'a') throw new InvalidArgumentError('Task token is not an activity task token.');
  await fe.namespaces.byIdOrThrow(t.ns);
  return { namespaceId: t.ns, workflowId: t.wid, runId: t.rid, scheduledEventId: t.sid, attempt: t.a };
}

async function byId(
  fe: Frontend,
  req: { namespace?: string | null; workflowId?: string | null; runId?: string | null; activityId?: string | null },
): Promise<ActivityRef> {
  const ns = await fe.namespaces.byNameOrThrow(requireNamespace(req.namespace));
  const workflowId = checkId(req.workflowId, 'WorkflowId');
  const activityId = checkId(req.activityId, 'ActivityId');
  const { key } = await resolveRun(fe.history, ns.id, workflowId, req.runId);
  return { namespaceId: ns.id, workflowId, runId: key.runId, activityId };
}

export const respondActivityTaskCompleted: Handler<
  temporal.api.workflowservice.v1.IRespondActivityTaskCompletedRequest,
  temporal.api.workflowservice.v1.IRespondActivityTaskCompletedResponse
> = async (fe, req) => {
  checkPayloads(req.result, fe.limits);
  await respondActivityCompleted(fe.history, await byToken(fe, req.taskToken), req.result, checkIdentity(req.identity));
  return {};
};

export const respondActivityTaskCompletedById: Handler<
  temporal.api.workflowservice.v1.IRespondActivityTaskCompletedByIdRequest,
  temporal.api.workflowservice.v1.IRespondActivityTaskCompletedByIdResponse
> = async (fe, req) => {
  checkPayloads(req.result, fe.limits);
  await respondActivityCompleted(fe.history, await byId(fe, req), req.result, checkIdentity(req.identity));
  return {};
};

export const respondActivityTaskFailed: Handler<
  temporal.api.workflowservice.v1.IRespondActivityTaskFailedRequest,
  temporal.api.workflowservice.v1.IRespondActivityTaskFailedResponse
> = async (fe, req) => {
  // The failure's nextRetryDelay decides the retry: it must be a valid duration.
  checkDurations('temporal.api.workflowservice.v1.RespondActivityTaskFailedRequest', req);
  await respondActivityFailed(
    fe.history,
    await byToken(fe, req.taskToken),
    req.failure,
    checkIdentity(req.identity),
    req.lastHeartbeatDetails,
  );
  return {};
};

export const respondActivityTaskFailedById: Handler<
  temporal.api.workflowservice.v1.IRespondActivityTaskFailedByIdRequest,
  temporal.api.workflowservice.v1.IRespondActivityTaskFailedByIdResponse
> = async (fe, req) => {
  checkDurations('temporal.api.workflowservice.v1.RespondActivityTaskFailedByIdRequest', req);
  await respondActivityFailed(
    fe.history,
    await byId(fe, req),
    req.failure,
    checkIdentity(req.identity),
    req.lastHeartbeatDetails,
  );
  return {};
};

export const respondActivityTaskCanceled: Handler<
  temporal.api.workflowservice.v1.IRespondActivityTaskCanceledRequest,
  temporal.api.workflowservice.v1.IRespondActivityTaskCanceledResponse
> = async (fe, req) => {
  await respondActivityCanceled(fe.history, await byToken(fe, req.taskToken), req.details, checkIdentity(req.identity));
  return {};
};

export const respondActivityTaskCanceledById: Handler<
  temporal.api.workflowservice.v1.IRespondActivityTaskCanceledByIdRequest,
  temporal.api.workflowservice.v1.IRespondActivityTaskCanceledByIdResponse
> = async (fe, req) => {
  await respondActivityCanceled(fe.history, await byId(fe, req), req.details, checkIdentity(req.identity));
  return {};
};

export const recordActivityTaskHeartbeat: Handler<
  temporal.api.workflowservice.v1.IRecordActivityTaskHeartbeatRequest,
  temporal.api.workflowservice.v1.IRecordActivityTaskHeartbeatResponse
> = async (fe, req) => {
  checkPayloads(req.details, fe.limits);
  return recordActivityHeartbeat(fe.history, await byToken(fe, req.taskToken), req.details);
};

export const recordActivityTaskHeartbeatById: Handler<
  temporal.api.workflowservice.v1.IRecordActivityTaskHeartbeatByIdRequest,
  temporal.api.workflowservice.v1.IRecordActivityTaskHeartbeatByIdResponse
> = async (fe, req) => {
  checkPayloads(req.details, fe.limits);
  return recordActivityHeartbeat(fe.history, await byId(fe, req), req.details);
};
