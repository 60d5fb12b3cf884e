/**
 * Workflow Update with the real @temporalio/worker and @temporalio/client against the engine, on the memory store
 * and on Cassandra: executeUpdate / startUpdate / getUpdateHandle, validators, deduplication by update id, updates
 * arriving while a workflow task is in flight, updates on a closed run, update-with-start — asserting results and
 * the UpdateAccepted / UpdateCompleted events Temporal writes (and that a rejection writes none).
 */
import { randomUUID } from 'node:crypto';
import {
  WithStartWorkflowOperation,
  WorkflowExecutionAlreadyStartedError,
  WorkflowNotFoundError,
  WorkflowUpdateFailedError,
  WorkflowUpdateStage,
  type WorkflowHandle,
} from '@temporalio/client';
import type proto from '@temporalio/proto';
import { describe, expect, it } from 'vitest';
import { openStoreReader } from '../engine/index.js';
import { verifyFromStore } from '../bench/verify/store-verify.js';
import { BACKENDS, testCluster, testEngine } from './helpers/engine.js';
import { eventTypes, historyProblems } from './helpers/history.js';
import { sdkWarnings, useSdk } from './helpers/sdk.js';
import { updateWorkflowsBundle } from './helpers/update-bundle.js';
import * as wfs from './temporal-sdk/update-workflows.js';

type Event = proto.temporal.api.history.v1.IHistoryEvent;

const SHARDS = 4;

