import { enums, msFromDuration, type ICommand } from '../../proto.js';
import { startTimer as start } from '../state/timers.js';
import type { CommandHandler } from './types.js';

function attrs(c: ICommand) {
  return c.startTimerCommandAttributes ?? {};
}

export const startTimer: CommandHandler = {
  cause: enums.WorkflowTaskFailedCause.WORKFLOW_TASK_FAILED_CAUSE_BAD_START_TIMER_ATTRIBUTES,
  closes: false,
  validate(c, ms, seen) {
    const a = attrs(c);
    if (!a.timerId) return 'TimerId is not set on StartTimerCommand.';
    if (msFromDuration(a.startToFireTimeout) <= 0) return 'A valid StartToFireTimeout is not set on StartTimerCommand.';
    if (ms.timers.has(a.timerId) || seen.timerIds.has(a.timerId)) return `Timer with id ${a.timerId} already started.`;
    seen.timerIds.add(a.timerId);
    return undefined;
  },
  apply(c, ms, env) {
    const a = attrs(c);
    start(ms, a.timerId ?? '', msFromDuration(a.startToFireTimeout), env.workflowTaskCompletedEventId);
  },
};
