/** The engine over real gRPC on loopback: one hello workflow driven call by call, and the errors Temporal gives. */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { grpc } from '../bench/client/workflow-service.js';
import { eventTypes, historyProblems } from './helpers/history.js';
import { testEngine, type TestEngine } from './helpers/engine.js';

let t: TestEngine;

beforeAll(async () => {
  t = await testEngine();
});

afterAll(async () => {
  await t.close();
});

describe('a workflow through the engine over gRPC', () => {
  it('runs start -> workflow task -> activity -> complete', async () => {
    const c = t.client;
    const workflowId = `hello-${randomUUID()}`;
    const tq = `q-${randomUUID()}`;
    const start = await c.call('StartWorkflowExecution', {
      namespace: 'default',
      workflowId,
      workflowType: { name: 'hello' },
      taskQueue: { name: tq },
      requestId: randomUUID(),
    });
    expect(start.runId).toMatch(/^[0-9a-f-]{36}$/);

    const wt1 = await c.call(
      'PollWorkflowTaskQueue',
      { namespace: 'default', taskQueue: { name: tq }, identity: 'test' },
      { timeoutMs: 10_000 },
    );
    expect(eventTypes(wt1.history?.events ?? [])).toEqual([
      'WORKFLOW_EXECUTION_STARTED',
      'WORKFLOW_TASK_SCHEDULED',
      'WORKFLOW_TASK_STARTED',
    ]);
    expect(wt1.startedEventId.toNumber()).toBe(3);
    await c.call('RespondWorkflowTaskCompleted', {
      taskToken: wt1.taskToken,
      identity: 'test',
      commands: [
        {
          commandType: 1,
          scheduleActivityTaskCommandAttributes: {
            activityId: 'a1',
            activityType: { name: 'greet' },
            taskQueue: { name: tq },
            startToCloseTimeout: { seconds: 10 },
          },
        },
      ],
    });

    const at = await c.call(
      'PollActivityTaskQueue',
      { namespace: 'default', taskQueue: { name: tq }, identity: 'test' },
      { timeoutMs: 10_000 },
    );
    expect(at.activityId).toBe('a1');
    expect(at.activityType?.name).toBe('greet');
    await c.call('RespondActivityTaskCompleted', { taskToken: at.taskToken, identity: 'test' });

    const wt2 = await c.call(
      'PollWorkflowTaskQueue',
      { namespace: 'default', taskQueue: { name: tq }, identity: 'test' },
      { timeoutMs: 10_000 },
    );
    expect(wt2.previousStartedEventId.toNumber()).toBe(3);
    await c.call('RespondWorkflowTaskCompleted', {
      taskToken: wt2.taskToken,
      identity: 'test',
      commands: [{ commandType: 4, completeWorkflowExecutionCommandAttributes: {} }],
    });

    const history = await c.call('GetWorkflowExecutionHistory', { namespace: 'default', execution: { workflowId } });
    const events = history.history?.events ?? [];
    expect(historyProblems(events, { closed: true })).toEqual([]);
    expect(eventTypes(events)).toEqual([
      'WORKFLOW_EXECUTION_STARTED',
      'WORKFLOW_TASK_SCHEDULED',
      'WORKFLOW_TASK_STARTED',
      'WORKFLOW_TASK_COMPLETED',
      'ACTIVITY_TASK_SCHEDULED',
      'ACTIVITY_TASK_STARTED',
      'ACTIVITY_TASK_COMPLETED',
      'WORKFLOW_TASK_SCHEDULED',
      'WORKFLOW_TASK_STARTED',
      'WORKFLOW_TASK_COMPLETED',
      'WORKFLOW_EXECUTION_COMPLETED',
    ]);
    const d = await c.call('DescribeWorkflowExecution', { namespace: 'default', execution: { workflowId } });
    expect(d.workflowExecutionInfo?.status).toBe(2);
  });
});

