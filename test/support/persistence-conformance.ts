/**
 * The persistence conformance suite: one set of tests every backend must pass (Temporal runs the same suites on
 * each of its stores). It exercises the store interfaces directly: the conditions, the fencing, and the reads.
 */
import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  ConditionFailedError,
  CurrentWorkflowConditionFailedError,
  ShardOwnershipLostError,
  TaskQueueLeaseLostError,
  WorkflowConditionFailedError,
} from '../../engine/persistence/errors.js';
import type { TaskQueueKey, WorkflowKey } from '../../engine/persistence/records.js';
import type {
  CurrentRow,
  ExecutionMutationRow,
  ExecutionRow,
  HistoryTaskRow,
  RecordBlob,
  Stores,
} from '../../engine/persistence/store.js';

// Records go in as the managers write them (text) and come back in either form a backend may hold (RecordBlob):
// the memory store returns the text, Cassandra the UTF-8 bytes of its blob column.
const enc = (s: string): RecordBlob => s;
// Event batches (history nodes, buffered events) are protobuf bytes in every backend.
const bytes = (s: string): Uint8Array => new TextEncoder().encode(s);
const dec = (b: RecordBlob): string => (typeof b === 'string' ? b : new TextDecoder().decode(b));

function execution(version: number, nextEventId = 3): ExecutionRow {
  return {
    blob: enc(`info-v${version}`),
    state: 2,
    status: 1,
    nextEventId,
    dbRecordVersion: version,
    activities: new Map([[5, enc('activity-5')]]),
    timers: new Map([['t1', enc('timer-1')]]),
    signalRequested: new Set(['sig-1']),
    bufferedEvents: [],
  };
}

function current(runId: string, state = 2): CurrentRow {
  return { runId, createRequestId: `req-${runId}`, state, status: state === 3 ? 2 : 1, startTimeMs: 1000 };
}

function mutation(version: number, changes: Partial<ExecutionMutationRow> = {}): ExecutionMutationRow {
  return {
    blob: enc(`info-v${version}`),
    state: 2,
    status: 1,
    nextEventId: 3 + version,
    dbRecordVersion: version,
    upsertActivities: new Map(),
    deleteActivities: [],
    upsertTimers: new Map(),
    deleteTimers: [],
    addSignalRequested: [],
    deleteSignalRequested: [],
    appendBufferedEvents: undefined,
    clearBufferedEvents: false,
    ...changes,
  };
}

