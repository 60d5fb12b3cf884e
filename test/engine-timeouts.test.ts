/**
 * Every timeout the engine enforces, on a manual clock (no real sleeps): each fires, writes the event Temporal
 * writes, and the workflow carries on and completes. Real-time bounds (task and activity timeouts) and durable
 * ones (run timeout) go through the same timer queue.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../engine/index.js';
import { testEngine, type TestEngine } from './helpers/engine.js';
import { historyProblems } from './helpers/history.js';
import { cmd, RawWorker } from './helpers/raw-worker.js';

let t: TestEngine;
let clock: ManualClock;

beforeAll(async () => {
  clock = new ManualClock();
  t = await testEngine({ clock });
});

afterAll(async () => {
  await t.close();
});

function setup(): { w: RawWorker; id: string } {
  const tq = `tq-${randomUUID().slice(0, 8)}`;
  return { w: new RawWorker(t.client, tq), id: `wf-${randomUUID().slice(0, 8)}` };
}

async function expectTypes(w: RawWorker, id: string, matcher: (types: string[]) => boolean): Promise<string[]> {
  await expect.poll(async () => matcher(await w.types(id)), { timeout: 10_000 }).toBe(true);
  return w.types(id);
}

async function finish(w: RawWorker, id: string): Promise<void> {
  const task = await w.pollWorkflowTask();
  await w.complete(task, [cmd.complete()]);
  const events = await w.history(id);
  expect(historyProblems(events, { closed: true })).toEqual([]);
}

describe('workflow task timeouts', () => {
  it('start-to-close: the task times out, the next attempt is transient, and its completion writes it', async () => {
    const { w, id } = setup();
    await w.start(id, { workflowTaskTimeout: { seconds: 10 } });
    const first = await w.pollWorkflowTask();
    expect(first.attempt).toBe(1);
    clock.advance(10_000);
    await expectTypes(w, id, (x) => x.includes('WORKFLOW_TASK_TIMED_OUT'));
    const second = await w.pollWorkflowTask();
    expect(second.attempt).toBe(2);
    // The transient attempt's scheduled/started events come with the task but are not in history yet.
    const persisted = await w.types(id);
    expect(persisted[persisted.length - 1]).toBe('WORKFLOW_TASK_TIMED_OUT');
    expect((second.history?.events ?? []).length).toBe(persisted.length + 2);
    await w.complete(second, [cmd.complete()]);
    const types = await w.types(id);
    expect(types.slice(-5)).toEqual([
      'WORKFLOW_TASK_TIMED_OUT',
      'WORKFLOW_TASK_SCHEDULED',
      'WORKFLOW_TASK_STARTED',
      'WORKFLOW_TASK_COMPLETED',
      'WORKFLOW_EXECUTION_COMPLETED',
    ]);
    expect(historyProblems(await w.history(id), { closed: true })).toEqual([]);
  });

  it('schedule-to-start on a sticky queue: the task moves to the normal queue', async () => {
    const { w, id } = setup();
    const sticky = `${w.taskQueue}-sticky`;
    await w.start(id);
    const first = await w.pollWorkflowTask();
    await w.complete(first, [], { queue: sticky, scheduleToStartSeconds: 5 });
    // The sticky worker is alive (it polled just now) but will not take the next task.
    await w.pollWorkflowTask(sticky, true, 100);
    await w.signal(id);
    await expectTypes(w, id, (x) => x.filter((y) => y === 'WORKFLOW_TASK_SCHEDULED').length === 2);
    clock.advance(5_000);
    await expectTypes(w, id, (x) => x.includes('WORKFLOW_TASK_TIMED_OUT'));
    const moved = await w.pollWorkflowTask();
    // The normal queue gets the full history.
    expect(Number(moved.history?.events?.[0]?.eventId)).toBe(1);
    await w.complete(moved, [cmd.complete()]);
    expect(historyProblems(await w.history(id), { closed: true })).toEqual([]);
  });
});

describe('activity timeouts', () => {
  it('schedule-to-start: never picked up, times out (not retried), the workflow continues', async () => {
    const { w, id } = setup();
    await w.start(id);
    await w.complete(await w.pollWorkflowTask(), [
      cmd.activity('a', { startToClose: 10, scheduleToStart: 5, maxAttempts: 5 }),
    ]);
    clock.advance(5_000);
    const types = await expectTypes(w, id, (x) => x.includes('ACTIVITY_TASK_TIMED_OUT'));
    expect(types).not.toContain('ACTIVITY_TASK_STARTED');
    await finish(w, id);
  });

  it('start-to-close: the attempt times out and is retried after the backoff; the retry completes', async () => {
    const { w, id } = setup();
    await w.start(id);
    await w.complete(await w.pollWorkflowTask(), [cmd.activity('a', { startToClose: 10, maxAttempts: 3 })]);
    const attempt1 = await w.pollActivityTask();
    expect(attempt1.attempt).toBe(1);
    clock.advance(10_000);
    // The timeout moved the activity to attempt 2, which waits out the 1 s backoff on the durable clock.
    await expect
      .poll(
        () =>
          t.client
            .call('DescribeWorkflowExecution', { namespace: 'default', execution: { workflowId: id } })
            .then((d) => d.pendingActivities[0]?.attempt),
        { timeout: 10_000 },
      )
      .toBe(2);
    await expect(w.pollActivityTask(300)).rejects.toThrow('no activity task');
    clock.advance(1_000);
    const attempt2 = await w.pollActivityTask();
    expect(attempt2.attempt).toBe(2);
    await t.client.call('RespondActivityTaskCompleted', { taskToken: attempt2.taskToken, identity: 'raw' });
    const types = await expectTypes(w, id, (x) => x.includes('ACTIVITY_TASK_COMPLETED'));
    expect(types).not.toContain('ACTIVITY_TASK_TIMED_OUT');
    // The late result of the first attempt is refused.
    await expect(
      t.client.call('RespondActivityTaskCompleted', { taskToken: attempt1.taskToken, identity: 'raw' }),
    ).rejects.toMatchObject({ code: 5 });
    await finish(w, id);
  });

  it('schedule-to-close bounds all attempts', async () => {
    const { w, id } = setup();
    await w.start(id);
    await w.complete(await w.pollWorkflowTask(), [
      cmd.activity('a', { scheduleToClose: 8, startToClose: 8, maxAttempts: 10 }),
    ]);
    await w.pollActivityTask();
    clock.advance(8_000);
    await expectTypes(w, id, (x) => x.includes('ACTIVITY_TASK_TIMED_OUT'));
    const events = await w.history(id);
    const timedOut = events.find((e) => e.activityTaskTimedOutEventAttributes)?.activityTaskTimedOutEventAttributes;
    expect(timedOut?.failure?.timeoutFailureInfo?.timeoutType).toBeOneOf([1, 3]);
    await finish(w, id);
  });

  it('heartbeat: a heartbeat extends the deadline; silence times the activity out', async () => {
    const { w, id } = setup();
    await w.start(id);
    await w.complete(await w.pollWorkflowTask(), [
      cmd.activity('a', { startToClose: 60, heartbeat: 3, maxAttempts: 1 }),
    ]);
    const task = await w.pollActivityTask();
    clock.advance(2_000);
    await t.client.call('RecordActivityTaskHeartbeat', { taskToken: task.taskToken, identity: 'raw' });
    clock.advance(2_000);
    // 4 s after start but 2 s after the heartbeat: still alive.
    await new Promise((r) => setImmediate(r));
    expect(await w.types(id)).not.toContain('ACTIVITY_TASK_TIMED_OUT');
    clock.advance(2_000);
    await expectTypes(w, id, (x) => x.includes('ACTIVITY_TASK_TIMED_OUT'));
    const events = await w.history(id);
    expect(
      events.find((e) => e.activityTaskTimedOutEventAttributes)?.activityTaskTimedOutEventAttributes?.failure
        ?.timeoutFailureInfo?.timeoutType,
    ).toBe(4);
    await finish(w, id);
  });
});

describe('workflow timeouts', () => {
  it('run timeout closes the run with WorkflowExecutionTimedOut', async () => {
    const { w, id } = setup();
    await w.start(id, { workflowRunTimeout: { seconds: 60 } });
    await w.complete(await w.pollWorkflowTask(), [cmd.timer('t', 3600)]);
    clock.advance(60_000);
    const types = await expectTypes(w, id, (x) => x.includes('WORKFLOW_EXECUTION_TIMED_OUT'));
    expect(types[types.length - 1]).toBe('WORKFLOW_EXECUTION_TIMED_OUT');
    expect(historyProblems(await w.history(id), { closed: true })).toEqual([]);
    const d = await t.client.call('DescribeWorkflowExecution', { namespace: 'default', execution: { workflowId: id } });
    expect(d.workflowExecutionInfo?.status).toBe(7);
  });

  it('execution timeout bounds the run too', async () => {
    const { w, id } = setup();
    await w.start(id, { workflowExecutionTimeout: { seconds: 30 } });
    clock.advance(30_000);
    await expectTypes(w, id, (x) => x.includes('WORKFLOW_EXECUTION_TIMED_OUT'));
    expect(historyProblems(await w.history(id), { closed: true })).toEqual([]);
  });

  it('a user timer fires on the durable clock', async () => {
    const { w, id } = setup();
    await w.start(id);
    await w.complete(await w.pollWorkflowTask(), [cmd.timer('t1', 3600)]);
    clock.advance(3_599_000);
    await new Promise((r) => setImmediate(r));
    expect(await w.types(id)).not.toContain('TIMER_FIRED');
    clock.advance(1_000);
    await expectTypes(w, id, (x) => x.includes('TIMER_FIRED'));
    await finish(w, id);
  });

  it('retention deletes a closed run: rows, history and visibility', async () => {
    const { w, id } = setup();
    await w.start(id);
    await w.complete(await w.pollWorkflowTask(), [cmd.complete()]);
    const before = (await t.engine.stats()).visibilityRecords;
    clock.advance(24 * 3600_000);
    await expect
      .poll(
        () =>
          t.client.call('DescribeWorkflowExecution', { namespace: 'default', execution: { workflowId: id } }).then(
            () => 'present',
            (e: { code: number }) => e.code,
          ),
        { timeout: 10_000 },
      )
      .toBe(5);
    await expect(w.history(id)).rejects.toMatchObject({ code: 5 });
    expect((await t.engine.stats()).visibilityRecords).toBeLessThan(before);
  });
});
