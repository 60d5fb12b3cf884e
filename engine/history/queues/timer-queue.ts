/**
 * A shard's durable timer queue. Timer tasks are persisted with their fire time (virtual ms) in the shard's
 * partition; this queue keeps in memory only those due within a look-ahead window, reads the next window from
 * the store as the clock advances, fires due tasks through the injected executor, and range-deletes fired tasks
 * below its ack level. Driven entirely by a `Clock`, so tests move time with `ManualClock.advance`.
 */
import { BTree } from '../../util/btree.js';
import type { Clock, TimerHandle } from '../../clock.js';
import type { HistoryTask } from '../../persistence/records.js';
import { RoundRobin } from './round-robin.js';
import { TaskRunner, type TaskOutcome } from './task-runner.js';

type Key = [number, number];

/**
 * Due tasks queued in the runner at most (beyond its concurrency). Small: on a store that answers at once (memory)
 * a batch runs in one event-loop turn, so the batch bounds how long other clients wait (tools/perf/timer-herd.ts).
 */
const FIRE_BATCH = 32;
/** Due tasks moved out of the fire-time index per event-loop turn. */
const MOVE_CHUNK = 4096;

function runOf(t: HistoryTask): string {
  return `${t.key.namespaceId}/${t.key.workflowId}/${t.key.runId}`;
}

function compare(a: Key, b: Key): number {
  return a[0] - b[0] || a[1] - b[1];
}

export interface TimerQueueDeps {
  shardId: number;
  clock: Clock;
  /** Tasks with fireTime in [fromMs, toMs), after `after` when paging. */
  load(
    fromMs: number,
    toMs: number,
    pageSize: number,
    after?: { fireTimeMs: number; taskId: number },
  ): Promise<HistoryTask[]>;
  execute(task: HistoryTask): Promise<TaskOutcome>;
  /** Deletes tasks strictly before (fireTime, taskId) and records the ack level. */
  ack(level: { fireTimeMs: number; taskId: number }): Promise<void>;
  /** Earliest fire time a transaction in flight may still write (Infinity when none). */
  lowestUnfinishedFireTimeMs(): number;
  initialAckLevelMs: number;
  /** How far ahead (virtual ms) tasks are held in memory. */
  lookaheadMs: number;
  ackIntervalMs: number;
  concurrency: number;
  onError(task: HistoryTask, err: unknown): void;
  /** Real ms before a failed window read is tried again (the store may be down). */
  readRetryMs?: number;
}

export class TimerQueue {
  /** Loaded, not yet fired. */
  private readonly waiting = new BTree<Key, HistoryTask>(undefined, compare);
  /** Fired, executing (or retrying). */
  private readonly executing = new BTree<Key, HistoryTask>(undefined, compare);
  private readonly runner: TaskRunner<HistoryTask>;
  /**
   * Committed tasks with fireTime < readUpToMs are kept in memory by add(); a window read moves it first, so a task
   * committed while the read runs is not missed.
   */
  private readUpToMs: number;
  /**
   * Every persisted task with fireTime < loadedUpToMs is in memory or done. It trails readUpToMs while a read is
   * in flight (or failed): the ack level must not pass it, or the range delete would remove tasks still unread.
   */
  private loadedUpToMs: number;
  private armed: { atMs: number; handle: TimerHandle } | undefined;
  private windowTimer: TimerHandle | undefined;
  private ackTimer: NodeJS.Timeout | undefined;
  private reading: Promise<void> | undefined;
  private persistedAckMs: number;
  private stopped = false;
  /** Due, handed over, waiting for the runner: served round-robin across runs. */
  private readonly ready = new RoundRobin<HistoryTask>();
  /** Due tasks remain that did not fit the last batch. */
  private behind = false;
  private pumpQueued = false;
  fired = 0;

  constructor(private readonly deps: TimerQueueDeps) {
    this.readUpToMs = deps.initialAckLevelMs;
    this.loadedUpToMs = deps.initialAckLevelMs;
    this.persistedAckMs = deps.initialAckLevelMs;
    this.runner = new TaskRunner<HistoryTask>({
      concurrency: deps.concurrency,
      execute: (t) => deps.execute(t),
      done: (t) => {
        this.executing.delete([t.visibilityTimeMs, t.taskId]);
        this.fired += 1;
        this.onRunnerProgress();
      },
      onError: (t, err) => {
        deps.onError(t, err);
        this.onRunnerProgress();
      },
    });
  }

  async start(): Promise<void> {
    await this.readWindow();
    this.ackTimer = setInterval(() => void this.updateAck(), this.deps.ackIntervalMs);
    this.ackTimer.unref();
  }

  /** Committed timer tasks. Those beyond the window stay in the store until the window reaches them. */
  add(tasks: HistoryTask[]): void {
    if (this.stopped) return;
    let changed = false;
    for (const t of tasks) {
      if (t.visibilityTimeMs < this.readUpToMs) {
        const key: Key = [t.visibilityTimeMs, t.taskId];
        if (!this.executing.has(key)) changed = this.waiting.set(key, t, false) || changed;
      }
    }
    if (changed) this.arm();
  }

