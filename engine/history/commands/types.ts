import type { ICommand, IHistoryEvent, temporal } from '../../proto.js';
import type { MutableState } from '../mutable-state.js';

export interface CommandEnv {
  /** Name of the run's namespace (events name it beside its id). */
  namespace: string;
  /** Event id of the WorkflowTaskCompleted event the commands belong to. */
  workflowTaskCompletedEventId: number;
  identity: string;
  /** Node id of the history batch being written (for activities' scheduledEventBatchId). */
  batchFirstEventId: number;
  /** Set when a command produced events the worker has not seen yet (a new workflow task is needed). */
  needsWorkflowTask: boolean;
  /** The run's start event, read beforehand when closing it may start the next run (retry policy, cron). */
  startEvent?: IHistoryEvent;
  /** Eager activity dispatch for this completion; undefined when none may start eagerly. */
  eager?: EagerActivities;
}

/**
 * Activities that ask for eager execution start in the completion itself and go back in its response
 * (Temporal's `activity_tasks`), bypassing matching: only on the queue the completing worker polls, and at most
 * `remaining` of them; the others are dispatched through matching as usual.
 */
export interface EagerActivities {
  taskQueue: string;
  remaining: number;
  /** Those started eagerly, in command order, with their ActivityTaskScheduled events. */
  started: { scheduledEventId: number; event: IHistoryEvent }[];
}

export interface CommandHandler {
  /** WorkflowTaskFailedCause used when validation fails. */
  cause: number;
  /** Whether the command closes the run (must be last; refused while new events wait). */
  closes: boolean;
  /** A problem with the command, described for the worker, or undefined when valid. */
  validate(command: ICommand, ms: MutableState, seen: ValidationState, namespace: string): string | undefined;
  apply(command: ICommand, ms: MutableState, env: CommandEnv): void;
}

/** Identifiers introduced by earlier commands of the same completion (duplicates are refused). */
export interface ValidationState {
  activityIds: Set<string>;
  timerIds: Set<string>;
  /** Workflow ids of children started by this completion (a RequestCancelExternal of one of them is refused). */
  childWorkflowIds: Set<string>;
  /** The namespace's check of search attributes a command sets (unknown names, wrong types), when it has one. */
  searchAttributesProblem?: (fields: Readonly<Record<string, temporal.api.common.v1.IPayload>>) => string | undefined;
}
