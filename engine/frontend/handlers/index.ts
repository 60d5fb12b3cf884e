/** The handler table: WorkflowService method name -> handler. Methods not listed answer UNIMPLEMENTED. */
import type { Handler } from '../handler.js';
import { requestCancelWorkflowExecution, terminateWorkflowExecution } from './cancel-terminate.js';
import { describeWorkflowExecution } from './describe-workflow-execution.js';
import { getSystemInfo } from './get-system-info.js';
import { getWorkflowExecutionHistory } from './get-workflow-execution-history.js';
import { describeNamespace, listNamespaces, registerNamespace } from './namespaces.js';
import { pollActivityTaskQueue } from './poll-activity-task-queue.js';
import { pollWorkflowTaskQueue } from './poll-workflow-task-queue.js';
import { queryWorkflow, respondQueryTaskCompleted } from './query.js';
import {
  recordActivityTaskHeartbeat,
  recordActivityTaskHeartbeatById,
  respondActivityTaskCanceled,
  respondActivityTaskCanceledById,
  respondActivityTaskCompleted,
  respondActivityTaskCompletedById,
  respondActivityTaskFailed,
  respondActivityTaskFailedById,
} from './respond-activity-task.js';
import { respondWorkflowTaskCompleted, respondWorkflowTaskFailed } from './respond-workflow-task.js';
import { signalWithStartWorkflowExecution } from './signal-with-start-workflow-execution.js';
import { signalWorkflowExecution } from './signal-workflow-execution.js';
import { startWorkflowExecution } from './start-workflow-execution.js';
import { resetStickyTaskQueue, shutdownWorker } from './sticky.js';
import { countWorkflowExecutions, listWorkflowExecutions } from './visibility.js';
import { addSearchAttributes, listSearchAttributes, removeSearchAttributes } from './search-attributes.js';
import {
  countSchedules,
  createSchedule,
  deleteSchedule,
  describeSchedule,
  listScheduleMatchingTimes,
  listSchedules,
  patchSchedule,
  updateSchedule,
} from './schedules.js';
import { pollWorkflowExecutionUpdate } from './poll-workflow-execution-update.js';
import { updateWorkflowExecution } from './update-workflow-execution.js';
import { executeMultiOperation } from './execute-multi-operation.js';
import { describeTaskQueue } from './describe-task-queue.js';
import { resetWorkflowExecution } from './reset-workflow-execution.js';
import { pauseActivity } from './pause-activity.js';
import { unpauseActivity } from './unpause-activity.js';
import { updateActivityOptions } from './update-activity-options.js';
import { resetActivity } from './reset-activity.js';

// Each handler is typed with its own request/response; the table erases them for dispatch by name.
export type AnyHandler = Handler<never, object>;

export const HANDLERS: Readonly<Record<string, AnyHandler>> = {
  GetSystemInfo: getSystemInfo,
  RegisterNamespace: registerNamespace,
  DescribeNamespace: describeNamespace,
  ListNamespaces: listNamespaces,
  StartWorkflowExecution: startWorkflowExecution,
  SignalWorkflowExecution: signalWorkflowExecution,
  SignalWithStartWorkflowExecution: signalWithStartWorkflowExecution,
  QueryWorkflow: queryWorkflow,
  RespondQueryTaskCompleted: respondQueryTaskCompleted,
  RequestCancelWorkflowExecution: requestCancelWorkflowExecution,
  TerminateWorkflowExecution: terminateWorkflowExecution,
  DescribeWorkflowExecution: describeWorkflowExecution,
  ListWorkflowExecutions: listWorkflowExecutions,
  CountWorkflowExecutions: countWorkflowExecutions,
  GetWorkflowExecutionHistory: getWorkflowExecutionHistory,
  PollWorkflowTaskQueue: pollWorkflowTaskQueue,
  RespondWorkflowTaskCompleted: respondWorkflowTaskCompleted,
  RespondWorkflowTaskFailed: respondWorkflowTaskFailed,
  PollActivityTaskQueue: pollActivityTaskQueue,
  RespondActivityTaskCompleted: respondActivityTaskCompleted,
  RespondActivityTaskCompletedById: respondActivityTaskCompletedById,
  RespondActivityTaskFailed: respondActivityTaskFailed,
  RespondActivityTaskFailedById: respondActivityTaskFailedById,
  RespondActivityTaskCanceled: respondActivityTaskCanceled,
  RespondActivityTaskCanceledById: respondActivityTaskCanceledById,
  RecordActivityTaskHeartbeat: recordActivityTaskHeartbeat,
  RecordActivityTaskHeartbeatById: recordActivityTaskHeartbeatById,
  ShutdownWorker: shutdownWorker,
  ResetStickyTaskQueue: resetStickyTaskQueue,
  CreateSchedule: createSchedule,
  DescribeSchedule: describeSchedule,
  UpdateSchedule: updateSchedule,
  PatchSchedule: patchSchedule,
  DeleteSchedule: deleteSchedule,
  ListSchedules: listSchedules,
  ListScheduleMatchingTimes: listScheduleMatchingTimes,
  CountSchedules: countSchedules,
  UpdateWorkflowExecution: updateWorkflowExecution,
  PollWorkflowExecutionUpdate: pollWorkflowExecutionUpdate,
  ExecuteMultiOperation: executeMultiOperation,
  DescribeTaskQueue: describeTaskQueue,
  ResetWorkflowExecution: resetWorkflowExecution,
  PauseActivity: pauseActivity,
  UnpauseActivity: unpauseActivity,
  UpdateActivityOptions: updateActivityOptions,
  ResetActivity: resetActivity,
};

/** OperatorService method name -> handler; the rest of OperatorService answers UNIMPLEMENTED. */
export const OPERATOR_HANDLERS: Readonly<Record<string, AnyHandler>> = {
  AddSearchAttributes: addSearchAttributes,
  RemoveSearchAttributes: removeSearchAttributes,
  ListSearchAttributes: listSearchAttributes,
};
