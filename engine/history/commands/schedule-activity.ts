import { randomUUID } from 'node:crypto';
import { enums, toNumber, type ICommand } from '../../proto.js';
import { normalizeActivityTimeouts, scheduleActivity, startActivity } from '../state/activities.js';
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
    const eager = env.eager;
    const eagerly =
      eager !== undefined &&
      a.requestEagerExecution === true &&
      eager.remaining > 0 &&
      (a.taskQueue?.name || ms.info.taskQueue) === eager.taskQueue;
    const info = scheduleActivity(ms, a, t, env.workflowTaskCompletedEventId, env.batchFirstEventId, {
      eager: eagerly,
    });
    if (!eagerly) return;
    startActivity(ms, info.scheduledEventId, info.attempt, randomUUID(), env.identity);
    const event = ms.newEvents.find((e) => toNumber(e.eventId) === info.scheduledEventId);
    if (!event) throw new Error(`ActivityTaskScheduled event ${info.scheduledEventId} not in this transaction`);
    eager.remaining -= 1;
    eager.started.push({ scheduledEventId: info.scheduledEventId, event });
  },
};
