/**
 * Child workflows, signals and cancels between workflows, workflow retries, cron and start delay, and Temporal's
 * smaller behaviours (workflow-task failure pacing, signal-with-start TERMINATE_EXISTING, memo deletion,
 * continue-as-new suggestion, user metadata, build id), with the real @temporalio/worker and @temporalio/client
 * against the engine, on the memory store and on Cassandra. Each test checks the result and the history's events
 * as Temporal writes them. The engine runs at time-scale 60 (a minute of workflow time per second), so cron,
 * backoffs and delays take moments.
 */
import { randomUUID } from 'node:crypto';
import type { WorkflowHandle } from '@temporalio/client';
import proto from '@temporalio/proto';
import { ParentClosePolicy } from '@temporalio/workflow';
import { beforeAll, describe, expect, it } from 'vitest';
import { shardFor } from '../engine/util/hash.js';
import { openStoreReader, type StoredRun } from '../engine/index.js';
import { familyProblems } from '../bench/verify/family-check.js';
import { verifyThroughApi } from '../bench/verify/api-verify.js';
import { BACKENDS, testCluster, testEngine } from './helpers/engine.js';
import { eventTypes, historyProblems } from './helpers/history.js';
import { sdkWarnings, useSdk } from './helpers/sdk.js';
import type * as workflows from './temporal-sdk/workflows.js';

const SCALE = 60;
const RetryState = proto.temporal.api.enums.v1.RetryState;
const Initiator = proto.temporal.api.enums.v1.ContinueAsNewInitiator;
const BUILD_ID = 'build-18a';

