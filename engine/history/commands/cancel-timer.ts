import { enums } from '../../proto.js';
import { cancelTimer as cancel } from '../state/timers.js';
import type { CommandHandler } from './types.js';

export const cancelTimer: CommandHandler = {
  cause: enums.WorkflowTaskFailedCause.WORKFLOW_TASK_FAILED_CAUSE_BAD_CANCEL_TIMER_ATTRIBUTES,
  closes: false,
  validate(c) {
    return c.cancelTimerCommandAttributes?.timerId ? undefined : 'TimerId is not set on CancelTimerCommand.';
  },
  apply(c, ms, env) {
    const timer = ms.timers.get(c.cancelTimerCommandAttributes?.timerId ?? '');
    // A timer that already fired has its TimerFired event buffered; cancelling it is a no-op (as in Temporal).
    if (timer) cancel(ms, timer, env.workflowTaskCompletedEventId, env.identity);
  },
};
