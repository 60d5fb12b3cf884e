/**
 * The per-workflow pending limits as the commands of one completion meet them, in order (Temporal's
 * workflowSizeChecker): a command that would add a pending activity, timer, child, signal or cancel request once the
 * run holds the limit fails the workflow task with the limit's cause (engine/limits.ts), and nothing of the
 * completion is applied.
 */
import { pendingLimitProblem, type EngineLimits, type PendingKind } from '../../limits.js';
import { enums, type ICommand } from '../../proto.js';
import type { MutableState } from '../mutable-state.js';

const T = enums.CommandType;

/** The pending kind each command adds to. */
const ADDS: ReadonlyMap<number, PendingKind> = new Map<number, PendingKind>([
  [T.COMMAND_TYPE_SCHEDULE_ACTIVITY_TASK, 'activities'],
  [T.COMMAND_TYPE_START_TIMER, 'timers'],
  [T.COMMAND_TYPE_START_CHILD_WORKFLOW_EXECUTION, 'childExecutions'],
  [T.COMMAND_TYPE_SIGNAL_EXTERNAL_WORKFLOW_EXECUTION, 'signals'],
  [T.COMMAND_TYPE_REQUEST_CANCEL_EXTERNAL_WORKFLOW_EXECUTION, 'cancelRequests'],
]);

/** Counts of one completion's pending items so far: the run's own, plus what earlier commands added. */
export class PendingCounts {
  private readonly counts: Record<PendingKind, number>;

  constructor(
    ms: MutableState,
    private readonly limits: EngineLimits,
  ) {
    this.counts = {
      activities: ms.activities.size,
      timers: ms.timers.size,
      childExecutions: Object.keys(ms.info.children).length,
      signals: Object.keys(ms.info.signalsOut).length,
      cancelRequests: Object.keys(ms.info.cancelsOut).length,
    };
  }

  /** The problem with `command` (the cause and message the task fails with), or undefined, counting it if it adds. */
  check(command: ICommand, ms: MutableState): { cause: number; message: string } | undefined {
    const type = command.commandType ?? 0;
    if (type === T.COMMAND_TYPE_CANCEL_TIMER) {
      const id = command.cancelTimerCommandAttributes?.timerId;
      if (id && ms.timers.has(id)) this.counts.timers -= 1;
      return undefined;
    }
    const kind = ADDS.get(type);
    if (!kind) return undefined;
    const problem = pendingLimitProblem(kind, this.counts[kind], this.limits);
    if (!problem) this.counts[kind] += 1;
    return problem;
  }
}
