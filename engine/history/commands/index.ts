/** The command table: every command type the engine accepts, and a clear refusal for the rest. */
import { enums } from '../../proto.js';
import { cancelTimer } from './cancel-timer.js';
import {
  cancelWorkflowExecution,
  completeWorkflowExecution,
  continueAsNewWorkflowExecution,
  failWorkflowExecution,
} from './close-commands.js';
import { requestCancelExternalWorkflowExecution, signalExternalWorkflowExecution } from './external.js';
import { startChildWorkflowExecution } from './start-child.js';
import { modifyWorkflowProperties, recordMarker, upsertWorkflowSearchAttributes } from './record-commands.js';
import { requestCancelActivityTask } from './request-cancel-activity.js';
import { scheduleActivityTask } from './schedule-activity.js';
import { startTimer } from './start-timer.js';
import type { CommandHandler } from './types.js';

const T = enums.CommandType;
const Cause = enums.WorkflowTaskFailedCause;

export const COMMANDS: ReadonlyMap<number, CommandHandler> = new Map<number, CommandHandler>([
  [T.COMMAND_TYPE_SCHEDULE_ACTIVITY_TASK, scheduleActivityTask],
  [T.COMMAND_TYPE_REQUEST_CANCEL_ACTIVITY_TASK, requestCancelActivityTask],
  [T.COMMAND_TYPE_START_TIMER, startTimer],
  [T.COMMAND_TYPE_CANCEL_TIMER, cancelTimer],
  [T.COMMAND_TYPE_COMPLETE_WORKFLOW_EXECUTION, completeWorkflowExecution],
  [T.COMMAND_TYPE_FAIL_WORKFLOW_EXECUTION, failWorkflowExecution],
  [T.COMMAND_TYPE_CANCEL_WORKFLOW_EXECUTION, cancelWorkflowExecution],
  [T.COMMAND_TYPE_CONTINUE_AS_NEW_WORKFLOW_EXECUTION, continueAsNewWorkflowExecution],
  [T.COMMAND_TYPE_RECORD_MARKER, recordMarker],
  [T.COMMAND_TYPE_UPSERT_WORKFLOW_SEARCH_ATTRIBUTES, upsertWorkflowSearchAttributes],
  [T.COMMAND_TYPE_MODIFY_WORKFLOW_PROPERTIES, modifyWorkflowProperties],
  [T.COMMAND_TYPE_START_CHILD_WORKFLOW_EXECUTION, startChildWorkflowExecution],
  [T.COMMAND_TYPE_SIGNAL_EXTERNAL_WORKFLOW_EXECUTION, signalExternalWorkflowExecution],
  [T.COMMAND_TYPE_REQUEST_CANCEL_EXTERNAL_WORKFLOW_EXECUTION, requestCancelExternalWorkflowExecution],
]);

/** Causes for commands the reference engine does not implement (Nexus). */
export const UNSUPPORTED_CAUSE: ReadonlyMap<number, number> = new Map([
  [T.COMMAND_TYPE_SCHEDULE_NEXUS_OPERATION, Cause.WORKFLOW_TASK_FAILED_CAUSE_BAD_SCHEDULE_NEXUS_OPERATION_ATTRIBUTES],
  [
    T.COMMAND_TYPE_REQUEST_CANCEL_NEXUS_OPERATION,
    Cause.WORKFLOW_TASK_FAILED_CAUSE_BAD_REQUEST_CANCEL_NEXUS_OPERATION_ATTRIBUTES,
  ],
]);

export type { CommandEnv, CommandHandler, ValidationState } from './types.js';
