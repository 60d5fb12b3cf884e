import { describe, expect, it } from 'vitest';
import { createPersistence } from '../persistence/manager.js';
import { createMemoryStores, MemoryDatabase } from '../persistence/memory/index.js';
import type { MatchingTask } from '../persistence/records.js';
import { TaskQueue } from './task-queue.js';

function queue(db = new MemoryDatabase(), maxBufferedTasks = 100): TaskQueue {
  const p = createPersistence(createMemoryStores(db));
  return new TaskQueue({ namespaceId: 'ns', name: 'q', type: 'workflow' }, 'normal', p.tasks, {
    maxBufferedTasks,
    ackIntervalMs: 60_000,
    stickyPollerTimeoutMs: 10_000,
    now: () => Date.now(),
  });
}

function task(n: number): Omit<MatchingTask, 'taskId'> {
  return {
    namespaceId: 'ns',
    workflowId: `wf-${n}`,
    runId: 'r',
    scheduledEventId: n,
    attempt: 1,
    createdTimeMs: 0,
    expiryTimeMs: 0,
  };
}

describe('task queue', () => {
  it('hands tasks straight to waiting pollers, oldest poller first, writing nothing', async () => {
    const db = new MemoryDatabase();
    const q = queue(db);
    const signal = new AbortController().signal;
    const polls = [q.poll(5000, signal), q.poll(5000, signal), q.poll(5000, signal)];
    await new Promise((r) => setImmediate(r));
    const adds = [1, 2, 3].map((n) => q.add(task(n)));
    const got = await Promise.all(polls);
    for (const g of got) g?.finish(true);
    expect(await Promise.all(adds)).toEqual(['sync', 'sync', 'sync']);
    expect(got.map((g) => g?.task.workflowId)).toEqual(['wf-1', 'wf-2', 'wf-3']);
    expect([...db.taskQueues.values()].reduce((n, p) => n + p.tasks.size, 0)).toBe(0);
    q.stop();
  });

  it('persists tasks no poller waits for and delivers them in order', async () => {
    const db = new MemoryDatabase();
    const q = queue(db);
    for (const n of [1, 2, 3]) expect(await q.add(task(n))).toBe('persisted');
    expect([...db.taskQueues.values()].reduce((n, p) => n + p.tasks.size, 0)).toBe(3);
    const signal = new AbortController().signal;
    const got: string[] = [];
    for (let i = 0; i < 3; i++) {
      const d = await q.poll(1000, signal);
      got.push(d?.task.workflowId ?? '');
      d?.finish(true);
    }
    expect(got).toEqual(['wf-1', 'wf-2', 'wf-3']);
    q.stop();
  });

  it('a task a poller could not start goes back to the front of the queue', async () => {
    const q = queue();
    await q.add(task(1));
    await q.add(task(2));
    const signal = new AbortController().signal;
    const first = await q.poll(1000, signal);
    first?.finish(false);
    const again = await q.poll(1000, signal);
    expect(again?.task.workflowId).toBe('wf-1');
    q.stop();
  });

  it('reads an overflowing backlog back from the store', async () => {
    const q = queue(new MemoryDatabase(), 4);
    for (let n = 1; n <= 10; n++) await q.add(task(n));
    const signal = new AbortController().signal;
    const got: number[] = [];
    for (let i = 0; i < 10; i++) {
      const d = await q.poll(1000, signal);
      got.push(d?.task.scheduledEventId ?? -1);
      d?.finish(true);
    }
    expect(got).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    q.stop();
  });

  it('a poll ends empty at its deadline or when its caller goes away', async () => {
    const q = queue();
    expect(await q.poll(20, new AbortController().signal)).toBeUndefined();
    const ac = new AbortController();
    const p = q.poll(10_000, ac.signal);
    ac.abort();
    expect(await p).toBeUndefined();
    expect(q.pollerCount).toBe(0);
    q.stop();
  });
});
