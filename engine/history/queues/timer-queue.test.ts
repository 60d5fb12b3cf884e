import { describe, expect, it, vi } from 'vitest';
import { ManualClock, ScaledClock } from '../../clock.js';
import type { HistoryTask } from '../../persistence/records.js';
import { TimerQueue } from './timer-queue.js';

function timer(id: number, fireAt: number): HistoryTask {
  return {
    category: 'timer',
    taskId: id,
    visibilityTimeMs: fireAt,
    key: { namespaceId: 'n', workflowId: 'w', runId: 'r' },
    body: { kind: 'user-timer', startedEventId: id },
  };
}

async function settle(): Promise<void> {
  for (let i = 0; i < 5; i++) await new Promise((r) => setImmediate(r));
}

describe('timer queue', () => {
  it('fires tasks in fire-time order when the clock reaches them, and reads later windows from the store', async () => {
    const clock = new ManualClock(1_000_000);
    const stored = [timer(1, 1_000_500), timer(2, 1_000_200), timer(3, 1_500_000), timer(4, 9_000_000)];
    const fired: number[] = [];
    const q = new TimerQueue({
      shardId: 1,
      clock,
      load: (from, to) =>
        Promise.resolve(
          stored
            .filter((t) => t.visibilityTimeMs >= from && t.visibilityTimeMs < to)
            .sort((a, b) => a.visibilityTimeMs - b.visibilityTimeMs),
        ),
      execute: (t) => {
        fired.push(t.taskId);
        return Promise.resolve('done');
      },
      ack: () => Promise.resolve(),
      lowestUnfinishedFireTimeMs: () => Infinity,
      initialAckLevelMs: 0,
      lookaheadMs: 1_000_000,
      ackIntervalMs: 60_000,
      concurrency: 4,
      onError: () => undefined,
    });
    await q.start();
    clock.advance(199);
    await settle();
    expect(fired).toEqual([]);
    clock.advance(1);
    await settle();
    expect(fired).toEqual([2]);
    clock.advance(500_000);
    await settle();
    expect(fired).toEqual([2, 1, 3]);
    // Task 4 lies beyond the first window; the queue reads it when the clock gets close.
    clock.advance(8_000_000);
    await settle();
    clock.advance(0);
    await settle();
    expect(fired).toEqual([2, 1, 3, 4]);
    expect(q.size).toBe(0);
    await q.stop();
  });

  it('keeps a committed task that falls inside the loaded window', async () => {
    const clock = new ManualClock(0);
    const fired: number[] = [];
    const q = new TimerQueue({
      shardId: 1,
      clock,
      load: () => Promise.resolve([]),
      execute: (t) => {
        fired.push(t.taskId);
        return Promise.resolve('done');
      },
      ack: () => Promise.resolve(),
      lowestUnfinishedFireTimeMs: () => Infinity,
      initialAckLevelMs: 0,
      lookaheadMs: 10_000,
      ackIntervalMs: 60_000,
      concurrency: 1,
      onError: () => undefined,
    });
    await q.start();
    q.add([timer(7, 5_000), timer(8, 50_000)]);
    expect(q.size).toBe(1);
    clock.advance(5_000);
    await settle();
    expect(fired).toEqual([7]);
    await q.stop();
  });

  it('keeps firing after a task that was already due when it was added (regression: a dead queue)', async () => {
    // The real scaled clock: a task already due used to fire synchronously inside schedule(), which left a
    // stale "armed" entry behind and stopped the shard's queue for good.
    const clock = new ScaledClock(1000);
    const fired: number[] = [];
    const q = new TimerQueue({
      shardId: 1,
      clock,
      load: () => Promise.resolve([]),
      execute: (t) => {
        fired.push(t.taskId);
        return Promise.resolve('done');
      },
      ack: () => Promise.resolve(),
      lowestUnfinishedFireTimeMs: () => Infinity,
      initialAckLevelMs: 0,
      lookaheadMs: 1e9,
      ackIntervalMs: 60_000,
      concurrency: 4,
      onError: () => undefined,
    });
    await q.start();
    q.add([timer(1, clock.now() - 1)]);
    await new Promise((r) => setTimeout(r, 20));
    q.add([timer(2, clock.now() + 2000)]); // 2 s virtual = 2 ms real
    q.add([timer(3, clock.now() + 4000)]);
    await new Promise((r) => setTimeout(r, 50));
    expect(fired).toEqual([1, 2, 3]);
    await q.stop();
  });

  it('never acks past tasks a window read has not loaded yet (regression: timeouts lost after a store outage)', async () => {
    // The store is down when the next window is due, and stays down while the clock moves on; when it comes back,
    // the re-read is slow. An ack level computed meanwhile used to reach the clock's now, so the range delete removed
    // persisted timer tasks (workflow-task and activity timeouts) that the window had not loaded yet: the workflows
    // waiting on them stayed open forever.
    const clock = new ManualClock(0);
    const stored = [timer(1, 30_000)];
    let mode: 'up' | 'down' | 'slow' = 'up';
    let slowRead: { resolve(): void } | undefined;
    const fired: number[] = [];
    const acks: number[] = [];
    const q = new TimerQueue({
      shardId: 1,
      clock,
      load: async (from, to) => {
        if (mode === 'down') throw new Error('store unavailable');
        if (mode === 'slow') await new Promise<void>((resolve) => (slowRead = { resolve }));
        return stored.filter((t) => t.visibilityTimeMs >= from && t.visibilityTimeMs < to);
      },
      execute: (t) => {
        fired.push(t.taskId);
        return Promise.resolve('done');
      },
      ack: (level) => {
        acks.push(level.fireTimeMs);
        return Promise.resolve();
      },
      lowestUnfinishedFireTimeMs: () => Infinity,
      initialAckLevelMs: 0,
      lookaheadMs: 20_000,
      ackIntervalMs: 60_000,
      concurrency: 1,
      onError: () => undefined,
      readRetryMs: 5,
    });
    await q.start(); // window [0, 20 000): task 1 (fires at 30 000) stays in the store
    mode = 'down';
    clock.advance(10_000); // the next window read (at half the look-ahead) fails
    await settle();
    clock.advance(30_000); // the outage lasts; the task is now overdue
    mode = 'slow';
    await vi.waitFor(() => expect(slowRead).toBeDefined()); // the retried read is in flight
    expect(q.ackLevel().fireTimeMs).toBeLessThanOrEqual(20_000);
    await q.updateAck();
    expect(Math.max(...acks)).toBeLessThanOrEqual(20_000);
    slowRead?.resolve();
    await vi.waitFor(() => expect(fired).toEqual([1]));
    await q.updateAck();
    expect(Math.max(...acks)).toBe(40_000); // everything before now has fired: the ack level moves on
    await q.stop();
  });
});

