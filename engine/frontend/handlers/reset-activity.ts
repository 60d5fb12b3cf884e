/** ResetActivity: start an activity over at attempt 1 (history/api/pause-activity.ts). */
import type { temporal } from '../../proto.js';
import { resetActivity as reset } from '../../history/api/pause-activity.js';
import type { Handler } from '../handler.js';
import { checkId, checkLength, requireNamespace } from '../validate.js';
import { activityNamed } from './pause-activity.js';

export const resetActivity: Handler<
  temporal.api.workflowservice.v1.IResetActivityRequest,
  temporal.api.workflowservice.v1.IResetActivityResponse
> = async (fe, req) => {
  const ns = await fe.namespaces.byNameOrThrow(requireNamespace(req.namespace));
  const workflowId = checkId(req.execution?.workflowId, 'WorkflowId');
  await reset(fe.history, {
    namespaceId: ns.id,
    workflowId,
    runId: checkLength(req.execution?.runId, 'RunId'),
    ...activityNamed(req, req.matchAll === true),
    resetHeartbeat: req.resetHeartbeat === true,
    keepPaused: req.keepPaused === true,
  });
  return {};
};
