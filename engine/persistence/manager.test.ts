import { describe, expect, it } from 'vitest';
import { enums, toNumber, type IHistoryEvent } from '../proto.js';
import { startedRun } from '../history/state/run.fixture.js';
import type { MutableState } from '../history/mutable-state.js';
import { StoreUnavailableError, WorkflowConditionFailedError } from './errors.js';
import { createPersistence, InvariantViolationError, type Persistence } from './manager.js';
import { createMemoryStores } from './memory/index.js';
import type { HistoryTask, MatchingTask } from './records.js';
import type { Stores } from './store.js';

const SHARD = 1;
/** Task ids of range_id 1: [2^20, 2^21). */
const RANGE = 1;
const TASK_ID = 2 ** 20 + 1;

async function withShard(stores: Stores = createMemoryStores()): Promise<Persistence> {
  const p = createPersistence(stores, { retry: { attempts: 3, initialBackoffMs: 1, maxBackoffMs: 1 } });
  const shard = await p.shards.getOrCreateShard(SHARD, 'test');
  await p.shards.updateShard({ ...shard, rangeId: RANGE }, shard.rangeId);
  return p;
}

function taskOf(ms: MutableState, taskId: number): HistoryTask {
  return { key: ms.key, taskId, category: 'transfer', body: { kind: 'close-execution' }, visibilityTimeMs: 0 };
}

/** A new run's first transaction as the transaction path persists it. */
async function create(p: Persistence): Promise<MutableState> {
  const { ms } = startedRun();
  // The fixture committed the run; persist it as its first write would have.
  ms.isNew = true;
  await p.executions.createWorkflowExecution({
    shardId: SHARD,
    rangeId: RANGE,
    mode: { kind: 'brand-new' },
    snapshot: ms.toSnapshot(),
    tasks: [taskOf(ms, TASK_ID)],
  });
  ms.commit();
  return ms;
}

function events(first: number, n: number): IHistoryEvent[] {
  return Array.from({ length: n }, (_, i) => ({
    eventId: first + i,
    eventType: enums.EventType.EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED,
  }));
}

describe('the execution manager', () => {
  it('round-trips a run: info, activities, timers and buffered events as written', async () => {
    const p = await withShard();
    const ms = await create(p);
    const back = await p.executions.getWorkflowExecution(SHARD, ms.key);
    expect(back?.dbRecordVersion).toBe(1);
    expect(back?.info).toEqual(ms.info);
    expect(await p.executions.getCurrentExecution(SHARD, 'ns', 'wf')).toMatchObject({ runId: 'run-1' });
    expect((await p.executions.getTransferTasks(SHARD, 'transfer', 0, 2 ** 21, 10)).map((t) => t.taskId)).toEqual([
      TASK_ID,
    ]);
  });

  it('applies a mutation and fences it on db_record_version', async () => {
    const p = await withShard();
    const ms = await create(p);
    ms.begin(ms.nowMs + 1000);
    ms.putTimer({ timerId: 't1', startedEventId: 5, expiryTimeMs: 99, taskCreated: true });
    ms.newBufferedEvents.push({ eventType: enums.EventType.EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED });
    const mutation = ms.toMutation();
    await p.executions.updateWorkflowExecution({
      shardId: SHARD,
      rangeId: RANGE,
      mode: 'update-current',
      mutation,
      tasks: [],
    });
    const back = await p.executions.getWorkflowExecution(SHARD, ms.key);
    expect(back?.dbRecordVersion).toBe(2);
    expect([...(back?.timers.keys() ?? [])]).toEqual(['t1']);
    expect(back?.bufferedEvents.map((e) => e.eventType)).toEqual([
      enums.EventType.EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED,
    ]);
    // The same mutation again conditions on version 1, which is gone: another writer won.
    await expect(
      p.executions.updateWorkflowExecution({
        shardId: SHARD,
        rangeId: RANGE,
        mode: 'update-current',
        mutation,
        tasks: [],
      }),
    ).rejects.toBeInstanceOf(WorkflowConditionFailedError);
  });

  it('refuses what breaks an invariant before the store sees it', async () => {
    const p = await withShard();
    const { ms } = startedRun();
    ms.isNew = true;
    const snapshot = ms.toSnapshot();
    await expect(
      p.executions.createWorkflowExecution({
        shardId: SHARD,
        rangeId: RANGE,
        mode: { kind: 'brand-new' },
        snapshot,
        // A task id from range 2: the shard's fence would be meaningless.
        tasks: [taskOf(ms, 2 * 2 ** 20)],
      }),
    ).rejects.toThrow(/outside the range of range_id 1/);
    expect(await p.executions.getWorkflowExecution(SHARD, ms.key)).toBeUndefined();
    await expect(
      p.executions.createWorkflowExecution({
        shardId: SHARD,
        rangeId: RANGE,
        mode: { kind: 'brand-new' },
        snapshot: { ...snapshot, dbRecordVersion: 2 },
        tasks: [],
      }),
    ).rejects.toBeInstanceOf(InvariantViolationError);
  });
});