describe('a herd of due timers', () => {
  function herdTimer(id: number, workflowId: string, fireAt: number): HistoryTask {
    return { ...timer(id, fireAt), key: { namespaceId: 'n', workflowId, runId: 'r' } };
  }

  it('is fired in bounded, fair batches: another workflow due at the same time is not served after the whole herd', async () => {
    const clock = new ManualClock(1_000_000);
    // 3,000 timers of one workflow and 10 of another, all due at once (the herd stored first).
    const stored = [
      ...Array.from({ length: 3000 }, (_, i) => herdTimer(i + 1, 'herd', 1_000_100)),
      ...Array.from({ length: 10 }, (_, i) => herdTimer(10_000 + i, 'other', 1_000_100)),
    ];
    const order: string[] = [];
    let running = 0;
    let maxQueued = 0;
    const q: TimerQueue = new TimerQueue({
      shardId: 1,
      clock,
      load: (from, to, pageSize, after) =>
        Promise.resolve(
          stored
            .filter((t) => t.visibilityTimeMs >= from && t.visibilityTimeMs < to)
            .filter((t) => !after || t.taskId > after.taskId)
            .slice(0, pageSize),
        ),
      execute: async (t) => {
        running += 1;
        // Never more at once than the queue's concurrency.
        maxQueued = Math.max(maxQueued, running);
        order.push(t.key.workflowId);
        await new Promise((r) => setImmediate(r));
        running -= 1;
        return 'done';
      },
      ack: () => Promise.resolve(),
      lowestUnfinishedFireTimeMs: () => Infinity,
      initialAckLevelMs: 0,
      lookaheadMs: 1_000_000,
      ackIntervalMs: 60_000,
      concurrency: 4,
      onError: () => undefined,
    });
    await q.start();
    clock.advance(100);
    await vi.waitFor(() => expect(q.fired).toBe(3010), { timeout: 10_000 });
    // The other workflow's 10 timers all ran in the first batch, not after the herd's 3,000.
    expect(order.lastIndexOf('other')).toBeLessThan(300);
    expect(maxQueued).toBeLessThanOrEqual(4);
    await q.stop();
  });
});
