/**
 * Temporal's limits, ended the way Temporal ends them, checked on the history the engine serves over gRPC: a
 * completion that would hold more than 2,000 pending activities fails its workflow task with
 * PENDING_ACTIVITIES_LIMIT_EXCEEDED (and 2,000 are accepted); pending timers are capped the same way; pending
 * children, signals and cancel requests to other workflows fail it with their own causes (the run's pending ones
 * counted with the completion's); a history past the count or size limit gets suggestContinueAsNew on its
 * WorkflowTaskStarted events first, then is terminated by the history service with Temporal's reason while the call
 * that pushed it over gets InvalidArgument; payloads over the blob limit are refused; /metrics lists every limit by
 * its Temporal key. Limits other than the pending activities one are lowered per engine so that each test stays
 * small.
 */
import { randomUUID } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { grpc } from '../bench/client/workflow-service.js';
import { enums } from '../engine/proto.js';
import { cmd, RawWorker, type Command } from './helpers/raw-worker.js';
import { testEngine, type TestEngine } from './helpers/engine.js';
import { sdkClient, sdkWorker } from './helpers/sdk.js';
import type * as workflows from './temporal-sdk/workflows.js';

let t: TestEngine | undefined;
afterEach(async () => {
  await t?.close();
  t = undefined;
});

const E = enums.EventType;
const Cause = enums.WorkflowTaskFailedCause;

async function codeOf(p: Promise<unknown>): Promise<{ code: number; details: string }> {
  try {
    await p;
    return { code: grpc.status.OK, details: '' };
  } catch (err) {
    const se = err as grpc.ServiceError;
    return { code: se.code, details: se.details };
  }
}

function marker(i: number): Command {
  return {
    commandType: enums.CommandType.COMMAND_TYPE_RECORD_MARKER,
    recordMarkerCommandAttributes: { markerName: `m${i}` },
  };
}

describe('pending activities (limit.numPendingActivities.error, 2,000)', () => {
  it('the 2,001st fails the workflow task with PENDING_ACTIVITIES_LIMIT_EXCEEDED; 2,000 are accepted', async () => {
    t = await testEngine({ numShards: 1 });
    const w = new RawWorker(t.client, `tq-${randomUUID().slice(0, 8)}`);
    await w.start('too-many-activities');
    const task = await w.pollWorkflowTask();
    const many = Array.from({ length: 2001 }, (_, i) => cmd.activity(`a${i}`, { startToClose: 60 }));
    const refused = await codeOf(w.complete(task, many));
    expect(refused.code).toBe(grpc.status.INVALID_ARGUMENT);
    expect(refused.details).toBe(
      'PendingActivitiesLimitExceeded: the number of pending activities, 2000, has reached the per-workflow limit of 2000',
    );
    const events = await w.history('too-many-activities');
    const failed = events.find((e) => e.eventType === E.EVENT_TYPE_WORKFLOW_TASK_FAILED);
    expect(failed?.workflowTaskFailedEventAttributes?.cause).toBe(
      Cause.WORKFLOW_TASK_FAILED_CAUSE_PENDING_ACTIVITIES_LIMIT_EXCEEDED,
    );
    expect(failed?.workflowTaskFailedEventAttributes?.failure?.message).toMatch(/per-workflow limit of 2000/);
    // Nothing of the refused completion was applied.
    expect(events.some((e) => e.eventType === E.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED)).toBe(false);

    const retry = await w.pollWorkflowTask();
    await w.complete(retry, many.slice(0, 2000));
    const after = await w.history('too-many-activities');
    expect(after.filter((e) => e.eventType === E.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED)).toHaveLength(2000);
  });
});

describe('pending timers (stampede caps them like activities)', () => {
  it('a completion reaching the cap fails with BAD_START_TIMER_ATTRIBUTES and the limit in the message', async () => {
    t = await testEngine({ numShards: 1, limits: { pendingTimers: 3 } });
    const w = new RawWorker(t.client, `tq-${randomUUID().slice(0, 8)}`);
    await w.start('too-many-timers');
    const task = await w.pollWorkflowTask();
    const refused = await codeOf(
      w.complete(
        task,
        [1, 2, 3, 4].map((i) => cmd.timer(`t${i}`, 600)),
      ),
    );
    expect(refused.details).toMatch(/the number of pending timers, 3, has reached the per-workflow limit of 3/);
    const failed = (await w.history('too-many-timers')).find((e) => e.eventType === E.EVENT_TYPE_WORKFLOW_TASK_FAILED);
    expect(failed?.workflowTaskFailedEventAttributes?.cause).toBe(
      Cause.WORKFLOW_TASK_FAILED_CAUSE_BAD_START_TIMER_ATTRIBUTES,
    );
  });
});

