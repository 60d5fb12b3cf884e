/**
 * Operator APIs with the real @temporalio/worker and @temporalio/client against the engine, on the memory store and
 * on Cassandra: DescribeTaskQueue (the worker's pollers, the queue's status) and ResetWorkflowExecution (a new run
 * from a workflow task's end, the old run terminated), asserting the histories Temporal writes.
 */
import { randomUUID } from 'node:crypto';
import type { WorkflowHandle } from '@temporalio/client';
import proto from '@temporalio/proto';
import Long from 'long';
import { describe, expect, it } from 'vitest';
import { BACKENDS, testEngine } from './helpers/engine.js';
import { eventTypes, historyProblems } from './helpers/history.js';
import { sdkWarnings, useSdk } from './helpers/sdk.js';
import { updateWorkflowsBundle } from './helpers/update-bundle.js';
import * as pausableActivities from './temporal-sdk/pausable-activities.js';
import * as wfs from './temporal-sdk/update-workflows.js';

const { TaskQueueType, WorkflowTaskFailedCause } = proto.temporal.api.enums.v1;

describe.each(BACKENDS)('operator APIs on the %s store', (store) => {
  const TQ = 'sdk-operator-apis';
  const IDENTITY = 'operator-apis-worker@test';
  const sdk = useSdk(
    () => testEngine({ store }),
    TQ,
    async () => ({
      workflowBundle: await updateWorkflowsBundle(),
      activities: pausableActivities,
      identity: IDENTITY,
    }),
  );

  const id = (prefix: string): string => `${prefix}-${randomUUID().slice(0, 8)}`;

  it('DescribeTaskQueue lists the polling worker with its last access time, and the queue status on request', async () => {
    // One workflow through, so the worker has polled both queue types.
    const h = await sdk.client.workflow.start(wfs.counter, { taskQueue: TQ, workflowId: id('describe'), args: [0] });
    await h.signal(wfs.finish);
    await h.result();
    const before = Date.now();
    const d = await sdk.client.workflowService.describeTaskQueue({
      namespace: 'default',
      taskQueue: { name: TQ },
      taskQueueType: TaskQueueType.TASK_QUEUE_TYPE_WORKFLOW,
      includeTaskQueueStatus: true,
      reportStats: true,
    });
    const poller = d.pollers.find((p) => p.identity === IDENTITY);
    expect(poller).toBeDefined();
    const at = Number(poller?.lastAccessTime?.seconds) * 1000;
    expect(at).toBeGreaterThan(before - 120_000);
    expect(poller?.ratePerSecond).toBe(100_000);
    expect(d.taskQueueStatus).toBeTruthy();
    expect(Number(d.stats?.approximateBacklogCount)).toBe(0);
    const none = await sdk.client.workflowService.describeTaskQueue({
      namespace: 'default',
      taskQueue: { name: 'nobody-polls-this' },
    });
    expect(none.pollers).toEqual([]);
  });

  it('ResetWorkflowExecution starts a new run from a workflow task and terminates the old one', async () => {
    const h = await sdk.client.workflow.start(wfs.counter, { taskQueue: TQ, workflowId: id('reset'), args: [0] });
    expect(await h.executeUpdate(wfs.add, { args: [5] })).toBe(5);
    const base = (await h.fetchHistory()).events ?? [];
    const firstCompleted = base.find((e) => e.workflowTaskCompletedEventAttributes);
    const { runId } = await sdk.client.workflowService.resetWorkflowExecution({
      namespace: 'default',
      workflowExecution: { workflowId: h.workflowId },
      workflowTaskFinishEventId: firstCompleted?.eventId,
      reason: 'undo the update',
      requestId: randomUUID(),
    });
    expect(runId).toBeTruthy();
    // The new run is the workflow's current run.
    expect((await sdk.client.workflow.getHandle(h.workflowId).describe()).runId).toBe(runId);
    const reset = sdk.client.workflow.getHandle(h.workflowId, runId);
    // The update applied after the reset point is gone from the new run.
    expect(await reset.query(wfs.total)).toBe(0);
    await reset.signal(wfs.finish);
    expect(await reset.result()).toBe(0);

    const events = (await reset.fetchHistory()).events ?? [];
    expect(historyProblems(events, { closed: true })).toEqual([]);
    const types = eventTypes(events);
    expect(types.slice(0, 5)).toEqual([
      'WORKFLOW_EXECUTION_STARTED',
      'WORKFLOW_TASK_SCHEDULED',
      'WORKFLOW_TASK_STARTED',
      'WORKFLOW_TASK_FAILED',
      'WORKFLOW_TASK_SCHEDULED',
    ]);
    expect(types).not.toContain('WORKFLOW_EXECUTION_UPDATE_ACCEPTED');
    const failed = events[3]?.workflowTaskFailedEventAttributes;
    expect(failed?.cause).toBe(WorkflowTaskFailedCause.WORKFLOW_TASK_FAILED_CAUSE_RESET_WORKFLOW);
    expect(failed?.newRunId).toBe(runId);
    expect(failed?.failure?.message).toBe('undo the update');
    // Copied verbatim: the started event is the base run's.
    expect(events[0]?.workflowExecutionStartedEventAttributes?.originalExecutionRunId).toBe(
      base[0]?.workflowExecutionStartedEventAttributes?.originalExecutionRunId,
    );

    const baseRun = sdk.client.workflow.getHandle(h.workflowId, firstRunId(base));
    expect((await baseRun.describe()).status.name).toBe('TERMINATED');
    const baseTypes = eventTypes((await baseRun.fetchHistory()).events ?? []);
    expect(baseTypes.at(-1)).toBe('WORKFLOW_EXECUTION_TERMINATED');

    const bad = await sdk.client.workflowService
      .resetWorkflowExecution({
        namespace: 'default',
        workflowExecution: { workflowId: h.workflowId, runId },
        workflowTaskFinishEventId: Long.fromNumber(1),
        reason: 'too early',
        requestId: randomUUID(),
      })
      .catch((e: unknown) => e);
    expect((bad as { code?: number }).code).toBe(3);
  });

  it('PauseActivity holds back the next attempt of a running activity until UnpauseActivity', async () => {
    const h = await sdk.client.workflow.start(wfs.runsPausable, { taskQueue: TQ, workflowId: id('pause') });
    const execution = { workflowId: h.workflowId };
    // Wait for the first attempt to run (it heartbeats until stopped).
    await startedActivity(h);
    await sdk.client.workflowService.pauseActivity({
      namespace: 'default',
      execution,
      type: 'pausable',
      reason: 'hold it',
      requestId: randomUUID(),
      identity: 'operator',
    });
    const again = await sdk.client.workflowService
      .pauseActivity({ namespace: 'default', execution, type: 'pausable', requestId: randomUUID() })
      .catch((e: unknown) => e);
    expect((again as { code?: number }).code).toBe(9);
    // The heartbeat tells the worker, the attempt fails, and no retry follows while paused (unpaused, the 100 ms
    // backoff would have completed the workflow long before).
    await new Promise((r) => setTimeout(r, 3000));
    const held = await h.describe();
    expect(held.status.name).toBe('RUNNING');
    const pending = held.raw.pendingActivities?.[0];
    expect(pending?.state).toBe(proto.temporal.api.enums.v1.PendingActivityState.PENDING_ACTIVITY_STATE_PAUSED);
    expect(pending?.attempt).toBe(2);
    expect(pending?.pauseInfo?.manual?.reason).toBe('hold it');
    await sdk.client.workflowService.unpauseActivity({ namespace: 'default', execution, type: 'pausable' });
    expect(await h.result()).toBe('done on attempt 2');
    const events = (await h.fetchHistory()).events ?? [];
    expect(historyProblems(events, { closed: true })).toEqual([]);
    const started = events.filter((e) => e.activityTaskStartedEventAttributes);
    expect(started).toHaveLength(1);
    expect(started[0]?.activityTaskStartedEventAttributes?.attempt).toBe(2);
    const missing = await sdk.client.workflowService
      .pauseActivity({ namespace: 'default', execution, id: 'nope' })
      .catch((e: unknown) => e);
    expect((missing as { code?: number }).code).toBe(5);
  });

  it("UpdateActivityOptions shortens a running activity's start-to-close timeout", async () => {
    const h = await sdk.client.workflow.start(wfs.runsSlow, { taskQueue: TQ, workflowId: id('options') });
    await startedActivity(h);
    const startedAt = Date.now();
    const response = await sdk.client.workflowService.updateActivityOptions({
      namespace: 'default',
      execution: { workflowId: h.workflowId },
      type: 'slow',
      activityOptions: { startToCloseTimeout: { seconds: Long.fromNumber(1) } },
      updateMask: { paths: ['start_to_close_timeout'] },
    });
    expect(Number(response.activityOptions?.startToCloseTimeout?.seconds)).toBe(1);
    // Cut off at one second instead of finishing its three.
    expect(await h.result()).toBe('timed out');
    const types = eventTypes((await h.fetchHistory()).events ?? []);
    expect(types).toContain('ACTIVITY_TASK_TIMED_OUT');
    const noMask = await sdk.client.workflowService
      .updateActivityOptions({
        namespace: 'default',
        execution: { workflowId: h.workflowId },
        type: 'slow',
        activityOptions: {},
      })
      .catch((e: unknown) => e);
    expect((noMask as Error).message).toContain('UpdateMask is not provided');
    // The worker finishes the cut-off attempt after its three seconds and is told NOT_FOUND (Temporal's answer too);
    // wait for that here, so the warning it logs is known before the warnings are checked.
    await new Promise((r) => setTimeout(r, Math.max(0, startedAt + 3500 - Date.now())));
  });

  it('ResetActivity puts a running activity back to attempt 1, so the attempt it ends is retried as attempt 2', async () => {
    const h = await sdk.client.workflow.start(wfs.runsResettable, { taskQueue: TQ, workflowId: id('reset-activity') });
    await startedActivity(h);
    await sdk.client.workflowService.resetActivity({
      namespace: 'default',
      execution: { workflowId: h.workflowId },
      type: 'resettable',
    });
    // The heartbeat tells the worker, the attempt ends, and the retry policy counts on from 1, as in Temporal: the
    // next attempt is 2 (keeping its heartbeat details). Restarting at 1 again would reset it over and over.
    expect(await h.result()).toBe('restarted at attempt 2');
    const events = (await h.fetchHistory()).events ?? [];
    expect(historyProblems(events, { closed: true })).toEqual([]);
    const started = events.filter((e) => e.activityTaskStartedEventAttributes);
    expect(started.map((e) => e.activityTaskStartedEventAttributes?.attempt)).toEqual([2]);
  });

  it('logs no SDK warnings (but the completion of the attempt UpdateActivityOptions cut off)', () => {
    const cutOff = (w: string): boolean =>
      w.includes('Activity not found on completion') && tokenWorkflowIds(w).some((wid) => wid.startsWith('options-'));
    expect(sdkWarnings().filter((w) => !cutOff(w))).toEqual([]);
  });
});

function firstRunId(events: proto.temporal.api.history.v1.IHistoryEvent[]): string {
  return events[0]?.workflowExecutionStartedEventAttributes?.originalExecutionRunId ?? '';
}

/** Waits until the workflow's first pending activity has started. */
async function startedActivity(h: WorkflowHandle): Promise<void> {
  for (let i = 0; i < 100; i++) {
    const pending = (await h.describe()).raw.pendingActivities ?? [];
    if (pending[0]?.state === proto.temporal.api.enums.v1.PendingActivityState.PENDING_ACTIVITY_STATE_STARTED) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`no activity of ${h.workflowId} started`);
}

/** Workflow ids in the engine's task tokens (base64 JSON) that a warning line quotes. */
function tokenWorkflowIds(line: string): string[] {
  return [...line.matchAll(/TaskToken\(([A-Za-z0-9+/=_-]+)\)/g)].flatMap((m) => {
    try {
      const token = JSON.parse(Buffer.from(m[1] ?? '', 'base64').toString('utf8')) as { wid?: unknown };
      return typeof token.wid === 'string' ? [token.wid] : [];
    } catch {
      return [];
    }
  });
}
