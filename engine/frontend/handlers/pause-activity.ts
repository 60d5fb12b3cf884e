/** PauseActivity: stop dispatching an activity's attempts until it is unpaused (history/api/pause-activity.ts). */
import { InvalidArgumentError } from '../../errors.js';
import type { temporal } from '../../proto.js';
import { pauseActivity as pause } from '../../history/api/pause-activity.js';
import type { Handler } from '../handler.js';
import { checkId, checkIdentity, checkLength, requireNamespace } from '../validate.js';

/** The activity a request names: by id or by type (Temporal's "Either Activity.Id or Activity.Type..."). */
export function activityNamed(req: { id?: string | null; type?: string | null }, all = false) {
  const activityId = checkLength(req.id, 'ActivityId');
  const activityType = checkLength(req.type, 'ActivityType');
  if (!activityId && !activityType && !all)
    throw new InvalidArgumentError('Either Activity.Id or Activity.Type should be set on request.');
  return { activityId, activityType, all: all && !activityId && !activityType };
}

export const pauseActivity: Handler<
  temporal.api.workflowservice.v1.IPauseActivityRequest,
  temporal.api.workflowservice.v1.IPauseActivityResponse
> = async (fe, req) => {
  const ns = await fe.namespaces.byNameOrThrow(requireNamespace(req.namespace));
  const workflowId = checkId(req.execution?.workflowId, 'WorkflowId');
  await pause(fe.history, {
    namespaceId: ns.id,
    workflowId,
    runId: checkLength(req.execution?.runId, 'RunId'),
    ...activityNamed(req),
    identity: checkIdentity(req.identity),
    reason: checkLength(req.reason, 'Reason'),
    requestId: checkLength(req.requestId, 'RequestId'),
  });
  return {};
};