describe('history count (limit.historyCount.*)', () => {
  it('suggests continue-as-new, then terminates the run with Temporal reason; the caller gets InvalidArgument', async () => {
    t = await testEngine({
      numShards: 1,
      limits: { historyCountSuggestContinueAsNew: 10, historyCountWarn: 15, historyCountError: 30 },
    });
    const w = new RawWorker(t.client, `tq-${randomUUID().slice(0, 8)}`);
    const id = 'long-history';
    await w.start(id);
    const first = await w.pollWorkflowTask();
    const started = (ev: typeof first.history) =>
      (ev?.events ?? []).filter((e) => e.eventType === E.EVENT_TYPE_WORKFLOW_TASK_STARTED).at(-1)
        ?.workflowTaskStartedEventAttributes;
    expect(started(first.history)?.suggestContinueAsNew).toBe(false);
    // 8 markers: the next task starts at event 14, past the suggestion (10) and the warning (15 after it).
    await t.client.call('RespondWorkflowTaskCompleted', {
      taskToken: first.taskToken,
      identity: 'raw',
      commands: Array.from({ length: 8 }, (_, i) => marker(i)),
      forceCreateNewWorkflowTask: true,
    });
    const second = await w.pollWorkflowTask();
    const attrs = started(second.history);
    expect(attrs?.suggestContinueAsNew).toBe(true);
    expect(attrs?.suggestContinueAsNewReasons).toEqual([
      enums.SuggestContinueAsNewReason.SUGGEST_CONTINUE_AS_NEW_REASON_TOO_MANY_HISTORY_EVENTS,
    ]);
    // 20 more markers would take it to ~36 events, past 30: the completion is refused and the run terminated.
    const over = await codeOf(
      w.complete(
        second,
        Array.from({ length: 20 }, (_, i) => marker(100 + i)),
      ),
    );
    expect(over).toEqual({ code: grpc.status.INVALID_ARGUMENT, details: 'Workflow history count exceeds limit.' });
    const events = await w.history(id);
    const last = events.at(-1);
    expect(last?.eventType).toBe(E.EVENT_TYPE_WORKFLOW_EXECUTION_TERMINATED);
    expect(last?.workflowExecutionTerminatedEventAttributes?.reason).toBe('Workflow history count exceeds limit.');
    expect(last?.workflowExecutionTerminatedEventAttributes?.identity).toBe('history-service');
    // The task in flight was failed first, as Temporal's TerminateWorkflow does; none of the 20 markers landed.
    expect(events.at(-2)?.workflowTaskFailedEventAttributes?.cause).toBe(
      Cause.WORKFLOW_TASK_FAILED_CAUSE_FORCE_CLOSE_COMMAND,
    );
    expect(events.filter((e) => e.eventType === E.EVENT_TYPE_MARKER_RECORDED)).toHaveLength(8);
  });
});

describe('continue-as-new suggested to the real SDK', () => {
  it('workflowInfo().continueAsNewSuggested turns true at limit.historyCount.suggestContinueAsNew', async () => {
    t = await testEngine({ numShards: 1, limits: { historyCountSuggestContinueAsNew: 20 } });
    const tq = `sdk-limits-${randomUUID().slice(0, 8)}`;
    const { worker, connection } = await sdkWorker(t.engine.address, tq);
    const running = worker.run();
    const { client, connection: cc } = await sdkClient(t.engine.address);
    try {
      const h = await client.workflow.start<typeof workflows.untilSuggested>('untilSuggested', {
        taskQueue: tq,
        workflowId: `suggested-${randomUUID().slice(0, 8)}`,
        args: [false],
      });
      expect(await h.result()).toBe('continued');
      const first = await client.workflow.getHandle(h.workflowId, h.firstExecutionRunId).fetchHistory();
      const started = (first.events ?? []).flatMap((e) =>
        e.workflowTaskStartedEventAttributes
          ? [{ id: Number(e.eventId), a: e.workflowTaskStartedEventAttributes }]
          : [],
      );
      // Suggested from the first task started at event 20 on, never before.
      expect(started.filter((s) => s.a.suggestContinueAsNew).every((s) => s.id >= 20)).toBe(true);
      expect(started.filter((s) => !s.a.suggestContinueAsNew).every((s) => s.id < 20)).toBe(true);
      expect(started.at(-1)?.a.suggestContinueAsNew).toBe(true);
      expect((first.events ?? []).at(-1)?.workflowExecutionContinuedAsNewEventAttributes).toBeTruthy();
    } finally {
      worker.shutdown();
      await running;
      await connection.close();
      await cc.close();
    }
  });
});