  get size(): number {
    return this.waiting.size + this.executing.size;
  }

  /** Reads the next window when half of the current one has passed (on the same clock as the timers). */
  private scheduleNextRead(): void {
    if (this.stopped) return;
    this.windowTimer?.cancel();
    this.windowTimer = this.deps.clock.schedule(
      this.readUpToMs - this.deps.lookaheadMs / 2,
      () => void this.readWindow(),
    );
  }

  private readWindow(): Promise<void> {
    this.reading ??= (async () => {
      const from = this.readUpToMs;
      const to = this.deps.clock.now() + this.deps.lookaheadMs;
      // Move the boundary first: a task committed during the read is then kept by add() and deduplicated here.
      this.readUpToMs = Math.max(to, from);
      let after: { fireTimeMs: number; taskId: number } | undefined;
      let failed = false;
      try {
        for (;;) {
          const page = await this.deps.load(from, this.readUpToMs, 1000, after);
          this.add(page);
          const last = page[page.length - 1];
          if (!last || page.length < 1000) break;
          after = { fireTimeMs: last.visibilityTimeMs, taskId: last.taskId };
        }
        this.loadedUpToMs = this.readUpToMs;
      } catch (err) {
        // Read again from the same point after a pause (the store may be down).
        this.readUpToMs = from;
        failed = true;
        throw err;
      } finally {
        this.reading = undefined;
        if (!failed) this.scheduleNextRead();
        else if (!this.stopped) setTimeout(() => void this.readWindow(), this.deps.readRetryMs ?? 1000).unref();
      }
    })();
    return this.reading.catch(() => undefined);
  }

  private arm(): void {
    if (this.stopped) return;
    const first = this.waiting.minKey();
    if (!first) return;
    if (this.armed && this.armed.atMs <= first[0]) return;
    this.armed?.handle.cancel();
    const atMs = first[0];
    // The entry is recorded before the clock can call back, and a superseded entry never fires.
    const entry: { atMs: number; handle: TimerHandle } = { atMs, handle: { cancel: () => undefined } };
    this.armed = entry;
    entry.handle = this.deps.clock.schedule(atMs, () => {
      if (this.armed === entry) this.fireDue();
    });
  }

  /**
   * Moves due tasks (at most MOVE_CHUNK per turn, so a herd of 100k is not moved in one event-loop turn) to the
   * round-robin of runs, and hands them to the runner one run after another, never more than FIRE_BATCH waiting
   * there: the runner's queue, and the shard's IO queue behind it, never hold more than a batch ahead of other work.
   * The rest follows as the runner drains, on later turns, so RPCs and other shards' queues run in between.
   */
  private fireDue(): void {
    this.armed = undefined;
    if (this.stopped) return;
    const now = this.deps.clock.now();
    let moved = 0;
    for (;;) {
      const key = this.waiting.minKey();
      if (!key || key[0] > now || moved >= MOVE_CHUNK) break;
      const task = this.waiting.get(key) as HistoryTask;
      this.waiting.delete(key);
      // Handed over: it holds back the ack level until it completes.
      this.executing.set(key, task);
      this.ready.push(runOf(task), task);
      moved += 1;
    }
    while (this.ready.size > 0 && this.runner.backlog < FIRE_BATCH)
      this.runner.submit(this.ready.take() as HistoryTask);
    const next = this.waiting.minKey();
    const dueLeft = next !== undefined && next[0] <= now;
    this.behind = this.ready.size > 0 || dueLeft;
    if (dueLeft && moved >= MOVE_CHUNK) this.continueSoon();
    if (!this.behind) this.arm();
  }

  /** Called as the runner finishes a task: more of a herd goes in once half a batch has room. */
  private onRunnerProgress(): void {
    if (this.behind && this.runner.backlog <= FIRE_BATCH / 2) this.continueSoon();
  }

  private continueSoon(): void {
    if (this.pumpQueued) return;
    this.pumpQueued = true;
    setImmediate(() => {
      this.pumpQueued = false;
      this.fireDue();
    });
  }

  /** Everything strictly before this (fireTime, taskId) has fired and completed. */
  ackLevel(): { fireTimeMs: number; taskId: number } {
    const candidates: Key[] = [];
    const w = this.waiting.minKey();
    const e = this.executing.minKey();
    if (w) candidates.push(w);
    if (e) candidates.push(e);
    const inflight = this.deps.lowestUnfinishedFireTimeMs();
    candidates.push([Math.min(this.loadedUpToMs, inflight, this.deps.clock.now()), 0]);
    candidates.sort(compare);
    const [fireTimeMs, taskId] = candidates[0] as Key;
    return { fireTimeMs, taskId };
  }

  async updateAck(): Promise<void> {
    if (this.stopped) return;
    const level = this.ackLevel();
    if (level.fireTimeMs <= this.persistedAckMs) return;
    try {
      await this.deps.ack(level);
      this.persistedAckMs = level.fireTimeMs;
    } catch {
      // Retried on the next tick.
    }
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.ready.clear();
    this.armed?.handle.cancel();
    this.windowTimer?.cancel();
    if (this.ackTimer) clearInterval(this.ackTimer);
    await this.runner.drain();
  }
}
