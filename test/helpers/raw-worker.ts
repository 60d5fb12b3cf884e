/**
 * A worker built from raw WorkflowService calls, for engine tests that need to control exactly when a task is
 * polled, answered or left to time out.
 */
import { randomUUID } from 'node:crypto';
import type { temporal } from '@temporalio/proto';
import type { WorkflowServiceClient } from '../../bench/client/workflow-service.js';
import type { Wire } from '../../scenarios/sdk/wire.js';
import { eventTypes } from './history.js';

export type Command = Wire<temporal.api.command.v1.ICommand>;
type WorkflowTask = temporal.api.workflowservice.v1.PollWorkflowTaskQueueResponse;
type ActivityTask = temporal.api.workflowservice.v1.PollActivityTaskQueueResponse;

export const cmd = {
  activity: (
    activityId: string,
    timeouts: {
      startToClose?: number;
      scheduleToStart?: number;
      scheduleToClose?: number;
      heartbeat?: number;
      maxAttempts?: number;
    } = {},
  ): Command => ({
    commandType: 1,
    scheduleActivityTaskCommandAttributes: {
      activityId,
      activityType: { name: 'work' },
      ...(timeouts.startToClose ? { startToCloseTimeout: { seconds: timeouts.startToClose } } : {}),
      ...(timeouts.scheduleToStart ? { scheduleToStartTimeout: { seconds: timeouts.scheduleToStart } } : {}),
      ...(timeouts.scheduleToClose ? { scheduleToCloseTimeout: { seconds: timeouts.scheduleToClose } } : {}),
      ...(timeouts.heartbeat ? { heartbeatTimeout: { seconds: timeouts.heartbeat } } : {}),
      retryPolicy: {
        initialInterval: { seconds: 1 },
        backoffCoefficient: 2,
        maximumAttempts: timeouts.maxAttempts ?? 1,
      },
    },
  }),
  timer: (timerId: string, seconds: number): Command => ({
    commandType: 3,
    startTimerCommandAttributes: { timerId, startToFireTimeout: { seconds } },
  }),
  complete: (): Command => ({ commandType: 4, completeWorkflowExecutionCommandAttributes: {} }),
};

export class RawWorker {
  constructor(
    readonly client: WorkflowServiceClient,
    readonly taskQueue: string,
    private readonly namespace = 'default',
  ) {}

  async start(
    workflowId: string,
    extra: Partial<Wire<temporal.api.workflowservice.v1.IStartWorkflowExecutionRequest>> = {},
  ): Promise<string> {
    const r = await this.client.call('StartWorkflowExecution', {
      namespace: this.namespace,
      workflowId,
      workflowType: { name: 'raw' },
      taskQueue: { name: this.taskQueue },
      requestId: randomUUID(),
      ...extra,
    });
    return r.runId;
  }

  async pollWorkflowTask(queue = this.taskQueue, sticky = false, timeoutMs = 10_000): Promise<WorkflowTask> {
    const t = await this.client.call(
      'PollWorkflowTaskQueue',
      {
        namespace: this.namespace,
        taskQueue: { name: queue, kind: sticky ? 2 : 1, ...(sticky ? { normalName: this.taskQueue } : {}) },
        identity: 'raw',
      },
      { timeoutMs },
    );
    if (t.taskToken.length === 0 && timeoutMs >= 5000) throw new Error(`no workflow task on ${queue}`);
    return t;
  }

  async pollActivityTask(timeoutMs = 10_000): Promise<ActivityTask> {
    const t = await this.client.call(
      'PollActivityTaskQueue',
      { namespace: this.namespace, taskQueue: { name: this.taskQueue }, identity: 'raw' },
      { timeoutMs },
    );
    if (t.taskToken.length === 0) throw new Error('no activity task');
    return t;
  }

  async complete(
    task: WorkflowTask,
    commands: Command[],
    sticky?: { queue: string; scheduleToStartSeconds: number },
  ): Promise<void> {
    await this.client.call('RespondWorkflowTaskCompleted', {
      taskToken: task.taskToken,
      identity: 'raw',
      commands,
      ...(sticky
        ? {
            stickyAttributes: {
              workerTaskQueue: { name: sticky.queue, kind: 2 },
              scheduleToStartTimeout: { seconds: sticky.scheduleToStartSeconds },
            },
          }
        : {}),
    });
  }

  async signal(workflowId: string, name = 'ping'): Promise<void> {
    await this.client.call('SignalWorkflowExecution', {
      namespace: this.namespace,
      workflowExecution: { workflowId },
      signalName: name,
      requestId: randomUUID(),
    });
  }

  async history(workflowId: string): Promise<temporal.api.history.v1.IHistoryEvent[]> {
    const r = await this.client.call('GetWorkflowExecutionHistory', {
      namespace: this.namespace,
      execution: { workflowId },
    });
    return r.history?.events ?? [];
  }

  async historyOf(workflowId: string, runId: string): Promise<temporal.api.history.v1.IHistoryEvent[]> {
    const r = await this.client.call('GetWorkflowExecutionHistory', {
      namespace: this.namespace,
      execution: { workflowId, runId },
    });
    return r.history?.events ?? [];
  }

  async types(workflowId: string): Promise<string[]> {
    return eventTypes(await this.history(workflowId));
  }
}