describe.each(BACKENDS)('workflow update on the %s store', (store) => {
  const TQ = 'sdk-updates';
  const sdk = useSdk(
    () => testEngine({ store, numShards: SHARDS }),
    TQ,
    async () => ({
      workflowBundle: await updateWorkflowsBundle(),
    }),
  );

  const id = (prefix: string): string => `${prefix}-${randomUUID().slice(0, 8)}`;

  async function history(handle: WorkflowHandle, closed: boolean): Promise<Event[]> {
    const events = (await handle.fetchHistory()).events ?? [];
    expect(historyProblems(events, { closed })).toEqual([]);
    return events;
  }

  const startCounter = (workflowId = id('counter')) =>
    sdk.client.workflow.start(wfs.counter, { taskQueue: TQ, workflowId, args: [0] });

  it('executes an update: the result comes back and history holds UpdateAccepted then UpdateCompleted', async () => {
    const h = await startCounter();
    expect(await h.executeUpdate(wfs.add, { args: [5], updateId: 'first' })).toBe(5);
    await h.signal(wfs.finish);
    expect(await h.result()).toBe(5);
    const events = await history(h, true);
    const accepted = events.find((e) => e.workflowExecutionUpdateAcceptedEventAttributes);
    const completed = events.find((e) => e.workflowExecutionUpdateCompletedEventAttributes);
    const a = accepted?.workflowExecutionUpdateAcceptedEventAttributes;
    expect(a?.protocolInstanceId).toBe('first');
    expect(a?.acceptedRequestMessageId).toBe('first/request');
    expect(a?.acceptedRequest?.input?.name).toBe('add');
    const c = completed?.workflowExecutionUpdateCompletedEventAttributes;
    expect(Number(c?.acceptedEventId)).toBe(Number(accepted?.eventId));
    expect(c?.meta?.updateId).toBe('first');
    expect(c?.outcome?.success?.payloads?.length).toBe(1);
    // Accepted and completed in the task that received it, right after its WorkflowTaskCompleted.
    const types = eventTypes(events);
    const at = types.indexOf('WORKFLOW_EXECUTION_UPDATE_ACCEPTED');
    expect(types.slice(at - 1, at + 2)).toEqual([
      'WORKFLOW_TASK_COMPLETED',
      'WORKFLOW_EXECUTION_UPDATE_ACCEPTED',
      'WORKFLOW_EXECUTION_UPDATE_COMPLETED',
    ]);
  });

  it('returns a validator rejection as WorkflowUpdateFailedError and writes no update event', async () => {
    const h = await startCounter();
    const err = await h.executeUpdate(wfs.add, { args: [-1] }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(WorkflowUpdateFailedError);
    expect((err as WorkflowUpdateFailedError).cause?.message).toBe('negative amount -1');
    // The rejected update changed nothing: the next one starts from 0.
    expect(await h.executeUpdate(wfs.add, { args: [2] })).toBe(2);
    await h.signal(wfs.finish);
    expect(await h.result()).toBe(2);
    const types = eventTypes(await history(h, true));
    expect(types.filter((x) => x === 'WORKFLOW_EXECUTION_UPDATE_ACCEPTED')).toHaveLength(1);
  });

  it('reports a handler failure as the update outcome, and the workflow carries on', async () => {
    const h = await startCounter();
    const err = await h.executeUpdate(wfs.fail, { args: ['no luck'] }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(WorkflowUpdateFailedError);
    expect((err as WorkflowUpdateFailedError).cause?.message).toBe('no luck');
    await h.signal(wfs.finish);
    expect(await h.result()).toBe(0);
    const completed = (await history(h, true)).find((e) => e.workflowExecutionUpdateCompletedEventAttributes);
    expect(completed?.workflowExecutionUpdateCompletedEventAttributes?.outcome?.failure?.message).toBe('no luck');
  });

  it('waits for ACCEPTED with startUpdate, then the result through the handle and getUpdateHandle', async () => {
    const h = await startCounter();
    const u = await h.startUpdate(wfs.addAfter, {
      args: [7, 300],
      updateId: 'slow',
      waitForStage: WorkflowUpdateStage.ACCEPTED,
    });
    expect(u.updateId).toBe('slow');
    expect(await h.getUpdateHandle<number>('slow').result()).toBe(7);
    expect(await u.result()).toBe(7);
    await h.signal(wfs.finish);
    expect(await h.result()).toBe(7);
    const events = await history(h, true);
    const types = eventTypes(events);
    // Accepted in one task, completed in the task after the timer fired.
    const accepted = types.indexOf('WORKFLOW_EXECUTION_UPDATE_ACCEPTED');
    const completed = types.indexOf('WORKFLOW_EXECUTION_UPDATE_COMPLETED');
    expect(types.slice(accepted, completed)).toContain('TIMER_FIRED');
  });

  it('deduplicates by update id: the same id returns the same outcome and is applied once', async () => {
    const h = await startCounter();
    expect(await h.executeUpdate(wfs.add, { args: [3], updateId: 'once' })).toBe(3);
    expect(await h.executeUpdate(wfs.add, { args: [3], updateId: 'once' })).toBe(3);
    // Concurrent duplicates of an update in flight share it too.
    const both = await Promise.all([
      h.executeUpdate(wfs.addAfter, { args: [1, 200], updateId: 'twice' }),
      h.executeUpdate(wfs.addAfter, { args: [1, 200], updateId: 'twice' }),
    ]);
    expect(both).toEqual([4, 4]);
    await h.signal(wfs.finish);
    expect(await h.result()).toBe(4);
    const types = eventTypes(await history(h, true));
    expect(types.filter((x) => x === 'WORKFLOW_EXECUTION_UPDATE_ACCEPTED')).toHaveLength(2);
    expect(types.filter((x) => x === 'WORKFLOW_EXECUTION_UPDATE_COMPLETED')).toHaveLength(2);
  });

  it('delivers updates that arrive while a workflow task is in flight', async () => {
    const h = await startCounter();
    const results = await Promise.all([1, 2, 3, 4, 5].map((n) => h.executeUpdate(wfs.add, { args: [n] })));
    expect([...results].sort((a, b) => a - b).at(-1)).toBe(15);
    await h.signal(wfs.finish);
    expect(await h.result()).toBe(15);
    const types = eventTypes(await history(h, true));
    expect(types.filter((x) => x === 'WORKFLOW_EXECUTION_UPDATE_COMPLETED')).toHaveLength(5);
  });

  it('rejects an update without a handler with the SDK message', async () => {
    const h = await sdk.client.workflow.start(wfs.noHandlers, { taskQueue: TQ, workflowId: id('nohandler') });
    const err = await h.executeUpdate(wfs.add, { args: [1] }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(WorkflowUpdateFailedError);
    expect((err as WorkflowUpdateFailedError).cause?.message).toBe('No registered handler for update: add');
    await h.terminate('done');
  });

  it('fails an update on a closed workflow as Temporal does, and still answers a completed id', async () => {
    const h = await startCounter();
    expect(await h.executeUpdate(wfs.add, { args: [4], updateId: 'before-close' })).toBe(4);
    await h.signal(wfs.finish);
    await h.result();
    const err = await h.executeUpdate(wfs.add, { args: [1] }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(WorkflowNotFoundError);
    expect((err as Error).message).toBe('workflow execution already completed');
    expect(await h.executeUpdate(wfs.add, { args: [4], updateId: 'before-close' })).toBe(4);
    const q = await sdk.client.workflowService
      .pollWorkflowExecutionUpdate({
        namespace: 'default',
        updateRef: { workflowExecution: { workflowId: h.workflowId }, updateId: 'never-sent' },
      })
      .catch((e: unknown) => e);
    expect((q as { code?: number }).code).toBe(5);
    expect((q as Error).message).toContain('update "never-sent" not found');
  });

  it('update-with-start: starts the workflow and runs the update in one call, then reuses the running one', async () => {
    const workflowId = id('uws');
    const startOp = () =>
      new WithStartWorkflowOperation(wfs.counter, {
        workflowId,
        taskQueue: TQ,
        args: [10],
        workflowIdConflictPolicy: 'USE_EXISTING',
      });
    const first = startOp();
    expect(
      await sdk.client.workflow.executeUpdateWithStart(wfs.add, { args: [1], startWorkflowOperation: first }),
    ).toBe(11);
    const h = await first.workflowHandle();
    const second = startOp();
    const u = await sdk.client.workflow.startUpdateWithStart(wfs.add, {
      args: [2],
      waitForStage: WorkflowUpdateStage.ACCEPTED,
      startWorkflowOperation: second,
    });
    expect(await u.result()).toBe(13);
    expect((await (await second.workflowHandle()).describe()).runId).toBe((await h.describe()).runId);
    await h.signal(wfs.finish);
    expect(await h.result()).toBe(13);
    const types = eventTypes(await history(h, true));
    expect(types.slice(0, 3)).toEqual([
      'WORKFLOW_EXECUTION_STARTED',
      'WORKFLOW_TASK_SCHEDULED',
      'WORKFLOW_TASK_STARTED',
    ]);
    expect(types.filter((x) => x === 'WORKFLOW_EXECUTION_UPDATE_COMPLETED')).toHaveLength(2);
  });

  it('update-with-start with conflict policy FAIL on a running workflow fails both operations as already started', async () => {
    const h = await startCounter();
    // Its first workflow task done (so the terminate below races no task in flight).
    expect(await h.query(wfs.total)).toBe(0);
    const op = new WithStartWorkflowOperation(wfs.counter, {
      workflowId: h.workflowId,
      taskQueue: TQ,
      workflowIdConflictPolicy: 'FAIL',
    });
    const err = await sdk.client.workflow
      .executeUpdateWithStart(wfs.add, { args: [1], startWorkflowOperation: op })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(WorkflowExecutionAlreadyStartedError);
    await expect(op.workflowHandle()).rejects.toBeInstanceOf(WorkflowExecutionAlreadyStartedError);
    const bad = new WithStartWorkflowOperation(wfs.counter, {
      workflowId: 'x'.repeat(1001),
      taskQueue: TQ,
      workflowIdConflictPolicy: 'FAIL',
    });
    const invalid = await sdk.client.workflow
      .executeUpdateWithStart(wfs.add, { args: [1], startWorkflowOperation: bad })
      .catch((e: unknown) => e);
    expect((invalid as { code?: number }).code).toBe(3);
    expect((invalid as Error).message).toMatch(/workflowid.*length/i);
    await h.terminate('done');
    const types = eventTypes(await history(h, true));
    expect(types).not.toContain('WORKFLOW_EXECUTION_UPDATE_ACCEPTED');
  });

  it("gives an accepted update whose workflow closed first Temporal's failure outcome", async () => {
    const h = await startCounter();
    const u = await h.startUpdate(wfs.addAfter, { args: [1, 60_000], waitForStage: WorkflowUpdateStage.ACCEPTED });
    await h.terminate('closing under the update');
    const err = await u.result().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(WorkflowUpdateFailedError);
    expect((err as WorkflowUpdateFailedError).cause?.message).toBe(
      'Workflow Update failed because the Workflow completed before the Update completed.',
    );
    const types = eventTypes(await history(h, true));
    expect(types).toContain('WORKFLOW_EXECUTION_UPDATE_ACCEPTED');
    expect(types).not.toContain('WORKFLOW_EXECUTION_UPDATE_COMPLETED');
  });

  // stampede verify's store check reads Cassandra directly (the memory store has no reader outside the engine).
  if (store === 'cassandra')
    it('leaves runs that stampede verify finds consistent, update outcomes included', async () => {
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
        numShards: SHARDS,
      });
      try {
        const report = await verifyFromStore(reader, {
          namespace: 'default',
          prefix: '',
          expectClosed: false,
          sample: 0,
        });
        expect(report.problems).toEqual([]);
        expect(report.historiesChecked).toBeGreaterThanOrEqual(10);
      } finally {
        await reader.close();
      }
    });

  it('logs no SDK warnings', () => {
    expect(sdkWarnings()).toEqual([]);
  });
});
