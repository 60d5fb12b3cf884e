/** UnpauseActivity: dispatch a paused activity's waiting attempt again (history/api/pause-activity.ts). */
import type { temporal } from '../../proto.js';
import { unpauseActivity as unpause } from '../../history/api/pause-activity.js';
import type { Handler } from '../handler.js';
import { checkId, checkLength, requireNamespace } from '../validate.js';
import { activityNamed } from './pause-activity.js';

export const unpauseActivity: Handler<
  temporal.api.workflowservice.v1.IUnpauseActivityRequest,
  temporal.api.workflowservice.v1.IUnpauseActivityResponse
> = async (fe, req) => {
  const ns = await fe.namespaces.byNameOrThrow(requireNamespace(req.namespace));
  const workflowId = checkId(req.execution?.workflowId, 'WorkflowId');
  await unpause(fe.history, {
    namespaceId: ns.id,
    workflowId,
    runId: checkLength(req.execution?.runId, 'RunId'),
    ...activityNamed(req, req.unpauseAll === true),
    resetHeartbeat: req.resetHeartbeat === true,
  });
  return {};
};