describe.each(BACKENDS)('on the %s store', (store) => {
  const TQ = 'sdk-children';
  const sdk = useSdk(() => testEngine({ store, timeScale: SCALE, defaultRetentionMs: 3650 * 86400_000 }), TQ, {
    buildId: BUILD_ID,
  });
  let namespaceId: string;

  beforeAll(async () => {
    const ns = await sdk.client.workflowService.describeNamespace({ namespace: 'default' });
    namespaceId = ns.namespaceInfo?.id ?? '';
  });

  function id(prefix: string): string {
    return `${prefix}-${randomUUID().slice(0, 8)}`;
  }

  /** A workflow id on another shard than `other` (so the test crosses shards). */
  function idOnOtherShard(prefix: string, other: string): string {
    const shards = 4;
    for (;;) {
      const candidate = id(prefix);
      if (shardFor(namespaceId, candidate, shards) !== shardFor(namespaceId, other, shards)) return candidate;
    }
  }

  async function history(handle: WorkflowHandle, closed = true) {
    const events = (await handle.fetchHistory()).events ?? [];
    expect(historyProblems(events, { closed })).toEqual([]);
    return events;
  }

  describe('child workflows', () => {
    it('runs children on another shard and records their start and completion on the parent', async () => {
      const parentId = id('parent');
      const childId = idOnOtherShard('child', parentId);
      const h = await sdk.client.workflow.start<typeof workflows.parentOfGreeting>('parentOfGreeting', {
        taskQueue: TQ,
        workflowId: parentId,
        args: [childId],
      });
      expect(await h.result()).toBe(`hello, child | parent=${parentId} root=${parentId}`);
      const events = await history(h);
      const types = eventTypes(events);
      expect(types.filter((x) => x === 'START_CHILD_WORKFLOW_EXECUTION_INITIATED')).toHaveLength(2);
      expect(types.filter((x) => x === 'CHILD_WORKFLOW_EXECUTION_STARTED')).toHaveLength(2);
      expect(types.filter((x) => x === 'CHILD_WORKFLOW_EXECUTION_COMPLETED')).toHaveLength(2);
      const initiated = events.find((e) => e.startChildWorkflowExecutionInitiatedEventAttributes);
      expect(initiated?.startChildWorkflowExecutionInitiatedEventAttributes).toMatchObject({
        workflowId: childId,
        workflowType: { name: 'childInfo' },
        parentClosePolicy: 1, // TERMINATE, the default
      });
      const started = events.find((e) => e.childWorkflowExecutionStartedEventAttributes);
      const completed = events.find((e) => e.childWorkflowExecutionCompletedEventAttributes);
      expect(Number(completed?.childWorkflowExecutionCompletedEventAttributes?.startedEventId)).toBe(
        Number(started?.eventId),
      );
      // The child: its start names the parent, its first workflow task follows the parent's record of the start.
      const child = sdk.client.workflow.getHandle(childId);
      const childEvents = await history(child);
      const childStart = childEvents[0]?.workflowExecutionStartedEventAttributes;
      expect(childStart?.parentWorkflowExecution?.workflowId).toBe(parentId);
      expect(Number(childStart?.parentInitiatedEventId)).toBe(Number(initiated?.eventId));
      expect(childStart?.rootWorkflowExecution?.workflowId).toBe(parentId);
      const described = await child.describe();
      expect(described.parentExecution?.workflowId).toBe(parentId);
      expect(described.rootExecution?.workflowId).toBe(parentId);
      expect(await described.staticSummary()).toBe('the child');
    });

    it('reports a failed child to the parent as a ChildWorkflowFailure', async () => {
      const parentId = id('parent');
      const h = await sdk.client.workflow.start<typeof workflows.parentOfFailing>('parentOfFailing', {
        taskQueue: TQ,
        workflowId: parentId,
        args: [idOnOtherShard('failing', parentId)],
      });
      expect(await h.result()).toBe('ChildBoom: child failed');
      const events = await history(h);
      const failed = events.find((e) => e.childWorkflowExecutionFailedEventAttributes);
      expect(failed?.childWorkflowExecutionFailedEventAttributes?.failure?.message).toBe('child failed');
      expect(failed?.childWorkflowExecutionFailedEventAttributes?.retryState).toBe(
        RetryState.RETRY_STATE_RETRY_POLICY_NOT_SET,
      );
    });

    it('reports a child timed out by its execution timeout (ChildWorkflowExecutionTimedOut, retry state TIMEOUT)', async () => {
      const parentId = id('parent');
      const h = await sdk.client.workflow.start<typeof workflows.parentOfTimedOut>('parentOfTimedOut', {
        taskQueue: TQ,
        workflowId: parentId,
        args: [idOnOtherShard('slow', parentId)],
      });
      expect(await h.result()).toBe('timed out: retryState=TIMEOUT');
      const timedOut = (await history(h)).find((e) => e.childWorkflowExecutionTimedOutEventAttributes);
      expect(timedOut?.childWorkflowExecutionTimedOutEventAttributes?.retryState).toBe(RetryState.RETRY_STATE_TIMEOUT);
    });

    it('reports a child terminated by a client (ChildWorkflowExecutionTerminated)', async () => {
      const parentId = id('parent');
      const childId = idOnOtherShard('doomed', parentId);
      const h = await sdk.client.workflow.start<typeof workflows.parentOfTerminated>('parentOfTerminated', {
        taskQueue: TQ,
        workflowId: parentId,
        args: [childId],
      });
      const child = sdk.client.workflow.getHandle(childId);
      await expect.poll(async () => (await child.describe().catch(() => undefined))?.status.name).toBe('RUNNING');
      await child.terminate('by the test');
      expect(await h.result()).toBe('terminated');
      expect(eventTypes(await history(h))).toContain('CHILD_WORKFLOW_EXECUTION_TERMINATED');
    });

    it('signals a child through its handle (childWorkflowOnly)', async () => {
      const parentId = id('parent');
      const childId = idOnOtherShard('signalled-child', parentId);
      const h = await sdk.client.workflow.start<typeof workflows.parentSignalsChild>('parentSignalsChild', {
        taskQueue: TQ,
        workflowId: parentId,
        args: [childId],
      });
      expect(await h.result()).toBe(42);
      const initiated = (await history(h)).find((e) => e.signalExternalWorkflowExecutionInitiatedEventAttributes);
      expect(initiated?.signalExternalWorkflowExecutionInitiatedEventAttributes?.childWorkflowOnly).toBe(true);
    });

    it('fails the start of a child whose id is running (WORKFLOW_ALREADY_EXISTS)', async () => {
      const busyId = id('busy');
      const busy = await sdk.client.workflow.start<typeof workflows.waitForever>('waitForever', {
        taskQueue: TQ,
        workflowId: busyId,
      });
      const h = await sdk.client.workflow.start<typeof workflows.parentOfDuplicate>('parentOfDuplicate', {
        taskQueue: TQ,
        workflowId: id('dup-parent'),
        args: [busyId],
      });
      expect(await h.result()).toMatch(/^already started/);
      const events = await history(h);
      const failed = events.find((e) => e.startChildWorkflowExecutionFailedEventAttributes);
      expect(failed?.startChildWorkflowExecutionFailedEventAttributes).toMatchObject({ workflowId: busyId, cause: 1 });
      await busy.terminate('test over');
    });

    it.each([
      ['TERMINATE', ParentClosePolicy.TERMINATE, 'TERMINATED'],
      ['REQUEST_CANCEL', ParentClosePolicy.REQUEST_CANCEL, 'CANCELLED'],
      ['ABANDON', ParentClosePolicy.ABANDON, 'RUNNING'],
    ])('applies the parent-close policy %s to a child left running', async (_name, policy, expected) => {
      const parentId = id('leaver');
      const childId = idOnOtherShard('left', parentId);
      const h = await sdk.client.workflow.start<typeof workflows.parentThatLeaves>('parentThatLeaves', {
        taskQueue: TQ,
        workflowId: parentId,
        args: [childId, policy],
      });
      const childRunId = await h.result();
      const child = sdk.client.workflow.getHandle(childId, childRunId);
      if (expected === 'RUNNING') {
        // Abandoned: still running a moment later, and not touched.
        await new Promise((r) => setTimeout(r, 500));
        expect((await child.describe()).status.name).toBe('RUNNING');
        await child.terminate('test over');
        return;
      }
      await expect.poll(async () => (await child.describe()).status.name, { timeout: 10_000 }).toBe(expected);
      const events = await history(child);
      if (expected === 'TERMINATED') {
        const terminated = events.at(-1)?.workflowExecutionTerminatedEventAttributes;
        expect(terminated).toMatchObject({ reason: 'by parent close policy', identity: 'history-service' });
      } else {
        const requested = events.find((e) => e.workflowExecutionCancelRequestedEventAttributes);
        expect(requested?.workflowExecutionCancelRequestedEventAttributes?.externalWorkflowExecution?.workflowId).toBe(
          parentId,
        );
      }
    });
  });

  it('passes stampede verify through the API: no child left running by a parent closed with TERMINATE', async () => {
    const report = await verifyThroughApi(sdk.t.client, {
      namespace: 'default',
      prefix: 'leaver-',
      expectClosed: true,
      sample: 0,
    });
    expect(report.runs).toBe(3);
    expect(report.problems).toEqual([]);
  });

  describe('signals and cancels between workflows', () => {
    it('signals another workflow and records ExternalWorkflowExecutionSignaled', async () => {
      const targetId = id('target');
      const target = await sdk.client.workflow.start<typeof workflows.accumulate>('accumulate', {
        taskQueue: TQ,
        workflowId: targetId,
        args: [2],
      });
      const h = await sdk.client.workflow.start<typeof workflows.signalOther>('signalOther', {
        taskQueue: TQ,
        workflowId: idOnOtherShard('signaller', targetId),
        args: [targetId, 2],
      });
      expect(await h.result()).toBe('signalled');
      expect(await target.result()).toBe(3);
      const types = eventTypes(await history(h));
      expect(types.filter((x) => x === 'EXTERNAL_WORKFLOW_EXECUTION_SIGNALED')).toHaveLength(2);
      const signalled = (await history(target)).find((e) => e.workflowExecutionSignaledEventAttributes);
      expect(signalled?.workflowExecutionSignaledEventAttributes).toMatchObject({
        identity: 'history-service',
        externalWorkflowExecution: { workflowId: h.workflowId },
      });
    });

    it('records SignalExternalWorkflowExecutionFailed for a missing target', async () => {
      const h = await sdk.client.workflow.start<typeof workflows.signalOther>('signalOther', {
        taskQueue: TQ,
        workflowId: id('signaller'),
        args: [id('nobody'), 1],
      });
      expect(await h.result()).toBe('failed: Unable to signal external workflow because it was not found');
      const failed = (await history(h)).find((e) => e.signalExternalWorkflowExecutionFailedEventAttributes);
      expect(failed?.signalExternalWorkflowExecutionFailedEventAttributes?.cause).toBe(1); // EXTERNAL_..._NOT_FOUND
    });

    it('requests cancellation of another workflow, and fails for a missing one', async () => {
      const targetId = id('cancel-target');
      const target = await sdk.client.workflow.start<typeof workflows.cancellableWait>('cancellableWait', {
        taskQueue: TQ,
        workflowId: targetId,
      });
      const h = await sdk.client.workflow.start<typeof workflows.cancelOther>('cancelOther', {
        taskQueue: TQ,
        workflowId: idOnOtherShard('canceller', targetId),
        args: [targetId],
      });
      expect(await h.result()).toBe('cancel requested');
      expect(eventTypes(await history(h))).toContain('EXTERNAL_WORKFLOW_EXECUTION_CANCEL_REQUESTED');
      await expect.poll(async () => (await target.describe()).status.name, { timeout: 10_000 }).toBe('CANCELLED');

      const missing = await sdk.client.workflow.start<typeof workflows.cancelOther>('cancelOther', {
        taskQueue: TQ,
        workflowId: id('canceller'),
        args: [id('nobody')],
      });
      expect(await missing.result()).toBe('failed: Unable to cancel external workflow because not found');
      const failed = (await history(missing)).find(
        (e) => e.requestCancelExternalWorkflowExecutionFailedEventAttributes,
      );
      expect(failed?.requestCancelExternalWorkflowExecutionFailedEventAttributes?.cause).toBe(1);
    });
  });

  describe('retries, cron and start delay', () => {
    it('retries a failed run as a new run with the next attempt', async () => {
      const h = await sdk.client.workflow.start<typeof workflows.failsThenSucceeds>('failsThenSucceeds', {
        taskQueue: TQ,
        workflowId: id('retry'),
        args: [1],
        retry: { initialInterval: '1ms', maximumAttempts: 3 },
      });
      expect(await h.result()).toBe('attempt 2 after "attempt 1 fails"');
      const first = await history(sdk.client.workflow.getHandle(h.workflowId, h.firstExecutionRunId));
      const failed = first.at(-1)?.workflowExecutionFailedEventAttributes;
      expect(failed?.retryState).toBe(RetryState.RETRY_STATE_IN_PROGRESS);
      const newRunId = failed?.newExecutionRunId ?? '';
      expect(newRunId).not.toBe('');
      const second = await history(sdk.client.workflow.getHandle(h.workflowId, newRunId));
      const start = second[0]?.workflowExecutionStartedEventAttributes;
      expect(start).toMatchObject({
        attempt: 2,
        initiator: Initiator.CONTINUE_AS_NEW_INITIATOR_RETRY,
        continuedExecutionRunId: h.firstExecutionRunId,
      });
      // Temporal's minimum interval between runs of a chain (1 s) stretches the 1 ms initial interval.
      const backoff = start?.firstWorkflowTaskBackoff;
      const backoffMs = Number(backoff?.seconds ?? 0) * 1000 + Math.round((backoff?.nanos ?? 0) / 1e6);
      expect(backoffMs).toBeGreaterThan(0);
      expect(backoffMs).toBeLessThanOrEqual(1000);
      expect(eventTypes(second).slice(0, 2)).toEqual(['WORKFLOW_EXECUTION_STARTED', 'WORKFLOW_TASK_SCHEDULED']);
    });

    it('stops retrying at the maximum attempts', async () => {
      const h = await sdk.client.workflow.start<typeof workflows.failsThenSucceeds>('failsThenSucceeds', {
        taskQueue: TQ,
        workflowId: id('retry-max'),
        args: [5],
        retry: { initialInterval: '1ms', maximumAttempts: 2 },
      });
      await expect(h.result()).rejects.toThrow();
      const last = await history(sdk.client.workflow.getHandle(h.workflowId));
      expect(last[0]?.workflowExecutionStartedEventAttributes?.attempt).toBe(2);
      expect(last.at(-1)?.workflowExecutionFailedEventAttributes?.retryState).toBe(
        RetryState.RETRY_STATE_MAXIMUM_ATTEMPTS_REACHED,
      );
    });

    it('runs a cron workflow on the virtual clock, each run carrying the last result', async () => {
      const workflowId = id('cron');
      const h = await sdk.client.workflow.start<typeof workflows.cronRun>('cronRun', {
        taskQueue: TQ,
        workflowId,
        cronSchedule: '* * * * *',
      });
      const first = await history(sdk.client.workflow.getHandle(workflowId, h.firstExecutionRunId), false);
      const start = first[0]?.workflowExecutionStartedEventAttributes;
      expect(start?.cronSchedule).toBe('* * * * *');
      expect(start?.initiator).toBe(Initiator.CONTINUE_AS_NEW_INITIATOR_CRON_SCHEDULE);
      // Two runs follow the first within a few seconds (a minute of workflow time each).
      await expect
        .poll(
          async () => {
            const d = await sdk.client.workflow.getHandle(workflowId).describe();
            const ev = (await sdk.client.workflow.getHandle(workflowId).fetchHistory()).events ?? [];
            return d.runId !== h.firstExecutionRunId
              ? ev[0]?.workflowExecutionStartedEventAttributes?.lastCompletionResult?.payloads?.length
              : 0;
          },
          { timeout: 15_000 },
        )
        .toBe(1);
      const firstClosed = await history(sdk.client.workflow.getHandle(workflowId, h.firstExecutionRunId));
      expect(firstClosed.at(-1)?.workflowExecutionCompletedEventAttributes?.newExecutionRunId).toBeTruthy();
      await sdk.client.workflow.getHandle(workflowId).terminate('cron test over');
    });

    it('delays the first workflow task by the start delay', async () => {
      const h = await sdk.client.workflow.start<typeof workflows.greeting>('greeting', {
        taskQueue: TQ,
        workflowId: id('delayed'),
        args: ['later'],
        startDelay: '90s', // 1.5 s of real time at time-scale 60
      });
      const events = await history(h, false);
      expect(Number(events[0]?.workflowExecutionStartedEventAttributes?.firstWorkflowTaskBackoff?.seconds)).toBe(90);
      expect(eventTypes(events)).toEqual(['WORKFLOW_EXECUTION_STARTED']);
      expect(await h.result()).toBe('hello, later');
    });
  });

  describe('Temporal fidelity', () => {
    it('fails a task with a bad command once, then lets later attempts time out (no hot loop)', async () => {
      const h = await sdk.client.workflow.start<typeof workflows.badCommand>('badCommand', {
        taskQueue: TQ,
        workflowId: id('bad'),
        workflowTaskTimeout: '1s',
      });
      await new Promise((r) => setTimeout(r, 3_000));
      const d = await h.describe();
      const attempt = d.raw.pendingWorkflowTask?.attempt ?? 0;
      // Three seconds at a 1 s task timeout: a few attempts, not the hundreds of a hot loop.
      expect(attempt).toBeGreaterThanOrEqual(2);
      expect(attempt).toBeLessThanOrEqual(5);
      const events = await history(h, false);
      const failed = events.filter((e) => e.workflowTaskFailedEventAttributes);
      expect(failed).toHaveLength(1);
      expect(failed[0]?.workflowTaskFailedEventAttributes?.failure?.message).toMatch(
        /^BadSignalWorkflowExecutionAttributes: Invalid RunId/,
      );
      await h.terminate('test over');
    });

    it('signal-with-start TERMINATE_EXISTING terminates the running workflow and starts a new run', async () => {
      const workflowId = id('sws');
      const old = await sdk.client.workflow.start<typeof workflows.accumulate>('accumulate', {
        taskQueue: TQ,
        workflowId,
        args: [1],
      });
      const h = await sdk.client.workflow.signalWithStart<typeof workflows.accumulate, [number]>('accumulate', {
        taskQueue: TQ,
        workflowId,
        args: [1],
        signal: 'add',
        signalArgs: [7],
        workflowIdConflictPolicy: 'TERMINATE_EXISTING',
      });
      expect(h.signaledRunId).not.toBe(old.firstExecutionRunId);
      expect(await h.result()).toBe(7);
      const oldEvents = await history(sdk.client.workflow.getHandle(workflowId, old.firstExecutionRunId));
      const terminated = oldEvents.at(-1)?.workflowExecutionTerminatedEventAttributes;
      expect(terminated).toMatchObject({
        reason: 'TerminateIfRunning WorkflowIdReusePolicy',
        identity: 'history-service',
      });
    });

    it('deletes a memo key upserted with null', async () => {
      const h = await sdk.client.workflow.start<typeof workflows.memoUpsert>('memoUpsert', {
        taskQueue: TQ,
        workflowId: id('memo'),
        memo: { gone: 'soon', stays: 1 },
      });
      expect(await h.result()).toBe('upserted');
      expect((await h.describe()).memo).toEqual({ stays: 1, kept: 'yes' });
    });

    // Memory store only: reaching 4096 events takes ~2100 timer transactions, a minute of LWTs on Cassandra, and the
    // suggestion is computed from the run's event count and history size whatever the store.
    if (store === 'memory')
      it('suggests continue-as-new past 4096 events', async () => {
        const h = await sdk.client.workflow.start<typeof workflows.growsHistory>('growsHistory', {
          taskQueue: TQ,
          workflowId: id('grows'),
          args: [2100],
        });
        expect(await h.result()).toMatch(/^before=false after=true length=\d+$/);
        const started = ((await h.fetchHistory()).events ?? []).filter(
          (e) => e.workflowTaskStartedEventAttributes?.suggestContinueAsNew,
        );
        expect(started.length).toBeGreaterThan(0);
        expect(started[0]?.workflowTaskStartedEventAttributes?.suggestContinueAsNewReasons).toEqual([2]);
      });

    it('stores user metadata on the start and timer events and returns it from describe', async () => {
      const h = await sdk.client.workflow.start<typeof workflows.summarizedTimer>('summarizedTimer', {
        taskQueue: TQ,
        workflowId: id('meta'),
        staticSummary: 'my summary',
        staticDetails: 'my details',
      });
      expect(await h.result()).toBe('rested');
      const d = await h.describe();
      expect(await d.staticSummary()).toBe('my summary');
      expect(await d.staticDetails()).toBe('my details');
      const events = await history(h);
      expect(events[0]?.userMetadata?.summary).toBeTruthy();
      const timer = events.find((e) => e.timerStartedEventAttributes);
      expect(Buffer.from(timer?.userMetadata?.summary?.data ?? []).toString()).toBe('"a short nap"');
    });

    it("records the worker's build id on WorkflowTaskCompleted and advertises it in GetSystemInfo", async () => {
      const info = await sdk.client.workflowService.getSystemInfo({});
      expect(info.capabilities).toMatchObject({ buildIdBasedVersioning: true, sdkMetadata: true, nexus: false });
      const h = await sdk.client.workflow.start<typeof workflows.greeting>('greeting', {
        taskQueue: TQ,
        workflowId: id('build'),
        args: ['build'],
      });
      await h.result();
      const completed = (await history(h)).find((e) => e.workflowTaskCompletedEventAttributes);
      expect(completed?.workflowTaskCompletedEventAttributes?.workerVersion?.buildId).toBe(BUILD_ID);
    });
  });

  // The store reader `stampede verify` uses, on what these tests left in Cassandra (the memory store has no reader).
  if (store === 'cassandra')
    it('finds every parent and child consistent in the store, as stampede verify checks them', async () => {
      const c = testCluster();
      const reader = await openStoreReader({
        backend: {
          store: 'cassandra',
          cassandra: {
            contactPoints: c.contactPoints,
            localDataCenter: c.localDataCenter,
            keyspace: sdk.t.keyspace ?? '',
            replicationFactor: 1,
          },
        },
        numShards: 4,
      });
      try {
        const runs: StoredRun[] = [];
        for await (const r of reader.runs(() => true)) runs.push(r);
        expect(runs.filter((r) => r.parent).length).toBeGreaterThanOrEqual(6);
        expect(familyProblems(runs)).toEqual([]);
      } finally {
        await reader.close();
      }
    });

  it('leaves the SDK nothing to warn about', () => {
    // Expected: the worker warns of each workflow failed on purpose, core of the completion refused for the bad
    // command, and of completions of tasks whose run was terminated meanwhile (parent-close policy, test cleanup).
    const expected = ['Workflow failed', 'BadSignalWorkflowExecutionAttributes', 'Task not found when completing'];
    expect(sdkWarnings().filter((w) => !expected.some((e) => w.includes(e)))).toEqual([]);
  });
});