describe('history size (limit.historySize.*)', () => {
  it('signals that grow the history past the size limit terminate the run with Temporal reason', async () => {
    t = await testEngine({
      numShards: 1,
      limits: { historySizeSuggestContinueAsNewBytes: 4096, historySizeWarnBytes: 8192, historySizeErrorBytes: 16_384 },
    });
    const w = new RawWorker(t.client, `tq-${randomUUID().slice(0, 8)}`);
    const id = 'big-history';
    await w.start(id);
    const payload = {
      payloads: [{ metadata: { encoding: Buffer.from('binary/plain') }, data: Buffer.alloc(6000, 7) }],
    };
    const send = () =>
      codeOf(
        t!.client.call('SignalWorkflowExecution', {
          namespace: 'default',
          workflowExecution: { workflowId: id },
          signalName: 'grow',
          input: payload,
          requestId: randomUUID(),
        }),
      );
    const codes = [];
    for (let i = 0; i < 6; i++) codes.push(await send());
    // Three 6 KB signals persist ~18 KB: the next update is refused and the run terminated.
    expect(codes.slice(0, 3).every((c) => c.code === grpc.status.OK)).toBe(true);
    expect(codes[3]).toEqual({ code: grpc.status.INVALID_ARGUMENT, details: 'Workflow history size exceeds limit.' });
    // Once closed, further signals find a completed run.
    expect(codes[4]?.code).toBe(grpc.status.NOT_FOUND);
    const events = await w.history(id);
    expect(events.at(-1)?.workflowExecutionTerminatedEventAttributes?.reason).toBe(
      'Workflow history size exceeds limit.',
    );
  });
});

describe('blob size (limit.blobSize.*)', () => {
  it('a 2 MiB + 1 payload is refused, one over the warn limit is accepted and counted, and /metrics lists the limits', async () => {
    t = await testEngine({ numShards: 1, metricsPort: 0 });
    const blob = (n: number) => ({ payloads: [{ metadata: {}, data: Buffer.alloc(n, 1) }] });
    const start = (id: string, n: number) =>
      codeOf(
        t!.client.call('StartWorkflowExecution', {
          namespace: 'default',
          workflowId: id,
          workflowType: { name: 'w' },
          taskQueue: { name: 'tq-blob' },
          input: blob(n),
          requestId: randomUUID(),
        }),
      );
    expect(await start('blob-big', 2 * 1024 * 1024 + 1)).toEqual({
      code: grpc.status.INVALID_ARGUMENT,
      details: 'Blob data size exceeds limit.',
    });
    expect((await start('blob-warn', 600 * 1024)).code).toBe(grpc.status.OK);
    const text = await (await fetch(`http://127.0.0.1:${t.engine.metricsPort}/metrics`)).text();
    expect(text).toMatch(/^stampede_limit_blob_size_warnings_total 1$/m);
    expect(text).toMatch(/^stampede_limit\{key="limit.blobSize.error"\} 2097152$/m);
    expect(text).toMatch(/^stampede_limit\{key="limit.numPendingActivities.error"\} 2000$/m);
    expect(text).toMatch(/^stampede_limit\{key="limit.historyCount.error"\} 51200$/m);
  });
});

