/** UpdateActivityOptions: change a pending activity's timeouts, retry policy or task queue (by update mask). */
import { InvalidArgumentError } from '../../errors.js';
import type { temporal } from '../../proto.js';
import { updateActivityOptions as update } from '../../history/api/update-activity-options.js';
import type { Handler } from '../handler.js';
import { checkDurations, checkId, checkLength, requireField, requireNamespace } from '../validate.js';
import { activityNamed } from './pause-activity.js';

export const updateActivityOptions: Handler<
  temporal.api.workflowservice.v1.IUpdateActivityOptionsRequest,
  temporal.api.workflowservice.v1.IUpdateActivityOptionsResponse
> = async (fe, req) => {
  const ns = await fe.namespaces.byNameOrThrow(requireNamespace(req.namespace));
  const workflowId = checkId(req.execution?.workflowId, 'WorkflowId');
  if (req.restoreOriginal)
    throw new InvalidArgumentError('restoreOriginal is not supported by the stampede reference engine.');
  const options = requireField(req.activityOptions, 'ActivityOptions are not provided');
  const paths = req.updateMask?.paths ?? [];
  if (paths.length === 0) throw new InvalidArgumentError('UpdateMask is not provided');
  checkDurations('temporal.api.workflowservice.v1.UpdateActivityOptionsRequest', req);
  return update(fe.history, {
    namespaceId: ns.id,
    workflowId,
    runId: checkLength(req.execution?.runId, 'RunId'),
    ...activityNamed(req, req.matchAll === true),
    options,
    paths,
  });
};