export function persistenceConformance(
  backend: string,
  open: () => Promise<Stores>,
  close: (s: Stores) => Promise<void>,
): void {
  describe(`persistence conformance: ${backend}`, () => {
    // Shards are numbered per test so that tests do not share partitions.
    let nextShard = 1000 + Math.floor(Math.random() * 1_000_000);
    async function withShard<T>(fn: (s: Stores, shardId: number, rangeId: number) => Promise<T>): Promise<T> {
      const s = await open();
      try {
        const shardId = nextShard++;
        const row = await s.shards.getOrCreateShard(shardId, { shardId, rangeId: 1, blob: enc('shard') });
        return await fn(s, shardId, row.rangeId);
      } finally {
        await close(s);
      }
    }
    const key = (): WorkflowKey => ({
      namespaceId: randomUUID(),
      workflowId: `wf-${randomUUID()}`,
      runId: randomUUID(),
    });

    it('creates a run and reads it back, with its current row', async () => {
      await withShard(async (s, shardId, rangeId) => {
        const k = key();
        const task: HistoryTaskRow = {
          category: 'transfer',
          taskId: rangeId * 2 ** 20,
          visibilityTimeMs: 0,
          blob: enc('t'),
        };
        await s.executions.createWorkflowExecution({
          shardId,
          rangeId,
          key: k,
          mode: { kind: 'brand-new' },
          current: current(k.runId),
          execution: execution(1),
          tasks: [task],
        });
        const row = await s.executions.getWorkflowExecution(shardId, k);
        expect(row && dec(row.blob)).toBe('info-v1');
        expect(row?.dbRecordVersion).toBe(1);
        expect(row?.nextEventId).toBe(3);
        expect(row && dec(row.activities.get(5) ?? '')).toBe('activity-5');
        expect(row && [...row.timers.keys()]).toEqual(['t1']);
        expect(row && [...row.signalRequested]).toEqual(['sig-1']);
        const cur = await s.executions.getCurrentExecution(shardId, k.namespaceId, k.workflowId);
        expect(cur).toMatchObject({ runId: k.runId, createRequestId: `req-${k.runId}`, state: 2 });
        const tasks = await s.executions.getTransferTasks(shardId, 'transfer', {
          minTaskId: 0,
          maxTaskId: Number.MAX_SAFE_INTEGER,
          pageSize: 10,
        });
        expect(tasks.map((t) => t.taskId)).toEqual([task.taskId]);
      });
    });

    it('refuses a second brand-new create of the same workflow id (current row exists)', async () => {
      await withShard(async (s, shardId, rangeId) => {
        const k = key();
        await s.executions.createWorkflowExecution({
          shardId,
          rangeId,
          key: k,
          mode: { kind: 'brand-new' },
          current: current(k.runId),
          execution: execution(1),
          tasks: [],
        });
        const k2 = { ...k, runId: randomUUID() };
        const err = await s.executions
          .createWorkflowExecution({
            shardId,
            rangeId,
            key: k2,
            mode: { kind: 'brand-new' },
            current: current(k2.runId),
            execution: execution(1),
            tasks: [],
          })
          .catch((e: unknown) => e);
        expect(err).toBeInstanceOf(CurrentWorkflowConditionFailedError);
        expect((err as CurrentWorkflowConditionFailedError).currentRunId).toBe(k.runId);
        expect(await s.executions.getWorkflowExecution(shardId, k2)).toBeUndefined();
      });
    });

    it('reuses a closed workflow id only when the current run is closed', async () => {
      await withShard(async (s, shardId, rangeId) => {
        const k = key();
        await s.executions.createWorkflowExecution({
          shardId,
          rangeId,
          key: k,
          mode: { kind: 'brand-new' },
          current: current(k.runId),
          execution: execution(1),
          tasks: [],
        });
        const k2 = { ...k, runId: randomUUID() };
        const running = await s.executions
          .createWorkflowExecution({
            shardId,
            rangeId,
            key: k2,
            mode: { kind: 'reuse-closed', previousRunId: k.runId },
            current: current(k2.runId),
            execution: execution(1),
            tasks: [],
          })
          .catch((e: unknown) => e);
        expect(running).toBeInstanceOf(CurrentWorkflowConditionFailedError);
        await s.executions.updateWorkflowExecution({
          shardId,
          rangeId,
          key: k,
          mode: 'update-current',
          current: current(k.runId, 3),
          mutation: { ...mutation(2), state: 3, status: 2 },
          tasks: [],
        });
        await s.executions.createWorkflowExecution({
          shardId,
          rangeId,
          key: k2,
          mode: { kind: 'reuse-closed', previousRunId: k.runId },
          current: current(k2.runId),
          execution: execution(1),
          tasks: [],
        });
        expect((await s.executions.getCurrentExecution(shardId, k.namespaceId, k.workflowId))?.runId).toBe(k2.runId);
      });
    });

    it('updates with db_record_version and map upserts/deletes; refuses a stale version (WorkflowConditionFailed)', async () => {
      await withShard(async (s, shardId, rangeId) => {
        const k = key();
        await s.executions.createWorkflowExecution({
          shardId,
          rangeId,
          key: k,
          mode: { kind: 'brand-new' },
          current: current(k.runId),
          execution: execution(1),
          tasks: [],
        });
        await s.executions.updateWorkflowExecution({
          shardId,
          rangeId,
          key: k,
          mode: 'update-current',
          current: current(k.runId),
          mutation: mutation(2, {
            upsertActivities: new Map([[9, enc('activity-9')]]),
            deleteActivities: [5],
            upsertTimers: new Map([['t2', enc('timer-2')]]),
            deleteTimers: ['t1'],
            addSignalRequested: ['sig-2'],
            appendBufferedEvents: bytes('batch-1'),
          }),
          tasks: [],
        });
        await s.executions.updateWorkflowExecution({
          shardId,
          rangeId,
          key: k,
          mode: 'update-current',
          current: current(k.runId),
          mutation: mutation(3, { appendBufferedEvents: bytes('batch-2') }),
          tasks: [],
        });
        let row = await s.executions.getWorkflowExecution(shardId, k);
        expect(row?.dbRecordVersion).toBe(3);
        expect(row && [...row.activities.keys()]).toEqual([9]);
        expect(row && [...row.timers.keys()]).toEqual(['t2']);
        expect(row && [...row.signalRequested].sort()).toEqual(['sig-1', 'sig-2']);
        expect(row?.bufferedEvents.map(dec)).toEqual(['batch-1', 'batch-2']);
        await s.executions.updateWorkflowExecution({
          shardId,
          rangeId,
          key: k,
          mode: 'update-current',
          current: current(k.runId),
          mutation: mutation(4, { clearBufferedEvents: true }),
          tasks: [],
        });
        row = await s.executions.getWorkflowExecution(shardId, k);
        expect(row?.bufferedEvents).toEqual([]);
        const stale = await s.executions
          .updateWorkflowExecution({
            shardId,
            rangeId,
            key: k,
            mode: 'update-current',
            current: current(k.runId),
            mutation: mutation(3),
            tasks: [],
          })
          .catch((e: unknown) => e);
        expect(stale).toBeInstanceOf(WorkflowConditionFailedError);
        expect((await s.executions.getWorkflowExecution(shardId, k))?.dbRecordVersion).toBe(4);
      });
    });

    it('refuses an update of a run that is not current (CurrentWorkflowConditionFailed) and writes nothing', async () => {
      await withShard(async (s, shardId, rangeId) => {
        const k = key();
        await s.executions.createWorkflowExecution({
          shardId,
          rangeId,
          key: k,
          mode: { kind: 'brand-new' },
          current: current(k.runId),
          execution: execution(1),
          tasks: [],
        });
        const other = { ...k, runId: randomUUID() };
        const err = await s.executions
          .updateWorkflowExecution({
            shardId,
            rangeId,
            key: other,
            mode: 'update-current',
            current: current(other.runId),
            mutation: mutation(2),
            tasks: [],
          })
          .catch((e: unknown) => e);
        expect(err).toBeInstanceOf(CurrentWorkflowConditionFailedError);
        expect((await s.executions.getCurrentExecution(shardId, k.namespaceId, k.workflowId))?.runId).toBe(k.runId);
      });
    });

    it('continue-as-new: closes the run, inserts the next and moves the current row in one batch', async () => {
      await withShard(async (s, shardId, rangeId) => {
        const k = key();
        await s.executions.createWorkflowExecution({
          shardId,
          rangeId,
          key: k,
          mode: { kind: 'brand-new' },
          current: current(k.runId),
          execution: execution(1),
          tasks: [],
        });
        const next = { ...k, runId: randomUUID() };
        await s.executions.updateWorkflowExecution({
          shardId,
          rangeId,
          key: k,
          mode: 'update-current',
          current: current(k.runId, 3),
          mutation: { ...mutation(2), state: 3, status: 6 },
          newRun: { key: next, execution: execution(1), current: current(next.runId) },
          tasks: [],
        });
        expect((await s.executions.getCurrentExecution(shardId, k.namespaceId, k.workflowId))?.runId).toBe(next.runId);
        expect((await s.executions.getWorkflowExecution(shardId, k))?.status).toBe(6);
        expect((await s.executions.getWorkflowExecution(shardId, next))?.dbRecordVersion).toBe(1);
        // The new run may not exist already: continuing `next` into the existing run `k` is refused.
        const again = await s.executions
          .updateWorkflowExecution({
            shardId,
            rangeId,
            key: next,
            mode: 'update-current',
            current: current(next.runId, 3),
            mutation: { ...mutation(2), state: 3 },
            newRun: { key: k, execution: execution(1), current: current(k.runId) },
            tasks: [],
          })
          .catch((e: unknown) => e);
        expect(again).toBeInstanceOf(ConditionFailedError);
      });
    });

    it('shard takeover: a new owner bumps the range id and the old owner is fenced out of every write', async () => {
      await withShard(async (s, shardId, rangeId) => {
        const k = key();
        await s.executions.createWorkflowExecution({
          shardId,
          rangeId,
          key: k,
          mode: { kind: 'brand-new' },
          current: current(k.runId),
          execution: execution(1),
          tasks: [],
        });
        const row = await s.shards.getOrCreateShard(shardId, { shardId, rangeId: 1, blob: enc('x') });
        await s.shards.updateShard({ shardId, rangeId: row.rangeId + 1, blob: enc('new owner') }, row.rangeId);
        const stale = await s.executions
          .updateWorkflowExecution({
            shardId,
            rangeId,
            key: k,
            mode: 'update-current',
            current: current(k.runId),
            mutation: mutation(2),
            tasks: [],
          })
          .catch((e: unknown) => e);
        expect(stale).toBeInstanceOf(ShardOwnershipLostError);
        const k2 = key();
        const create = await s.executions
          .createWorkflowExecution({
            shardId,
            rangeId,
            key: k2,
            mode: { kind: 'brand-new' },
            current: current(k2.runId),
            execution: execution(1),
            tasks: [],
          })
          .catch((e: unknown) => e);
        expect(create).toBeInstanceOf(ShardOwnershipLostError);
        expect(await s.executions.getWorkflowExecution(shardId, k2)).toBeUndefined();
        expect((await s.executions.getWorkflowExecution(shardId, k))?.dbRecordVersion).toBe(1);
        const renew = await s.shards
          .updateShard({ shardId, rangeId: rangeId + 5, blob: enc('stale') }, rangeId)
          .catch((e: unknown) => e);
        expect(renew).toBeInstanceOf(ShardOwnershipLostError);
        // The new owner writes fine.
        await s.executions.updateWorkflowExecution({
          shardId,
          rangeId: row.rangeId + 1,
          key: k,
          mode: 'update-current',
          current: current(k.runId),
          mutation: mutation(2),
          tasks: [],
        });
      });
    });

    it('reads timer tasks by fire time, pages after a (time, id) position, and range-deletes below a level', async () => {
      await withShard(async (s, shardId, rangeId) => {
        const k = key();
        const base = rangeId * 2 ** 20;
        const timers: HistoryTaskRow[] = [
          { category: 'timer', taskId: base + 1, visibilityTimeMs: 5000, blob: enc('a') },
          { category: 'timer', taskId: base + 2, visibilityTimeMs: 3000, blob: enc('b') },
          { category: 'timer', taskId: base + 3, visibilityTimeMs: 5000, blob: enc('c') },
          { category: 'timer', taskId: base + 4, visibilityTimeMs: 9000, blob: enc('d') },
        ];
        await s.executions.createWorkflowExecution({
          shardId,
          rangeId,
          key: k,
          mode: { kind: 'brand-new' },
          current: current(k.runId),
          execution: execution(1),
          tasks: timers,
        });
        const all = await s.executions.getTimerTasks(shardId, {
          minFireTimeMs: 0,
          maxFireTimeMs: 10_000,
          pageSize: 10,
        });
        expect(all.map((t) => dec(t.blob))).toEqual(['b', 'a', 'c', 'd']);
        const window = await s.executions.getTimerTasks(shardId, {
          minFireTimeMs: 4000,
          maxFireTimeMs: 9000,
          pageSize: 10,
        });
        expect(window.map((t) => dec(t.blob))).toEqual(['a', 'c']);
        const page = await s.executions.getTimerTasks(shardId, {
          minFireTimeMs: 0,
          maxFireTimeMs: 10_000,
          pageSize: 2,
          after: { fireTimeMs: 5000, taskId: base + 1 },
        });
        expect(page.map((t) => dec(t.blob))).toEqual(['c', 'd']);
        await s.executions.rangeCompleteTimerTasks(shardId, { fireTimeMs: 5001, taskId: 0 });
        const left = await s.executions.getTimerTasks(shardId, {
          minFireTimeMs: 0,
          maxFireTimeMs: 10_000,
          pageSize: 10,
        });
        expect(left.map((t) => dec(t.blob))).toEqual(['d']);
      });
    });

    it('range-deletes transfer tasks below a task id', async () => {
      await withShard(async (s, shardId, rangeId) => {
        const k = key();
        const base = rangeId * 2 ** 20;
        const tasks: HistoryTaskRow[] = [1, 2, 3, 4, 5].map((i) => ({
          category: 'transfer',
          taskId: base + i,
          visibilityTimeMs: 0,
          blob: enc(`t${i}`),
        }));
        await s.executions.createWorkflowExecution({
          shardId,
          rangeId,
          key: k,
          mode: { kind: 'brand-new' },
          current: current(k.runId),
          execution: execution(1),
          tasks,
        });
        await s.executions.rangeCompleteTransferTasks(shardId, 'transfer', base + 4);
        const left = await s.executions.getTransferTasks(shardId, 'transfer', {
          minTaskId: 0,
          maxTaskId: Number.MAX_SAFE_INTEGER,
          pageSize: 10,
        });
        expect(left.map((t) => dec(t.blob))).toEqual(['t4', 't5']);
      });
    });

    it('history: highest txn id wins per node, pages in order, trims one node version, deletes a branch', async () => {
      const s = await open();
      try {
        const treeId = randomUUID();
        const branchId = randomUUID();
        await s.history.appendHistoryNodes({
          treeId,
          branchId,
          node: { nodeId: 1, txnId: 10, prevTxnId: 0, blob: bytes('1-2') },
          newBranch: { info: enc('branch') },
        });
        await s.history.appendHistoryNodes({
          treeId,
          branchId,
          node: { nodeId: 3, txnId: 11, prevTxnId: 10, blob: bytes('3-4 stale') },
        });
        await s.history.appendHistoryNodes({
          treeId,
          branchId,
          node: { nodeId: 3, txnId: 12, prevTxnId: 10, blob: bytes('3-4') },
        });
        await s.history.appendHistoryNodes({
          treeId,
          branchId,
          node: { nodeId: 5, txnId: 13, prevTxnId: 12, blob: bytes('5') },
        });
        const all = await s.history.readHistoryNodes({
          treeId,
          branchId,
          minNodeId: 1,
          maxNodeId: 100,
          pageSize: 100,
          pageToken: undefined,
        });
        expect(all.nodes.map((n) => `${n.nodeId}/${n.txnId}`)).toEqual(['1/10', '3/12', '3/11', '5/13']);
        const seen: string[] = [];
        let token: Uint8Array | undefined;
        do {
          const page = await s.history.readHistoryNodes({
            treeId,
            branchId,
            minNodeId: 1,
            maxNodeId: 100,
            pageSize: 2,
            pageToken: token,
          });
          seen.push(...page.nodes.map((n) => `${n.nodeId}/${n.txnId}`));
          token = page.nextPageToken;
        } while (token);
        expect(seen).toEqual(['1/10', '3/12', '3/11', '5/13']);
        await s.history.deleteHistoryNode({ treeId, branchId, nodeId: 3, txnId: 11 });
        const trimmed = await s.history.readHistoryNodes({
          treeId,
          branchId,
          minNodeId: 1,
          maxNodeId: 5,
          pageSize: 100,
          pageToken: undefined,
        });
        expect(trimmed.nodes.map((n) => dec(n.blob))).toEqual(['1-2', '3-4']);
        await s.history.deleteHistoryBranch({ treeId, branchId });
        expect(
          (
            await s.history.readHistoryNodes({
              treeId,
              branchId,
              minNodeId: 1,
              maxNodeId: 100,
              pageSize: 100,
              pageToken: undefined,
            })
          ).nodes,
        ).toEqual([]);
      } finally {
        await close(s);
      }
    });

    it('task queues: writes are fenced by the lease; a takeover fences the old leaseholder', async () => {
      const s = await open();
      try {
        const q: TaskQueueKey = { namespaceId: randomUUID(), name: `q-${randomUUID()}`, type: 'activity' };
        const first = await s.tasks.getOrCreateTaskQueue(q, { rangeId: 0, blob: enc('info') });
        await s.tasks.updateTaskQueue(q, { rangeId: first.rangeId + 1, blob: enc('leased') }, first.rangeId);
        const lease = first.rangeId + 1;
        const base = lease * 2 ** 20;
        await s.tasks.createTasks(
          q,
          lease,
          [1, 2, 3, 4].map((i) => ({ taskId: base + i, blob: enc(`t${i}`) })),
        );
        expect(
          (await s.tasks.getTasks(q, { minTaskId: base, maxTaskId: base + 3, pageSize: 10 })).map((t) => dec(t.blob)),
        ).toEqual(['t1', 't2', 't3']);
        // Another leaseholder takes the queue.
        await s.tasks.updateTaskQueue(q, { rangeId: lease + 1, blob: enc('taken') }, lease);
        expect(
          await s.tasks.createTasks(q, lease, [{ taskId: base + 9, blob: enc('late') }]).catch((e: unknown) => e),
        ).toBeInstanceOf(TaskQueueLeaseLostError);
        expect(
          await s.tasks.updateTaskQueue(q, { rangeId: lease + 5, blob: enc('x') }, lease).catch((e: unknown) => e),
        ).toBeInstanceOf(TaskQueueLeaseLostError);
        expect(
          (await s.tasks.getTasks(q, { minTaskId: 0, maxTaskId: Number.MAX_SAFE_INTEGER, pageSize: 10 })).map((t) =>
            dec(t.blob),
          ),
        ).toEqual(['t1', 't2', 't3', 't4']);
        await s.tasks.completeTasksLessThan(q, base + 3);
        expect(
          (await s.tasks.getTasks(q, { minTaskId: 0, maxTaskId: Number.MAX_SAFE_INTEGER, pageSize: 10 })).map((t) =>
            dec(t.blob),
          ),
        ).toEqual(['t3', 't4']);
      } finally {
        await close(s);
      }
    });

    it('namespaces: create once, find by name and id, update by notification version', async () => {
      const s = await open();
      try {
        const id = randomUUID();
        const name = `ns-${id.slice(0, 8)}`;
        await s.namespaces.createNamespace({ id, name, notificationVersion: 1, blob: enc('v1') });
        expect(
          await s.namespaces
            .createNamespace({ id: randomUUID(), name, notificationVersion: 1, blob: enc('dup') })
            .catch((e: unknown) => (e as Error).name),
        ).toBe('AlreadyExistsError');
        expect((await s.namespaces.getNamespaceById(id))?.name).toBe(name);
        await s.namespaces.updateNamespace({ id, name, notificationVersion: 2, blob: enc('v2') }, 1);
        expect(
          await s.namespaces
            .updateNamespace({ id, name, notificationVersion: 3, blob: enc('v3') }, 1)
            .catch((e: unknown) => e),
        ).toBeInstanceOf(ConditionFailedError);
        expect(dec((await s.namespaces.getNamespaceByName(name))?.blob ?? new Uint8Array())).toBe('v2');
        expect((await s.namespaces.listNamespaces()).some((n) => n.id === id)).toBe(true);
      } finally {
        await close(s);
      }
    });

    it('schedules: create once, update by version, list by namespace, delete', async () => {
      const s = await open();
      try {
        const schedules = s.schedules;
        expect(schedules, `${backend} keeps schedules`).toBeDefined();
        if (!schedules) return;
        const namespaceId = randomUUID();
        const row = { namespaceId, scheduleId: 'daily', blob: enc('v1'), version: 1 };
        await schedules.createSchedule(row);
        expect(await schedules.createSchedule(row).catch((e: unknown) => (e as Error).name)).toBe('AlreadyExistsError');
        await schedules.updateSchedule({ ...row, blob: enc('v2'), version: 2 }, 1);
        expect(
          await schedules.updateSchedule({ ...row, blob: enc('v3'), version: 3 }, 1).catch((e: unknown) => e),
        ).toBeInstanceOf(ConditionFailedError);
        await schedules.createSchedule({ ...row, scheduleId: 'hourly' });
        const listed = await schedules.listSchedules(namespaceId);
        expect(listed.map((r) => [r.scheduleId, dec(r.blob), r.version]).sort()).toEqual([
          ['daily', 'v2', 2],
          ['hourly', 'v1', 1],
        ]);
        expect(await schedules.listSchedules(randomUUID())).toEqual([]);
        await schedules.deleteSchedule(namespaceId, 'daily');
        expect((await schedules.listSchedules(namespaceId)).map((r) => r.scheduleId)).toEqual(['hourly']);
      } finally {
        await close(s);
      }
    });

    it('lists the runs of a shard, a page at a time', async () => {
      await withShard(async (s, shardId, rangeId) => {
        const keys = [key(), key(), key()];
        for (const k of keys) {
          await s.executions.createWorkflowExecution({
            shardId,
            rangeId,
            key: k,
            mode: { kind: 'brand-new' },
            current: current(k.runId),
            execution: execution(1),
            tasks: [],
          });
        }
        const seen: string[] = [];
        let token: Uint8Array | undefined;
        do {
          const page = await s.executions.listExecutions(shardId, 2, token);
          seen.push(...page.items.map((i) => i.key.runId));
          token = page.nextPageToken;
        } while (token);
        expect(seen.sort()).toEqual(keys.map((k) => k.runId).sort());
      });
    });

    it('counts conditional writes by outcome', async () => {
      await withShard(async (s, shardId, rangeId) => {
        const k = key();
        await s.executions.createWorkflowExecution({
          shardId,
          rangeId,
          key: k,
          mode: { kind: 'brand-new' },
          current: current(k.runId),
          execution: execution(1),
          tasks: [],
        });
        await s.executions
          .createWorkflowExecution({
            shardId,
            rangeId,
            key: k,
            mode: { kind: 'brand-new' },
            current: current(k.runId),
            execution: execution(1),
            tasks: [],
          })
          .catch(() => undefined);
        const outcomes = s.metrics.counts()['execution.create']?.outcomes ?? {};
        expect(outcomes.applied).toBeGreaterThanOrEqual(1);
        expect(outcomes.current_workflow_condition_failed).toBeGreaterThanOrEqual(1);
      });
    });
  });
}