describe('pending children, external signals and cancel requests (limit.numPending*.error)', () => {
  const T = enums.CommandType;
  const children = {
    kind: 'child workflow executions',
    limits: { pendingChildExecutions: 2 },
    command: (i: number): Command => ({
      commandType: T.COMMAND_TYPE_START_CHILD_WORKFLOW_EXECUTION,
      // Nobody polls the children's queue: they stay pending (started, never closed).
      startChildWorkflowExecutionCommandAttributes: {
        workflowId: `child-${randomUUID().slice(0, 8)}-${i}`,
        workflowType: { name: 'child' },
        taskQueue: { name: 'tq-unpolled-children' },
      },
    }),
    initiated: E.EVENT_TYPE_START_CHILD_WORKFLOW_EXECUTION_INITIATED,
    cause: Cause.WORKFLOW_TASK_FAILED_CAUSE_PENDING_CHILD_WORKFLOWS_LIMIT_EXCEEDED,
    details:
      'PendingChildWorkflowsLimitExceeded: the number of pending child workflow executions, 2, has reached the per-workflow limit of 2',
  };
  const cases = [
    children,
    {
      kind: 'signals to external workflows',
      limits: { pendingSignals: 2 },
      command: (i: number): Command => ({
        commandType: T.COMMAND_TYPE_SIGNAL_EXTERNAL_WORKFLOW_EXECUTION,
        signalExternalWorkflowExecutionCommandAttributes: {
          execution: { workflowId: `target-${i}` },
          signalName: 'ping',
        },
      }),
      initiated: E.EVENT_TYPE_SIGNAL_EXTERNAL_WORKFLOW_EXECUTION_INITIATED,
      cause: Cause.WORKFLOW_TASK_FAILED_CAUSE_PENDING_SIGNALS_LIMIT_EXCEEDED,
      details:
        'PendingSignalsLimitExceeded: the number of pending signals to external workflows, 2, has reached the per-workflow limit of 2',
    },
    {
      kind: 'requests to cancel external workflows',
      limits: { pendingCancelRequests: 2 },
      command: (i: number): Command => ({
        commandType: T.COMMAND_TYPE_REQUEST_CANCEL_EXTERNAL_WORKFLOW_EXECUTION,
        requestCancelExternalWorkflowExecutionCommandAttributes: { workflowId: `target-${i}` },
      }),
      initiated: E.EVENT_TYPE_REQUEST_CANCEL_EXTERNAL_WORKFLOW_EXECUTION_INITIATED,
      cause: Cause.WORKFLOW_TASK_FAILED_CAUSE_PENDING_REQUEST_CANCEL_LIMIT_EXCEEDED,
      details:
        'PendingRequestCancelLimitExceeded: the number of pending requests to cancel external workflows, 2, has reached the per-workflow limit of 2',
    },
  ];

  it.each(cases)(
    "a completion with one past the limit of 2 pending $kind fails with Temporal's cause; 2 are accepted",
    async ({ limits, command, initiated, cause, details }) => {
      t = await testEngine({ numShards: 1, limits });
      const w = new RawWorker(t.client, `tq-${randomUUID().slice(0, 8)}`);
      const id = `pending-${randomUUID().slice(0, 8)}`;
      await w.start(id);
      const task = await w.pollWorkflowTask();
      const refused = await codeOf(w.complete(task, [0, 1, 2].map(command)));
      expect(refused).toEqual({ code: grpc.status.INVALID_ARGUMENT, details });
      const events = await w.history(id);
      const failed = events.find((e) => e.eventType === E.EVENT_TYPE_WORKFLOW_TASK_FAILED);
      expect(failed?.workflowTaskFailedEventAttributes?.cause).toBe(cause);
      expect(failed?.workflowTaskFailedEventAttributes?.failure?.message).toMatch(/per-workflow limit of 2/);
      // Nothing of the refused completion was applied: not even the two commands within the limit.
      expect(events.some((e) => e.eventType === initiated)).toBe(false);

      const retry = await w.pollWorkflowTask();
      await w.complete(retry, [0, 1].map(command));
      const after = await w.history(id);
      expect(after.filter((e) => e.eventType === initiated)).toHaveLength(2);
    },
  );

  it('children the run already holds count: with 2 pending, the next task cannot start a third', async () => {
    t = await testEngine({ numShards: 1, limits: { pendingChildExecutions: 2 } });
    const w = new RawWorker(t.client, `tq-${randomUUID().slice(0, 8)}`);
    const id = `pending-held-${randomUUID().slice(0, 8)}`;
    await w.start(id);
    await w.complete(await w.pollWorkflowTask(), [0, 1].map(children.command));
    // ChildWorkflowExecutionStarted schedules the parent's next task; both children stay open.
    const next = await w.pollWorkflowTask();
    const refused = await codeOf(w.complete(next, [children.command(2)]));
    expect(refused).toEqual({ code: grpc.status.INVALID_ARGUMENT, details: children.details });
    const events = await w.history(id);
    expect(events.filter((e) => e.eventType === E.EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_STARTED)).toHaveLength(2);
    const failed = events.filter((e) => e.eventType === E.EVENT_TYPE_WORKFLOW_TASK_FAILED);
    expect(failed.at(-1)?.workflowTaskFailedEventAttributes?.cause).toBe(children.cause);
  });
});
