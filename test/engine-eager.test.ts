/**
 * Eager workflow start and eager activity dispatch, with Temporal's semantics: the first workflow task comes back
 * in the StartWorkflowExecution response (started, nothing left for matching), and activities that ask for eager
 * execution come back in the RespondWorkflowTaskCompleted response (`activityTasks`) — only on the queue the
 * completing worker polls, at most 3 per completion; the rest go through matching as usual.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fromPayloads, toPayloads } from '../scenarios/sdk/payloads.js';
import { BACKENDS, testEngine, type TestEngine } from './helpers/engine.js';
import { eventTypes, historyProblems } from './helpers/history.js';
import { cmd, RawWorker, type Command } from './helpers/raw-worker.js';
import { sdkClient, sdkWarnings, sdkWorker } from './helpers/sdk.js';
import type * as workflows from './temporal-sdk/workflows.js';

function eagerActivity(activityId: string, taskQueue?: string): Command {
  const c = cmd.activity(activityId, { startToClose: 10 });
  return {
    ...c,
    scheduleActivityTaskCommandAttributes: {
      ...c.scheduleActivityTaskCommandAttributes,
      input: toPayloads(activityId),
      ...(taskQueue ? { taskQueue: { name: taskQueue } } : {}),
      requestEagerExecution: true,
    },
  };
}

describe('GetSystemInfo', () => {
  let t: TestEngine;
  beforeAll(async () => {
    t = await testEngine();
  });
  afterAll(async () => {
    await t.close();
  });

  it('advertises eager workflow start', async () => {
    const info = await t.client.call('GetSystemInfo', {});
    expect(info.capabilities?.eagerWorkflowStart).toBe(true);
  });
});

describe.each(BACKENDS)('eager execution (%s)', (store) => {
  let t: TestEngine;
  beforeAll(async () => {
    t = await testEngine({ store });
  });
  afterAll(async () => {
    await t.close();
  });

  function setup(): { w: RawWorker; id: string } {
    return { w: new RawWorker(t.client, `tq-${randomUUID().slice(0, 8)}`), id: `wf-${randomUUID().slice(0, 8)}` };
  }

  it('runs hello in 5 calls: the start returns the first task, its completion returns the activity', async () => {
    const { w, id } = setup();
    const requestId = randomUUID();
    const start = await t.client.call('StartWorkflowExecution', {
      namespace: 'default',
      workflowId: id,
      workflowType: { name: 'raw' },
      taskQueue: { name: w.taskQueue },
      requestId,
      identity: 'eager-worker',
      requestEagerExecution: true,
    });
    const wt1 = start.eagerWorkflowTask as typeof start.eagerWorkflowTask & { taskToken: Uint8Array };
    expect(wt1.taskToken.length).toBeGreaterThan(0);
    expect(eventTypes(wt1?.history?.events ?? [])).toEqual([
      'WORKFLOW_EXECUTION_STARTED',
      'WORKFLOW_TASK_SCHEDULED',
      'WORKFLOW_TASK_STARTED',
    ]);
    expect(wt1.startedEventId?.toNumber()).toBe(3);
    expect(wt1?.workflowExecution?.runId).toBe(start.runId);
    expect(wt1.history?.events?.[2]?.workflowTaskStartedEventAttributes?.identity).toBe('eager-worker');
    // Nothing went to matching: a poll of the queue finds no task.
    const polled = await w.pollWorkflowTask(w.taskQueue, false, 1500);
    expect(polled.taskToken.length).toBe(0);

    const done = await t.client.call('RespondWorkflowTaskCompleted', {
      taskToken: wt1?.taskToken,
      identity: 'eager-worker',
      commands: [eagerActivity('a1')],
    });
    expect(done.activityTasks).toHaveLength(1);
    const at = done.activityTasks[0];
    expect(at?.activityId).toBe('a1');
    expect(fromPayloads(at?.input)).toBe('a1');
    expect(at?.workflowNamespace).toBe('default');
    expect(at?.workflowExecution?.runId).toBe(start.runId);
    expect(at?.startToCloseTimeout?.seconds?.toNumber()).toBe(10);
    expect(at?.scheduleToCloseTimeout).toBeTruthy();
    expect(at?.attempt).toBe(1);
    await t.client.call('RespondActivityTaskCompleted', { taskToken: at?.taskToken, result: toPayloads('hi') });

    const wt2 = await w.pollWorkflowTask();
    await w.complete(wt2, [cmd.complete()]);
    const history = await w.history(id);
    expect(historyProblems(history, { closed: true })).toEqual([]);
    expect(eventTypes(history)).toEqual([
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

    // A retried start (same request id) is deduplicated and hands out no second task.
    const again = await t.client.call('StartWorkflowExecution', {
      namespace: 'default',
      workflowId: id,
      workflowType: { name: 'raw' },
      taskQueue: { name: w.taskQueue },
      requestId,
      requestEagerExecution: true,
    });
    expect(again.runId).toBe(start.runId);
    expect(again.eagerWorkflowTask).toBeFalsy();
  });

  it('a cron start that asks for eager execution starts without an eager task (its first run waits for its firing)', async () => {
    const { w, id } = setup();
    const start = await t.client.call('StartWorkflowExecution', {
      namespace: 'default',
      workflowId: id,
      workflowType: { name: 'raw' },
      taskQueue: { name: w.taskQueue },
      requestId: randomUUID(),
      cronSchedule: '0 0 1 1 *',
      requestEagerExecution: true,
    });
    expect(start.runId).toBeTruthy();
    expect(start.eagerWorkflowTask ?? undefined).toBeUndefined();
    const d = await t.client.call('DescribeWorkflowExecution', {
      namespace: 'default',
      execution: { workflowId: id, runId: start.runId },
    });
    expect(d.workflowExecutionInfo?.status).toBe(1); // RUNNING, waiting for its first firing
  });

  it('an eager start the worker never answers times out and goes to matching like any task', async () => {
    const { w, id } = setup();
    const start = await t.client.call('StartWorkflowExecution', {
      namespace: 'default',
      workflowId: id,
      workflowType: { name: 'raw' },
      taskQueue: { name: w.taskQueue },
      requestId: randomUUID(),
      workflowTaskTimeout: { seconds: 1 },
      requestEagerExecution: true,
    });
    expect(start.eagerWorkflowTask?.taskToken?.length).toBeGreaterThan(0);
    const retried = await w.pollWorkflowTask();
    expect(retried.attempt).toBe(2);
    await w.complete(retried, [cmd.complete()]);
    expect(historyProblems(await w.history(id), { closed: true })).toEqual([]);
  });

  it('starts at most 3 activities eagerly and only on the worker’s own queue', async () => {
    const { w, id } = setup();
    await w.start(id);
    const wt = await w.pollWorkflowTask();
    const other = `${w.taskQueue}-other`;
    const done = await t.client.call('RespondWorkflowTaskCompleted', {
      taskToken: wt.taskToken,
      identity: 'raw',
      commands: [
        eagerActivity('e1'),
        eagerActivity('e2', other),
        eagerActivity('e3'),
        cmd.activity('plain', { startToClose: 10 }),
        eagerActivity('e4'),
        eagerActivity('e5'),
      ],
    });
    expect(done.activityTasks.map((a) => a.activityId)).toEqual(['e1', 'e3', 'e4']);
    // The others are dispatched through matching: e5 and 'plain' on this queue, e2 on the other queue.
    const viaMatching = [await w.pollActivityTask(), await w.pollActivityTask()].map((a) => a.activityId).sort();
    expect(viaMatching).toEqual(['e5', 'plain']);
    const onOther = new RawWorker(t.client, other);
    expect((await onOther.pollActivityTask()).activityId).toBe('e2');
    for (const a of done.activityTasks)
      await t.client.call('RespondActivityTaskCompleted', { taskToken: a.taskToken, result: toPayloads(1) });
    const next = await w.pollWorkflowTask();
    const types = eventTypes(next.history?.events ?? []);
    expect(types.filter((x) => x === 'ACTIVITY_TASK_COMPLETED')).toHaveLength(3);
    expect(historyProblems(next.history?.events ?? [])).toEqual([]);
  });

  it('returns no activity task when the same completion closes the run', async () => {
    const { w, id } = setup();
    await w.start(id);
    const wt = await w.pollWorkflowTask();
    const done = await t.client.call('RespondWorkflowTaskCompleted', {
      taskToken: wt.taskToken,
      identity: 'raw',
      commands: [eagerActivity('late'), cmd.complete()],
    });
    expect(done.activityTasks).toHaveLength(0);
    expect(historyProblems(await w.history(id), { closed: true })).toEqual([]);
  });

  it('an eager activity that is never completed times out and is retried through matching', async () => {
    const { w, id } = setup();
    await w.start(id);
    const wt = await w.pollWorkflowTask();
    const c = eagerActivity('slow');
    const done = await t.client.call('RespondWorkflowTaskCompleted', {
      taskToken: wt.taskToken,
      identity: 'raw',
      commands: [
        {
          ...c,
          scheduleActivityTaskCommandAttributes: {
            ...c.scheduleActivityTaskCommandAttributes,
            startToCloseTimeout: { seconds: 1 },
            retryPolicy: { initialInterval: { seconds: 1 }, maximumAttempts: 2 },
          },
        },
      ],
    });
    expect(done.activityTasks).toHaveLength(1);
    const retry = await w.pollActivityTask();
    expect(retry.activityId).toBe('slow');
    expect(retry.attempt).toBe(2);
  });
});

describe('the real Temporal SDK', () => {
  it('runs the activities the engine hands back eagerly, with no warnings', async () => {
    const t = await testEngine();
    const tq = `sdk-eager-${randomUUID().slice(0, 8)}`;
    const { worker, connection } = await sdkWorker(t.engine.address, tq);
    const running = worker.run();
    const { client, connection: clientConnection } = await sdkClient(t.engine.address);
    try {
      const h = await client.workflow.start<typeof workflows.greeting>('greeting', {
        taskQueue: tq,
        workflowId: `greet-${randomUUID().slice(0, 8)}`,
        args: ['eager'],
      });
      expect(await h.result()).toBe('hello, eager');
      expect(historyProblems((await h.fetchHistory()).events ?? [], { closed: true })).toEqual([]);
      // Two workflow tasks went through matching; the activity came back in the first task's completion.
      const { matching } = await t.engine.stats();
      expect(matching.syncMatched + matching.persisted).toBe(2);
      expect(sdkWarnings()).toEqual([]);
    } finally {
      worker.shutdown();
      await running;
      await connection.close();
      await clientConnection.close();
      await t.close();
    }
  });
});
