/**
 * The real @temporalio/worker and @temporalio/client against the engine on loopback: activities, retries,
 * heartbeats and cancellation, timers, signals, queries, signal-with-start, cancel, terminate, continue-as-new.
 * Every history is checked for well-formedness, and the SDK must log no warnings.
 */
import { randomUUID } from 'node:crypto';
import type { WorkflowHandle } from '@temporalio/client';
import { WorkflowFailedError } from '@temporalio/client';
import { describe, expect, it } from 'vitest';
import { BACKENDS, testEngine } from './helpers/engine.js';
import { eventTypes, historyProblems } from './helpers/history.js';
import { sdkWarnings, useSdk } from './helpers/sdk.js';
import type * as workflows from './temporal-sdk/workflows.js';

describe.each(BACKENDS)('on the %s store', (store) => {
  const TQ = 'sdk-tests';
  const sdk = useSdk(() => testEngine({ store }), TQ);

  function id(prefix: string): string {
    return `${prefix}-${randomUUID().slice(0, 8)}`;
  }

  async function wellFormed(handle: WorkflowHandle, closed = true): Promise<string[]> {
    const history = await handle.fetchHistory();
    const events = history.events ?? [];
    expect(historyProblems(events, { closed })).toEqual([]);
    return eventTypes(events);
  }

  describe('activities', () => {
    it('runs an activity to success', async () => {
      const h = await sdk.client.workflow.start<typeof workflows.greeting>('greeting', {
        taskQueue: TQ,
        workflowId: id('greet'),
        args: ['SDK'],
      });
      expect(await h.result()).toBe('hello, SDK');
      const types = await wellFormed(h);
      expect(types).toContain('ACTIVITY_TASK_COMPLETED');
      // No run or execution timeout was set: Describe leaves them out (null), as Temporal does; the task timeout
      // has its default.
      const config = (await h.describe()).raw.executionConfig;
      expect(config?.workflowRunTimeout).toBeNull();
      expect(config?.workflowExecutionTimeout).toBeNull();
      expect(Number(config?.defaultWorkflowTaskTimeout?.seconds)).toBe(10);
    });

    it('retries a failing activity on the server and succeeds on the third attempt', async () => {
      const h = await sdk.client.workflow.start<typeof workflows.retrying>('retrying', {
        taskQueue: TQ,
        workflowId: id('retry'),
      });
      expect(await h.result()).toBe(3);
      const history = await h.fetchHistory();
      const started = (history.events ?? []).find((e) => e.activityTaskStartedEventAttributes);
      // Failed attempts write no events: the started event of the last attempt says attempt 3.
      expect(started?.activityTaskStartedEventAttributes?.attempt).toBe(3);
      expect(started?.activityTaskStartedEventAttributes?.lastFailure?.message).toBe('attempt 2 fails');
      await wellFormed(h);
    });

    it('gives up after the maximum attempts and reports the failure to the workflow', async () => {
      const h = await sdk.client.workflow.start<typeof workflows.exhaustsRetries>('exhaustsRetries', {
        taskQueue: TQ,
        workflowId: id('exhaust'),
      });
      expect(await h.result()).toBe('Boom: always fails');
      const types = await wellFormed(h);
      expect(types).toContain('ACTIVITY_TASK_FAILED');
    });

    it('delivers cancellation to a heartbeating activity', async () => {
      const h = await sdk.client.workflow.start<typeof workflows.heartbeatCancel>('heartbeatCancel', {
        taskQueue: TQ,
        workflowId: id('hb'),
      });
      expect(await h.result()).toBe('cancelled');
      const types = await wellFormed(h);
      expect(types).toEqual(expect.arrayContaining(['ACTIVITY_TASK_CANCEL_REQUESTED', 'ACTIVITY_TASK_CANCELED']));
    });
  });

  describe('timers, signals, queries', () => {
    it('runs an activity after a timer', async () => {
      const h = await sdk.client.workflow.start<typeof workflows.timerThenActivity>('timerThenActivity', {
        taskQueue: TQ,
        workflowId: id('timer'),
      });
      expect(await h.result()).toBe('hello, after the timer');
      const types = await wellFormed(h);
      expect(types.indexOf('TIMER_FIRED')).toBeLessThan(types.indexOf('ACTIVITY_TASK_SCHEDULED'));
    });

    it('receives several signals sent at once and answers queries', async () => {
      const h = await sdk.client.workflow.start<typeof workflows.accumulate>('accumulate', {
        taskQueue: TQ,
        workflowId: id('signals'),
        args: [6],
      });
      await Promise.all([1, 2, 3, 4, 5].map((n) => h.signal<[number]>('add', n)));
      await expect.poll(() => h.query<number>('total'), { timeout: 10_000 }).toBe(15);
      await h.signal<[number]>('add', 6);
      expect(await h.result()).toBe(21);
      expect(await h.query<number>('total')).toBe(21);
      const types = await wellFormed(h);
      expect(types.filter((x) => x === 'WORKFLOW_EXECUTION_SIGNALED')).toHaveLength(6);
    });

    it('answers a query on a closed run that ran a local activity (the worker replays its whole history)', async () => {
      const h = await sdk.client.workflow.start<typeof workflows.localActivityThenQuery>('localActivityThenQuery', {
        taskQueue: TQ,
        workflowId: id('la-query'),
      });
      expect(await h.result()).toBe('hello, local');
      const types = await wellFormed(h);
      expect(types.indexOf('MARKER_RECORDED')).toBeLessThan(types.indexOf('TIMER_STARTED'));
      // The query task says where replay ends (previousStartedEventId), as Temporal's does: the SDK then takes the
      // marker as the local activity's recorded result instead of failing the query with a nondeterminism error.
      expect(await h.query<string>('step')).toBe('hello, local');
    });

    it('signal-with-start starts a workflow with its first signal, then signals the running one', async () => {
      const workflowId = id('sws');
      const first = await sdk.client.workflow.signalWithStart<typeof workflows.accumulate, [number]>('accumulate', {
        taskQueue: TQ,
        workflowId,
        args: [2],
        signal: 'add',
        signalArgs: [10],
      });
      const second = await sdk.client.workflow.signalWithStart<typeof workflows.accumulate, [number]>('accumulate', {
        taskQueue: TQ,
        workflowId,
        args: [2],
        signal: 'add',
        signalArgs: [5],
      });
      expect(second.signaledRunId).toBe(first.signaledRunId);
      expect(await first.result()).toBe(15);
      const types = await wellFormed(first);
      expect(types.slice(0, 3)).toEqual([
        'WORKFLOW_EXECUTION_STARTED',
        'WORKFLOW_EXECUTION_SIGNALED',
        'WORKFLOW_TASK_SCHEDULED',
      ]);
    });
  });

  describe('closing workflows', () => {
    it('cancels a workflow on request', async () => {
      const h = await sdk.client.workflow.start<typeof workflows.waitForever>('waitForever', {
        taskQueue: TQ,
        workflowId: id('cancel'),
      });
      await expect.poll(async () => (await h.describe()).historyLength, { timeout: 10_000 }).toBeGreaterThanOrEqual(4);
      await h.cancel();
      await expect(h.result()).rejects.toBeInstanceOf(WorkflowFailedError);
      expect((await h.describe()).status.name).toBe('CANCELLED');
      const types = await wellFormed(h);
      expect(types).toContain('WORKFLOW_EXECUTION_CANCEL_REQUESTED');
      expect(types[types.length - 1]).toBe('WORKFLOW_EXECUTION_CANCELED');
    });

    it('terminates a workflow', async () => {
      const h = await sdk.client.workflow.start<typeof workflows.waitForever>('waitForever', {
        taskQueue: TQ,
        workflowId: id('term'),
      });
      // Terminate once the first task is done: a task still in flight would be refused to the worker, which logs it.
      await expect.poll(async () => (await h.describe()).historyLength, { timeout: 10_000 }).toBeGreaterThanOrEqual(4);
      await h.terminate('enough');
      await expect(h.result()).rejects.toBeInstanceOf(WorkflowFailedError);
      const d = await h.describe();
      expect(d.status.name).toBe('TERMINATED');
      const types = await wellFormed(h);
      expect(types[types.length - 1]).toBe('WORKFLOW_EXECUTION_TERMINATED');
    });

    it('follows continue-as-new across runs to the final result', async () => {
      const h = await sdk.client.workflow.start<typeof workflows.looping>('looping', {
        taskQueue: TQ,
        workflowId: id('can'),
        args: [0, 3],
      });
      expect(await h.result()).toBe(3);
      const first = sdk.client.workflow.getHandle(h.workflowId, h.firstExecutionRunId);
      const types = await wellFormed(first);
      expect(types[types.length - 1]).toBe('WORKFLOW_EXECUTION_CONTINUED_AS_NEW');
      const latest = await sdk.client.workflow.getHandle(h.workflowId).describe();
      expect(latest.runId).not.toBe(h.firstExecutionRunId);
      expect(latest.status.name).toBe('COMPLETED');
    });
  });
});

it('the SDK logged no warnings', () => {
  expect(sdkWarnings()).toEqual([]);
});
