import { enums, toNumber, type ICommand } from '../../proto.js';
import { requestCancelActivity } from '../state/activities.js';
import type { CommandHandler } from './types.js';

function scheduledEventId(c: ICommand): number {
  return toNumber(c.requestCancelActivityTaskCommandAttributes?.scheduledEventId);
}

export const requestCancelActivityTask: CommandHandler = {
  cause: enums.WorkflowTaskFailedCause.WORKFLOW_TASK_FAILED_CAUSE_BAD_REQUEST_CANCEL_ACTIVITY_ATTRIBUTES,
  closes: false,
  validate(c) {
    return scheduledEventId(c) > 0 ? undefined : 'ScheduledEventId is not set on RequestCancelActivityTaskCommand.';
  },
  apply(c, ms, env) {
    const a = ms.activities.get(scheduledEventId(c));
    // Already finished: its outcome event is in history or buffered; nothing to cancel (Temporal ignores it too).
    if (!a || a.cancelRequested) return;
    requestCancelActivity(ms, a, env.workflowTaskCompletedEventId);
    if (!ms.activities.has(a.scheduledEventId)) env.needsWorkflowTask = true;
  },
};
