import { enums, type ICommand } from '../../proto.js';
import { normalizeActivityTimeouts, scheduleActivity } from '../state/activities.js';
import type { CommandHandler } from './types.js';

const Cause = enums.WorkflowTaskFailedCause;

function attrs(c: ICommand) {
  return c.scheduleActivityTaskCommandAttributes ?? {};
}

export const scheduleActivityTask: CommandHandler = {
  cause: Cause.WORKFLOW_TASK_FAILED_CAUSE_BAD_SCHEDULE_ACTIVITY_ATTRIBUTES,
  closes: false,
  validate(c, ms, seen) {
    const a = attrs(c);
    if (!a.activityId) return 'ActivityId is not set on ScheduleActivityTaskCommand.';
    if (!a.activityType?.name) return 'ActivityType is not set on ScheduleActivityTaskCommand.';
    if (seen.activityIds.has(a.activityId)) return `Activity with id ${a.activityId} already scheduled.`;
    for (const existing of ms.activities.values()) {
      if (existing.activityId === a.activityId) return `Activity with id ${a.activityId} already scheduled.`;
    }
    const t = normalizeActivityTimeouts(a, ms.info.workflowRunTimeoutMs);
    if (typeof t === 'string') return t;
    seen.activityIds.add(a.activityId);
    return undefined;
  },
  apply(c, ms, env) {
    const a = attrs(c);
    const t = normalizeActivityTimeouts(a, ms.info.workflowRunTimeoutMs);
    if (typeof t === 'string') throw new Error(t);
    scheduleActivity(ms, a, t, env.workflowTaskCompletedEventId, env.batchFirstEventId);
  },
};