describe('history branches', () => {
  const branch = { treeId: 'tree', branchId: 'branch' };

  it('refuse a batch whose event ids are not contiguous, or whose txn id does not increase', async () => {
    const p = await withShard();
    const gap = [...events(1, 2), ...events(4, 1)];
    await expect(
      p.executions.appendHistoryEvents({ ...branch, events: gap, txnId: 2, prevTxnId: 1, newBranch: true }),
    ).rejects.toThrow(/contiguous/);
    await expect(
      p.executions.appendHistoryEvents({ ...branch, events: events(1, 2), txnId: 1, prevTxnId: 1, newBranch: true }),
    ).rejects.toThrow(/txn ids increase/);
  });

  it("read back in whole batches up to the run's next event id; a failed transaction's node beyond it is skipped", async () => {
    const p = await withShard();
    await p.executions.appendHistoryEvents({
      ...branch,
      events: events(1, 3),
      txnId: 10,
      prevTxnId: 0,
      newBranch: true,
    });
    await p.executions.appendHistoryEvents({
      ...branch,
      events: events(4, 2),
      txnId: 11,
      prevTxnId: 10,
      newBranch: false,
    });
    // A node written by a transaction whose conditional batch then failed: past the run's next event id (6).
    await p.executions.appendHistoryEvents({
      ...branch,
      events: events(6, 1),
      txnId: 12,
      prevTxnId: 11,
      newBranch: false,
    });
    const all = await p.executions.readHistoryBranch({
      ...branch,
      minEventId: 1,
      maxEventId: 6,
      pageSize: 100,
      pageToken: undefined,
    });
    expect(all.events.map((e) => toNumber(e.eventId))).toEqual([1, 2, 3, 4, 5]);
    expect(all.batches).toHaveLength(2);
    // A page of one event still returns the first whole batch (3 events), and a token for the rest.
    const page = { ...branch, minEventId: 1, maxEventId: 6, pageSize: 1 };
    const first = await p.executions.readHistoryBranch({ ...page, pageToken: undefined });
    expect(first.events.map((e) => toNumber(e.eventId))).toEqual([1, 2, 3]);
    const second = await p.executions.readHistoryBranch({ ...page, pageToken: first.nextPageToken });
    expect(second.events.map((e) => toNumber(e.eventId))).toEqual([4, 5]);
  });
});

describe('a node written twice', () => {
  it('is read in its latest version: a retried transaction rewrote it with a higher txn id', async () => {
    const p = await withShard();
    const branch = { treeId: 'tree', branchId: 'branch' };
    await p.executions.appendHistoryEvents({
      ...branch,
      events: events(1, 2),
      txnId: 10,
      prevTxnId: 0,
      newBranch: true,
    });
    await p.executions.appendHistoryEvents({
      ...branch,
      events: events(3, 1),
      txnId: 11,
      prevTxnId: 10,
      newBranch: false,
    });
    const retried = [{ eventId: 3, eventType: enums.EventType.EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED }];
    await p.executions.appendHistoryEvents({ ...branch, events: retried, txnId: 12, prevTxnId: 10, newBranch: false });
    const read = await p.executions.readHistoryBranch({
      ...branch,
      minEventId: 1,
      maxEventId: 4,
      pageSize: 100,
      pageToken: undefined,
    });
    expect(read.events.map((e) => e.eventType)).toEqual([
      enums.EventType.EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED,
      enums.EventType.EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED,
      enums.EventType.EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED,
    ]);
  });
});

describe('task queue leases', () => {
  const key = { namespaceId: 'ns', name: 'tq', type: 'workflow' as const };

  it('each lease takes the next range id, and tasks outside it are refused', async () => {
    const p = await withShard();
    const a = await p.tasks.leaseTaskQueue(key, 'normal', 1);
    const b = await p.tasks.leaseTaskQueue(key, 'normal', 2);
    expect(b.rangeId).toBe(a.rangeId + 1);
    const task: MatchingTask = {
      taskId: a.rangeId * 2 ** 20 + 1,
      namespaceId: 'ns',
      workflowId: 'w',
      runId: 'r',
      scheduledEventId: 2,
      attempt: 1,
      createdTimeMs: 0,
      expiryTimeMs: 0,
    };
    // A task id from the previous lease: the queue's fence would be meaningless.
    await expect(p.tasks.createTasks(key, b.rangeId, [task])).rejects.toThrow(/outside lease/);
  });
});

describe('retries', () => {
  it('retry a store call that certainly did not apply, and not a condition failure', async () => {
    const stores = createMemoryStores();
    const real = stores.executions.getCurrentExecution.bind(stores.executions);
    let calls = 0;
    stores.executions.getCurrentExecution = (...args) => {
      calls += 1;
      if (calls === 1) return Promise.reject(new StoreUnavailableError('replica down'));
      return real(...args);
    };
    const p = await withShard(stores);
    expect(await p.executions.getCurrentExecution(SHARD, 'ns', 'nobody')).toBeUndefined();
    expect(calls).toBe(2);
  });
});
