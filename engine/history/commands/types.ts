import type { ICommand } from '../../proto.js';
import type { MutableState } from '../mutable-state.js';

export interface CommandEnv {
  /** Event id of the WorkflowTaskCompleted event the commands belong to. */
  workflowTaskCompletedEventId: number;
  identity: string;
  /** Node id of the history batch being written (for activities' scheduledEventBatchId). */
  batchFirstEventId: number;
  /** Set when a command produced events the worker has not seen yet (a new workflow task is needed). */
  needsWorkflowTask: boolean;
}

export interface CommandHandler {
  /** WorkflowTaskFailedCause used when validation fails. */
  cause: number;
  /** Whether the command closes the run (must be last; refused while new events wait). */
  closes: boolean;
  /** A problem with the command, described for the worker, or undefined when valid. */
  validate(command: ICommand, ms: MutableState, seen: ValidationState): string | undefined;
  apply(command: ICommand, ms: MutableState, env: CommandEnv): void;
}

/** Identifiers introduced by earlier commands of the same completion (duplicates are refused). */
export interface ValidationState {
  activityIds: Set<string>;
  timerIds: Set<string>;
}
