/**
 * Matching across `reset()` (the engine drops its task queues when the store comes back after an outage). The calls
 * caught in a queue's lease when it is dropped are the hazard: a poll that parked on the dropped queue, and an add
 * that wrote under a lease taken after the replacement's. Both are driven here deterministically by holding the
 * first lease until after the reset (the real memory store underneath; only the lease's timing is controlled).
 */
import { describe, expect, it } from 'vitest';
import { createPersistence } from '../persistence/manager.js';
import type { TaskManager } from '../persistence/data-interfaces.js';
import { createMemoryStores, MemoryDatabase } from '../persistence/memory/index.js';
import type { MatchingTask } from '../persistence/records.js';
import { TaskQueueLeaseLostError } from '../persistence/errors.js';
import { StickyWorkerUnavailableError } from '../errors.js';
import { MatchingService } from './matching-service.js';

/** The memory store's task manager, with the first lease held until `release()`. */
function heldFirstLease(): { tasks: TaskManager; db: MemoryDatabase; release(): void; leases: () => number } {
  const db = new MemoryDatabase();
  const inner = createPersistence(createMemoryStores(db)).tasks;
  let release!: () => void;
  const gate = new Promise<void>((r) => (release = r));
  let leases = 0;
  const tasks: TaskManager = {
    leaseTaskQueue: async (key, kind, nowMs) => {
      leases += 1;
      if (leases === 1) await gate;
      return inner.leaseTaskQueue(key, kind, nowMs);
    },
    updateTaskQueue: (...a) => inner.updateTaskQueue(...a),
    createTasks: (...a) => inner.createTasks(...a),
    getTasks: (...a) => inner.getTasks(...a),
    completeTasksLessThan: (...a) => inner.completeTasksLessThan(...a),
  };
  return { tasks, db, release, leases: () => leases };
}

function matching(tasks: TaskManager): MatchingService {
  return new MatchingService(tasks, {
    maxBufferedTasks: 100,
    ackIntervalMs: 60_000,
    stickyPollerTimeoutMs: 10_000,
    longPollTimeoutMs: 60_000,
    now: () => Date.now(),
  });
}

const task: Omit<MatchingTask, 'taskId'> = {
  namespaceId: 'ns',
  workflowId: 'wf',
  runId: 'r',
  scheduledEventId: 2,
  attempt: 1,
  createdTimeMs: 0,
  expiryTimeMs: 0,
};

async function settle(): Promise<void> {
  for (let i = 0; i < 20; i++) await new Promise((r) => setImmediate(r));
}

/** What a promise has come to so far, without waiting for it. */
async function state<T>(p: Promise<T>): Promise<{ done: false } | { done: true; value: T }> {
  const pending = Symbol('pending');
  const v = await Promise.race([p, settle().then(() => pending)]);
  return v === pending ? { done: false } : { done: true, value: v as T };
}

const signal = new AbortController().signal;
const start = (t: MatchingTask): Promise<MatchingTask> => Promise.resolve(t);

describe('matching across reset', () => {
  it('a poll waiting for the lease of a queue dropped meanwhile comes back at once, not after its long poll', async () => {
    const h = heldFirstLease();
    const m = matching(h.tasks);
    const old = m.queue('ns', 'q', 'workflow', 'normal');
    const poll = m.poll(old, undefined, signal, 'p1', start);
    await settle();
    m.reset();
    h.release();
    // Parked on the dropped queue, the poll would sit there for the whole long poll (60 s): adds now go to the
    // queue matching holds, which this poller never hears of.
    expect(await state(poll)).toEqual({ done: true, value: undefined });
    const again = m.poll(m.queue('ns', 'q', 'workflow', 'normal'), undefined, signal, 'p2', start);
    await settle();
    expect(await m.addTask('ns', 'q', 'workflow', 'normal', task)).toBe('sync');
    expect((await again)?.workflowId).toBe('wf');
    m.stop();
  });

  it('an add caught in the lease of a dropped queue reaches a poller of the queue matching holds now', async () => {
    const h = heldFirstLease();
    const m = matching(h.tasks);
    // A transfer task's add, waiting for the queue's lease when the store's recovery drops the queue.
    const add = m.addTask('ns', 'q', 'workflow', 'normal', task);
    await settle();
    m.reset();
    // A worker polls the replacement, which leases (range 1) and reads the backlog (empty) first...
    const poll = m.poll(m.queue('ns', 'q', 'workflow', 'normal'), undefined, signal, 'p1', start);
    await settle();
    // ...then the dropped queue's lease goes through (range 2). Writing under it would put the task above all the
    // replacement ever reads back: persisted, the transfer task acknowledged, and no poller ever given it.
    h.release();
    expect(await add).toBe('sync');
    const got = await state(poll);
    expect(got.done && got.value?.workflowId).toBe('wf');
    expect(h.leases()).toBeGreaterThanOrEqual(2);
    m.stop();
  });

  it('a dropped queue writes nothing more: no task row is left that only it knew of', async () => {
    const h = heldFirstLease();
    const m = matching(h.tasks);
    const add = m.addTask('ns', 'q', 'workflow', 'normal', task);
    await settle();
    m.reset();
    // The replacement leases (range 1) and reads its backlog before the dropped queue's lease (range 2) goes through.
    const replacement = m.queue('ns', 'q', 'workflow', 'normal');
    expect(await replacement.poll(0, signal)).toBeUndefined();
    h.release();
    // The add went to the replacement, whose lease the dropped queue's has overtaken: refused, nothing written, and
    // the transfer task that made it is retried (as its runner does) rather than acknowledged.
    await expect(add).rejects.toThrow(TaskQueueLeaseLostError);
    expect([...h.db.taskQueues.values()].reduce((n, q) => n + q.tasks.size, 0)).toBe(0);
    expect(await m.addTask('ns', 'q', 'workflow', 'normal', task)).toBe('persisted');
    const d = await replacement.poll(1000, signal);
    expect(d?.task.workflowId).toBe('wf');
    d?.finish(true);
    m.stop();
  });

  it('a sticky queue its worker shut down still sends adds back to the normal queue (not retried as dropped)', async () => {
    const m = matching(createPersistence(createMemoryStores(new MemoryDatabase())).tasks);
    const sticky = m.queue('ns', 'worker-1-sticky', 'workflow', 'sticky');
    expect(await sticky.poll(0, signal)).toBeUndefined();
    m.shutdownSticky('ns', 'worker-1-sticky');
    await expect(m.addTask('ns', 'worker-1-sticky', 'workflow', 'sticky', task)).rejects.toThrow(
      StickyWorkerUnavailableError,
    );
    m.stop();
  });
});
