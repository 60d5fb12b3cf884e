/**
 * Temporal semantics the engine must honour, checked call by call: buffering of events that arrive while a
 * workflow task is in flight, refusing to close a run with unseen events, request-id dedupe, the workflow-id
 * reuse and conflict policies, queries (riding on a task or as a query task), history paging and long polls.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { toPayloads, fromPayloads } from '../scenarios/sdk/payloads.js';
import { BACKENDS, testEngine, type TestEngine } from './helpers/engine.js';
import { historyProblems } from './helpers/history.js';
import { cmd, RawWorker } from './helpers/raw-worker.js';

let t: TestEngine;

beforeAll(async () => {
  t = await testEngine();
});

afterAll(async () => {
  await t.close();
});

function continueAsNew(taskQueue: string): Parameters<RawWorker['complete']>[1][number] {
  return {
    commandType: 10,
    continueAsNewWorkflowExecutionCommandAttributes: { workflowType: { name: 'raw' }, taskQueue: { name: taskQueue } },
  };
}

function setup(): { w: RawWorker; id: string } {
  return { w: new RawWorker(t.client, `tq-${randomUUID().slice(0, 8)}`), id: `wf-${randomUUID().slice(0, 8)}` };
}

describe('events during an in-flight workflow task', () => {
  it('are buffered and written after WorkflowTaskCompleted, with a new task to report them', async () => {
    const { w, id } = setup();
    await w.start(id);
    const task = await w.pollWorkflowTask();
    await w.signal(id, 's1');
    await w.signal(id, 's2');
    await w.signal(id, 's3');
    // Nothing is written while the task is in flight.
    expect((await w.types(id)).slice(-1)).toEqual(['WORKFLOW_TASK_STARTED']);
    await w.complete(task, []);
    expect((await w.types(id)).slice(3)).toEqual([
      'WORKFLOW_TASK_COMPLETED',
      'WORKFLOW_EXECUTION_SIGNALED',
      'WORKFLOW_EXECUTION_SIGNALED',
      'WORKFLOW_EXECUTION_SIGNALED',
      'WORKFLOW_TASK_SCHEDULED',
    ]);
    const next = await w.pollWorkflowTask();
    expect(next.previousStartedEventId.toNumber()).toBe(3);
    await w.complete(next, [cmd.complete()]);
    expect(historyProblems(await w.history(id), { closed: true })).toEqual([]);
  });

  it('refuse a close command while unseen events wait (UnhandledCommand), then the worker sees them', async () => {
    const { w, id } = setup();
    await w.start(id);
    const task = await w.pollWorkflowTask();
    await w.signal(id);
    // Temporal persists the failed task and tells the worker with InvalidArgument.
    await expect(w.complete(task, [cmd.complete()])).rejects.toMatchObject({
      code: 3,
      details: expect.stringContaining('UnhandledCommand') as string,
    });
    const types = await w.types(id);
    expect(types.slice(3)).toEqual(['WORKFLOW_TASK_FAILED', 'WORKFLOW_EXECUTION_SIGNALED', 'WORKFLOW_TASK_SCHEDULED']);
    const events = await w.history(id);
    expect(events[3]?.workflowTaskFailedEventAttributes?.cause).toBe(1);
    const retry = await w.pollWorkflowTask();
    expect(retry.attempt).toBe(1);
    await w.complete(retry, [cmd.complete()]);
    expect(historyProblems(await w.history(id), { closed: true })).toEqual([]);
  });
});

describe.each(BACKENDS)('addressing a workflow by id only (%s)', (store) => {
  let e: TestEngine;
  beforeAll(async () => {
    e = await testEngine({ store });
  });
  afterAll(async () => {
    await e.close();
  });

  it('follows the current run when a continue-as-new commits while signals wait for the old run', async () => {
    // Signals by workflow id, sent every millisecond while the continue-as-new commits, race it: some read the
    // current row before the commit and then wait for the old run's lock. Every one must land in a live run
    // (the old one before a refused continue-as-new, or the new one); none may fail with "already completed".
    const w = new RawWorker(e.client, `tq-${randomUUID().slice(0, 8)}`);
    const id = `wf-${randomUUID().slice(0, 8)}`;
    await w.start(id);
    const task = await w.pollWorkflowTask();
    const signals: Promise<void>[] = [];
    const completing = w.complete(task, [continueAsNew(w.taskQueue)]).catch(() => undefined);
    await new Promise((r) => setTimeout(r, 1));
    for (let i = 0; i < 40; i++) {
      signals.push(w.signal(id, `s${i}`));
      await new Promise((r) => setTimeout(r, 1));
    }
    await completing;
    const outcomes = await Promise.allSettled(signals);
    const failed = outcomes.filter((o): o is PromiseRejectedResult => o.status === 'rejected');
    expect(failed.map((f) => String(f.reason))).toEqual([]);
    // Every signal is in the history of the chain.
    const names = new Set<string>();
    const runs = await e.client.call('ListWorkflowExecutions', { namespace: 'default', query: `WorkflowId = "${id}"` });
    for (const run of runs.executions) {
      for (const ev of await w.historyOf(id, run.execution?.runId ?? '')) {
        const n = ev.workflowExecutionSignaledEventAttributes?.signalName;
        if (n) names.add(n);
      }
    }
    expect(names.size).toBe(40);
  });
});

describe('start', () => {
  it('deduplicates by request id', async () => {
    const { w, id } = setup();
    const requestId = randomUUID();
    const a = await w.start(id, { requestId });
    const b = await w.start(id, { requestId });
    expect(b).toBe(a);
  });

  it('refuses a second start of a running workflow id (ALREADY_EXISTS), or returns it with USE_EXISTING', async () => {
    const { w, id } = setup();
    const runId = await w.start(id);
    await expect(w.start(id)).rejects.toMatchObject({
      code: 6,
      details: expect.stringContaining('already running') as string,
    });
    const r = await t.client.call('StartWorkflowExecution', {
      namespace: 'default',
      workflowId: id,
      workflowType: { name: 'raw' },
      taskQueue: { name: w.taskQueue },
      requestId: randomUUID(),
      workflowIdConflictPolicy: 2,
    });
    expect(r.runId).toBe(runId);
    expect(r.started).toBe(false);
  });

  it('applies the reuse policy to a closed workflow id', async () => {
    const { w, id } = setup();
    await w.start(id);
    await w.complete(await w.pollWorkflowTask(), [cmd.complete()]);
    await expect(w.start(id, { workflowIdReusePolicy: 3 })).rejects.toMatchObject({ code: 6 });
    await expect(w.start(id, { workflowIdReusePolicy: 2 })).rejects.toMatchObject({ code: 6 });
    const second = await w.start(id, { workflowIdReusePolicy: 1 });
    await t.client.call('TerminateWorkflowExecution', {
      namespace: 'default',
      workflowExecution: { workflowId: id },
      reason: 'test',
    });
    // Terminated counts as failed: ALLOW_DUPLICATE_FAILED_ONLY lets a new run start.
    const third = await w.start(id, { workflowIdReusePolicy: 2 });
    expect(third).not.toBe(second);
  });

  it('TERMINATE_EXISTING ends the running run and starts a new one', async () => {
    const { w, id } = setup();
    const first = await w.start(id);
    const second = await w.start(id, { workflowIdConflictPolicy: 3 });
    expect(second).not.toBe(first);
    const old = await t.client.call('DescribeWorkflowExecution', {
      namespace: 'default',
      execution: { workflowId: id, runId: first },
    });
    expect(old.workflowExecutionInfo?.status).toBe(5);
  });
});

describe('queries', () => {
  it('go to a worker as a query task when no workflow task is pending', async () => {
    const { w, id } = setup();
    await w.start(id);
    await w.complete(await w.pollWorkflowTask(), []);
    const answered = t.client.call(
      'QueryWorkflow',
      {
        namespace: 'default',
        execution: { workflowId: id },
        query: { queryType: 'state', queryArgs: toPayloads('x') },
      },
      { timeoutMs: 10_000 },
    );
    const q = await w.pollWorkflowTask();
    expect(q.query?.queryType).toBe('state');
    expect(fromPayloads(q.query?.queryArgs)).toBe('x');
    await t.client.call('RespondQueryTaskCompleted', {
      taskToken: q.taskToken,
      completedType: 1,
      queryResult: toPayloads(42),
    });
    expect(fromPayloads((await answered).queryResult)).toBe(42);
  });

  it('ride on the next workflow task when one is pending, answered in its completion', async () => {
    const { w, id } = setup();
    await w.start(id);
    const answered = t.client.call(
      'QueryWorkflow',
      { namespace: 'default', execution: { workflowId: id }, query: { queryType: 'state' } },
      { timeoutMs: 10_000 },
    );
    await new Promise((r) => setTimeout(r, 50));
    const task = await w.pollWorkflowTask();
    const [queryId, query] = Object.entries(task.queries ?? {})[0] ?? [];
    expect(query?.queryType).toBe('state');
    await t.client.call('RespondWorkflowTaskCompleted', {
      taskToken: task.taskToken,
      commands: [],
      queryResults: { [queryId ?? '']: { resultType: 1, answer: toPayloads('ok') } },
    });
    expect(fromPayloads((await answered).queryResult)).toBe('ok');
  });

  it('a query the worker fails comes back as an error', async () => {
    const { w, id } = setup();
    await w.start(id);
    await w.complete(await w.pollWorkflowTask(), []);
    // Caught at once: the rejection arrives while the test is still answering the task.
    const answered = t.client
      .call(
        'QueryWorkflow',
        { namespace: 'default', execution: { workflowId: id }, query: { queryType: 'nope' } },
        { timeoutMs: 10_000 },
      )
      .then(
        () => undefined,
        (err: unknown) => err,
      );
    const q = await w.pollWorkflowTask();
    await t.client.call('RespondQueryTaskCompleted', {
      taskToken: q.taskToken,
      completedType: 2,
      errorMessage: 'unknown query type nope',
    });
    expect(await answered).toMatchObject({ code: 3, details: 'unknown query type nope' });
  });
});

describe('history reads', () => {
  it('pages through a long history', async () => {
    const { w, id } = setup();
    await w.start(id);
    const task = await w.pollWorkflowTask();
    await w.complete(task, []);
    for (let i = 0; i < 30; i++) await w.signal(id, `s${i}`);
    const all: number[] = [];
    let token: Uint8Array | undefined;
    do {
      const page = await t.client.call('GetWorkflowExecutionHistory', {
        namespace: 'default',
        execution: { workflowId: id },
        maximumPageSize: 7,
        ...(token ? { nextPageToken: token } : {}),
      });
      all.push(...(page.history?.events ?? []).map((e) => Number(e.eventId)));
      token = page.nextPageToken.length > 0 ? page.nextPageToken : undefined;
    } while (token);
    expect(all).toEqual(Array.from({ length: all.length }, (_, i) => i + 1));
    expect(all.length).toBeGreaterThanOrEqual(34);
  });

  it('holds a long poll for the close event and answers exactly that event', async () => {
    const { w, id } = setup();
    await w.start(id);
    const closeEvent = t.client.call(
      'GetWorkflowExecutionHistory',
      { namespace: 'default', execution: { workflowId: id }, waitNewEvent: true, historyEventFilterType: 2 },
      { timeoutMs: 10_000 },
    );
    await w.complete(await w.pollWorkflowTask(), [cmd.complete()]);
    const r = await closeEvent;
    expect((r.history?.events ?? []).map((e) => e.eventType)).toEqual([2]);
  });
});

describe('visibility', () => {
  it('lists and counts by status', async () => {
    const prefix = `vis-${randomUUID().slice(0, 6)}`;
    const w = new RawWorker(t.client, `tq-${prefix}`);
    await w.start(`${prefix}-a`);
    await w.start(`${prefix}-b`);
    await t.client.call('TerminateWorkflowExecution', {
      namespace: 'default',
      workflowExecution: { workflowId: `${prefix}-b` },
    });
    await expect
      .poll(async () => {
        const r = await t.client.call('CountWorkflowExecutions', {
          namespace: 'default',
          query: `WorkflowId STARTS_WITH "${prefix}" GROUP BY ExecutionStatus`,
        });
        return r.groups.map((g) => `${String(fromPayloads({ payloads: g.groupValues }))}=${Number(g.count)}`).sort();
      })
      .toEqual(['Running=1', 'Terminated=1']);
    const list = await t.client.call('ListWorkflowExecutions', {
      namespace: 'default',
      query: `WorkflowId STARTS_WITH "${prefix}" AND ExecutionStatus = "Running"`,
    });
    expect(list.executions.map((e) => e.execution?.workflowId)).toEqual([`${prefix}-a`]);
    await expect(
      t.client.call('ListWorkflowExecutions', { namespace: 'default', query: 'Bogus = 1' }),
    ).rejects.toMatchObject({ code: 3 });
  });
});