describe('requests past the per-turn limit (requestsPerTurn)', () => {
  it('wait for later turns and all get their replies: 24 hello workflows at once, one request per turn', async () => {
    const e = await testEngine({ requestsPerTurn: 1 });
    try {
      const c = e.client;
      const run = async (i: number): Promise<string> => {
        const workflowId = `turn-${i}-${randomUUID()}`;
        const taskQueue = { name: `q-${randomUUID()}` };
        const poll = (method: 'PollWorkflowTaskQueue' | 'PollActivityTaskQueue') =>
          c.call(method, { namespace: 'default', taskQueue, identity: 'test' }, { timeoutMs: 10_000 });
        // Polls go out before the calls that make their tasks, so each read brings polls and starts together.
        const wt1 = poll('PollWorkflowTaskQueue');
        await c.call('StartWorkflowExecution', {
          namespace: 'default',
          workflowId,
          workflowType: { name: 'hello' },
          taskQueue,
          requestId: randomUUID(),
        });
        const at = poll('PollActivityTaskQueue');
        await c.call('RespondWorkflowTaskCompleted', {
          taskToken: (await wt1).taskToken,
          commands: [
            {
              commandType: 1,
              scheduleActivityTaskCommandAttributes: {
                activityId: 'a',
                activityType: { name: 'greet' },
                startToCloseTimeout: { seconds: 10 },
              },
            },
          ],
        });
        const wt2 = poll('PollWorkflowTaskQueue');
        await c.call('RespondActivityTaskCompleted', { taskToken: (await at).taskToken });
        await c.call('RespondWorkflowTaskCompleted', {
          taskToken: (await wt2).taskToken,
          commands: [{ commandType: 4, completeWorkflowExecutionCommandAttributes: {} }],
        });
        return workflowId;
      };
      const ids = await Promise.all(Array.from({ length: 24 }, (_, i) => run(i)));
      for (const workflowId of ids) {
        const history = await c.call('GetWorkflowExecutionHistory', {
          namespace: 'default',
          execution: { workflowId },
        });
        const events = history.history?.events ?? [];
        expect(historyProblems(events, { closed: true })).toEqual([]);
        expect(eventTypes(events).at(-1)).toBe('WORKFLOW_EXECUTION_COMPLETED');
      }
    } finally {
      await e.close();
    }
  });

  it('is checked with the other engine options', async () => {
    await expect(testEngine({ requestsPerTurn: 0 })).rejects.toThrow(/requests per turn must be an integer >= 1/);
  });
});

describe('errors', () => {
  async function code(p: Promise<unknown>): Promise<{ code: number; details: string }> {
    try {
      await p;
    } catch (err) {
      const e = err as grpc.ServiceError;
      return { code: e.code, details: e.details };
    }
    throw new Error('the call succeeded');
  }

  it('answers UNIMPLEMENTED with a clear message for methods it does not serve', async () => {
    const e = await code(t.client.call('UpdateNamespace', { namespace: 'default' }));
    expect(e.code).toBe(grpc.status.UNIMPLEMENTED);
    expect(e.details).toMatch(/UpdateNamespace is not implemented by the stampede reference engine/);
  });

  it('answers NOT_FOUND for an unknown namespace and INVALID_ARGUMENT for missing fields', async () => {
    const ns = await code(
      t.client.call('StartWorkflowExecution', {
        namespace: 'nope',
        workflowId: 'x',
        workflowType: { name: 'a' },
        taskQueue: { name: 'q' },
        requestId: 'r',
      }),
    );
    expect(ns).toEqual({ code: grpc.status.NOT_FOUND, details: 'Namespace nope is not found.' });
    const noId = await code(
      t.client.call('StartWorkflowExecution', {
        namespace: 'default',
        workflowType: { name: 'a' },
        taskQueue: { name: 'q' },
        requestId: 'r',
      }),
    );
    expect(noId).toEqual({ code: grpc.status.INVALID_ARGUMENT, details: 'WorkflowId is not set on request.' });
    const noRequestId = await code(
      t.client.call('StartWorkflowExecution', {
        namespace: 'default',
        workflowId: 'x',
        workflowType: { name: 'a' },
        taskQueue: { name: 'q' },
      }),
    );
    expect(noRequestId).toEqual({ code: grpc.status.INVALID_ARGUMENT, details: 'Missing request ID.' });
  });
});

describe('in-process calls (Engine.invoke, used by the LWT benchmark)', () => {
  it('runs the same handlers as gRPC: state is shared, calls are counted, errors carry the gRPC status', async () => {
    const workflowId = `inproc-${randomUUID()}`;
    const started = (await t.engine.invoke('StartWorkflowExecution', {
      namespace: 'default',
      workflowId,
      workflowType: { name: 'hello' },
      taskQueue: { name: `q-${randomUUID()}` },
      requestId: randomUUID(),
    })) as { runId: string };
    expect(started.runId).toMatch(/^[0-9a-f-]{36}$/);
    await t.engine.invoke('SignalWorkflowExecution', {
      namespace: 'default',
      workflowExecution: { workflowId },
      signalName: 'ping',
      requestId: randomUUID(),
    });
    // Seen over gRPC: one run, with the signal in its history.
    const history = await t.client.call('GetWorkflowExecutionHistory', {
      namespace: 'default',
      execution: { workflowId, runId: started.runId },
    });
    expect(eventTypes(history.history?.events ?? [])).toContain('WORKFLOW_EXECUTION_SIGNALED');
    const rpc = (await t.engine.stats()).rpc;
    expect(rpc.SignalWorkflowExecution?.count).toBeGreaterThanOrEqual(1);

    await expect(
      t.engine.invoke('StartWorkflowExecution', { namespace: 'default', workflowType: { name: 'a' }, requestId: 'r' }),
    ).rejects.toMatchObject({ code: grpc.status.INVALID_ARGUMENT, details: 'WorkflowId is not set on request.' });
    await expect(t.engine.invoke('NoSuchMethod', {})).rejects.toMatchObject({ code: grpc.status.UNIMPLEMENTED });
  });
});
