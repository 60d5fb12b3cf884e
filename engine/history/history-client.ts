/**
 * What one shard asks of another: the calls Temporal's history service makes through its history client when a
 * transfer task's work belongs to a run on another shard (start a child, record its start and close on the parent,
 * signal or cancel another workflow, apply a parent-close policy). Each call is a transaction of its own on the
 * target's shard, fenced by that shard's range id; and matching's hand-over of a polled task to its run's history.
 * The implementation here is local; in an engine cluster the same calls go to the shard's owner (engine/cluster).
 */
import type { WorkflowKey } from '../persistence/records.js';
import { requestCancelWorkflow, terminateWorkflowExecution } from './api/cancel-terminate.js';
import {
  recordChildExecutionCompleted,
  scheduleFirstWorkflowTask,
  type ChildCompletedRequest,
} from './api/child-workflow.js';
import { removeSignalRequestId, signalWorkflow, type SignalParams } from './api/signal-workflow.js';
import { startWorkflow, type StartParams, type StartResult } from './api/start-workflow.js';
import { recordWorkflowTaskStarted } from './api/record-workflow-task-started.js';
import { recordActivityTaskStarted } from './api/record-activity-task-started.js';
import type { MatchingTask } from '../persistence/records.js';
import type { HistoryContext } from './context.js';

type CancelParams = Parameters<typeof requestCancelWorkflow>[1];
type TerminateParams = Parameters<typeof terminateWorkflowExecution>[1];
export type WorkflowTaskPoll = Parameters<typeof recordWorkflowTaskStarted>[2];
export type ActivityTaskPoll = Parameters<typeof recordActivityTaskStarted>[2];
type WorkflowTaskStarted = Awaited<ReturnType<typeof recordWorkflowTaskStarted>>;
type ActivityTaskStarted = Awaited<ReturnType<typeof recordActivityTaskStarted>>;

export interface HistoryClient {
  startWorkflow(p: StartParams): Promise<StartResult>;
  scheduleFirstWorkflowTask(key: WorkflowKey): Promise<void>;
  recordChildExecutionCompleted(req: ChildCompletedRequest): Promise<void>;
  signalWorkflow(p: SignalParams): Promise<void>;
  removeSignalMutableState(key: WorkflowKey, requestId: string): Promise<void>;
  requestCancelWorkflow(p: CancelParams): Promise<void>;
  terminateWorkflow(p: TerminateParams): Promise<void>;
  /** Matching hands a polled task to the history of its run (Temporal's RecordWorkflowTaskStarted). */
  recordWorkflowTaskStarted(task: MatchingTask, poll: WorkflowTaskPoll): Promise<WorkflowTaskStarted>;
  recordActivityTaskStarted(task: MatchingTask, poll: ActivityTaskPoll): Promise<ActivityTaskStarted>;
}

/** The in-process history client: every shard is owned by this engine. */
export class LocalHistoryClient implements HistoryClient {
  constructor(private readonly ctx: HistoryContext) {}

  startWorkflow(p: StartParams): Promise<StartResult> {
    return startWorkflow(this.ctx, p);
  }

  scheduleFirstWorkflowTask(key: WorkflowKey): Promise<void> {
    return scheduleFirstWorkflowTask(this.ctx, key);
  }

  recordChildExecutionCompleted(req: ChildCompletedRequest): Promise<void> {
    return recordChildExecutionCompleted(this.ctx, req);
  }

  signalWorkflow(p: SignalParams): Promise<void> {
    return signalWorkflow(this.ctx, p);
  }

  removeSignalMutableState(key: WorkflowKey, requestId: string): Promise<void> {
    return removeSignalRequestId(this.ctx, key, requestId);
  }

  requestCancelWorkflow(p: CancelParams): Promise<void> {
    return requestCancelWorkflow(this.ctx, p);
  }

  terminateWorkflow(p: TerminateParams): Promise<void> {
    return terminateWorkflowExecution(this.ctx, p);
  }

  recordWorkflowTaskStarted(task: MatchingTask, poll: WorkflowTaskPoll): Promise<WorkflowTaskStarted> {
    return recordWorkflowTaskStarted(this.ctx, task, poll);
  }

  recordActivityTaskStarted(task: MatchingTask, poll: ActivityTaskPoll): Promise<ActivityTaskStarted> {
    return recordActivityTaskStarted(this.ctx, task, poll);
  }
}
