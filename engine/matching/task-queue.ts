/**
 * One task queue partition (namespace, name, type). A task added while a poller waits is handed over directly
 * (sync match, nothing written); otherwise it is written to the store in batches fenced by the queue's lease
 * (range id) and kept in a bounded in-memory backlog, reloaded from the store when that overflows. Delivered
 * tasks are acknowledged and deleted in ranges below the ack level, as Temporal's matching does.
 */
import type { MatchingTask, TaskQueueInfo, TaskQueueKey } from '../persistence/records.js';
import type { TaskManager } from '../persistence/manager.js';
import { RANGE_SIZE_BITS } from '../history/shard.js';
import { StickyWorkerUnavailableError } from '../errors.js';
import { TaskQueueLeaseLostError } from '../persistence/errors.js';
import { TaskQueueDroppedError } from './errors.js';

const RANGE_SIZE = 2 ** RANGE_SIZE_BITS;

/** A task handed to a poller; the poller must call `finish` once history has recorded (or refused) the start. */
export interface DeliveredTask {
  task: MatchingTask;
  /** `true`: delivered or stale, done with it. `false`: could not be started now, give it to another poller. */
  finish(consumed: boolean): void;
}

/**
 * The poll's cancellation: an AbortSignal, or a source that makes one only when asked (most polls find a task and
 * never wait, so they never need one).
 */
export type LazySignal = AbortSignal | { readonly aborted: boolean; onCancel(fn: () => void): () => void };

interface Waiter {
  resolve(t: DeliveredTask | undefined): void;
}

/** Pollers remembered per queue (Temporal keeps a bounded poller history too). */
const MAX_POLLER_HISTORY = 1000;

export interface TaskQueueOptions {
  maxBufferedTasks: number;
  ackIntervalMs: number;
  /** A sticky queue with no poll for this long counts as gone. */
  stickyPollerTimeoutMs: number;
  now(): number;
}

export class TaskQueue {
  private info: TaskQueueInfo | undefined;
  private nextTaskId = 0;
  private maxTaskId = 0;
  private readonly waiters: Waiter[] = [];
  /** Query tasks waiting for a poller (not persisted). */
  private readonly offers: { task: MatchingTask; taken(): void }[] = [];
  private buffer: MatchingTask[] = [];
  private readonly outstanding = new Set<number>();
  /** Highest task id written to the store. */
  private maxWrittenId = 0;
  /** Persisted tasks exist that are not in `buffer` (it overflowed); read them back as it drains. */
  private overflow = false;
  private reading = false;
  private writeQueue: { task: MatchingTask; resolve(): void; reject(e: unknown): void }[] = [];
  private writing = false;
  private initializing: Promise<void> | undefined;
  private ackTimer: NodeJS.Timeout | undefined;
  private persistedAckLevel = 0;
  lastPollMs = 0;
  shutdown = false;
  /** Dropped by matching (MatchingService.reset): polls still holding it come back empty and poll again. */
  private stopped = false;
  stats = { syncMatched: 0, persisted: 0, delivered: 0 };

  constructor(
    readonly key: TaskQueueKey,
    readonly kind: 'normal' | 'sticky',
    private readonly tasks: TaskManager,
    private readonly opts: TaskQueueOptions,
  ) {}

  private ensureInit(): Promise<void> {
    this.initializing ??= this.init().catch((err: unknown) => {
      this.initializing = undefined;
      throw err;
    });
    return this.initializing;
  }

  private async init(): Promise<void> {
    const info = await this.tasks.leaseTaskQueue(this.key, this.kind, Date.now());
    // Dropped while the lease was being taken: the queue matching holds now may have leased before this one, and a
    // write under this newer lease would land above everything that queue reads back — a task nobody delivers.
    if (this.stopped) throw new TaskQueueDroppedError(this.key.name);
    this.info = info;
    this.persistedAckLevel = info.ackLevel;
    this.nextTaskId = info.rangeId * RANGE_SIZE;
    this.maxTaskId = (info.rangeId + 1) * RANGE_SIZE;
    // Whatever a previous owner left above the ack level is backlog.
    this.maxWrittenId = this.nextTaskId - 1;
    this.overflow = true;
    this.readLevel = info.ackLevel;
    await this.readBacklog();
    if (this.stopped) throw new TaskQueueDroppedError(this.key.name);
    // A lease taken again (the last one was lost) replaces the timer, which must not keep running on its own.
    clearInterval(this.ackTimer);
    this.ackTimer = setInterval(() => void this.updateAckLevel(), this.opts.ackIntervalMs);
    this.ackTimer.unref();
  }

  /** Highest task id loaded into the buffer (or delivered) from the store. */
  private readLevel = 0;

  get backlogSize(): number {
    return this.buffer.length + (this.overflow ? 1 : 0);
  }

  get pollerCount(): number {
    return this.waiters.length;
  }

  /** Who polled this queue lately: identity -> last poll (epoch ms, the engine's clock), for DescribeTaskQueue. */
  private readonly pollerHistory = new Map<string, number>();

  notePoller(identity: string, atMs: number): void {
    // Re-inserted so the map stays in last-access order (oldest first), which makes expiry a walk from the front.
    this.pollerHistory.delete(identity);
    this.pollerHistory.set(identity, atMs);
    if (this.pollerHistory.size > MAX_POLLER_HISTORY) {
      const oldest = this.pollerHistory.keys().next().value;
      if (oldest !== undefined) this.pollerHistory.delete(oldest);
    }
  }

  /** Pollers seen within `ttlMs` of `nowMs`, most recent first. */
  recentPollers(nowMs: number, ttlMs: number): { identity: string; lastAccessMs: number }[] {
    for (const [identity, at] of this.pollerHistory) {
      if (nowMs - at <= ttlMs) break;
      this.pollerHistory.delete(identity);
    }
    return [...this.pollerHistory].map(([identity, lastAccessMs]) => ({ identity, lastAccessMs })).reverse();
  }

  /** What DescribeTaskQueue's status reports: backlog hint, read and ack levels, the id block leased. */
  status(): { backlogCountHint: number; readLevel: number; ackLevel: number; startId: number; endId: number } {
    return {
      backlogCountHint: this.backlogSize,
      readLevel: this.readLevel,
      ackLevel: this.persistedAckLevel,
      startId: this.maxTaskId > 0 ? this.maxTaskId - RANGE_SIZE : 0,
      endId: this.maxTaskId > 0 ? this.maxTaskId - 1 : 0,
    };
  }

  /** Creation time of the oldest task waiting in memory (0 when none), for the backlog's age. */
  oldestBufferedMs(): number {
    return this.buffer[0]?.createdTimeMs ?? 0;
  }

  /** A sticky queue is usable while its worker polls. */
  stickyAvailable(): boolean {
    if (this.shutdown) return false;
    return this.waiters.length > 0 || this.opts.now() - this.lastPollMs < this.opts.stickyPollerTimeoutMs;
  }

  /** Resolves when the task was handed to a poller that started it, or persisted. */
  async add(task: Omit<MatchingTask, 'taskId'>): Promise<'sync' | 'persisted'> {
    // A sticky queue stopped by ShutdownWorker stays in matching's map: its adds must go back to the normal queue
    // (StickyWorkerUnavailable), not be retried on it as on a queue dropped by reset.
    if (this.kind === 'sticky' && !this.stickyAvailable()) throw new StickyWorkerUnavailableError(this.key.name);
    if (this.stopped) throw new TaskQueueDroppedError(this.key.name);
    // Sync match: a waiting poller takes the task; if its start fails, the task is persisted after all.
    while (this.waiters.length > 0) {
      const waiter = this.waiters.shift() as Waiter;
      const consumed = await new Promise<boolean>((resolve) => {
        waiter.resolve({ task: { ...task, taskId: 0 }, finish: resolve });
      });
      if (consumed) {
        this.stats.syncMatched += 1;
        return 'sync';
      }
    }
    await this.ensureInit();
    if (this.stopped) throw new TaskQueueDroppedError(this.key.name);
    await this.write({ ...task, taskId: 0 });
    this.stats.persisted += 1;
    return 'persisted';
  }

  private write(task: MatchingTask): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.writeQueue.push({ task, resolve, reject });
      if (!this.writing) void this.flushWrites();
    });
  }

  /** Writes queued tasks in batches (one conditional batch each), one batch at a time. */
  private async flushWrites(): Promise<void> {
    this.writing = true;
    try {
      while (this.writeQueue.length > 0) {
        const batch = this.writeQueue.splice(0, 100);
        try {
          // Dropped by matching: nothing may be written under its lease any more (see init).
          if (this.stopped) throw new TaskQueueDroppedError(this.key.name);
          const info = this.info as TaskQueueInfo;
          if (this.nextTaskId + batch.length > this.maxTaskId) await this.renewLease();
          for (const b of batch) b.task.taskId = this.nextTaskId++;
          await this.tasks.createTasks(
            this.key,
            info.rangeId,
            batch.map((b) => b.task),
          );
          for (const b of batch) this.accept(b.task);
          for (const b of batch) b.resolve();
        } catch (err) {
          // Lease lost to another engine: take it back on the next add (the store fences the loser's writes).
          if (err instanceof TaskQueueLeaseLostError) this.initializing = undefined;
          for (const b of batch) b.reject(err);
        }
      }
    } finally {
      this.writing = false;
    }
  }

  private async renewLease(): Promise<void> {
    const info = this.info as TaskQueueInfo;
    const next: TaskQueueInfo = { ...info, rangeId: info.rangeId + 1, lastUpdateMs: Date.now() };
    await this.tasks.updateTaskQueue(this.key, next, info.rangeId);
    this.info = next;
    this.nextTaskId = next.rangeId * RANGE_SIZE;
    this.maxTaskId = (next.rangeId + 1) * RANGE_SIZE;
  }

  /** A persisted task: give it to a waiting poller, or keep it in the buffer if nothing is left unread. */
  private accept(task: MatchingTask): void {
    this.maxWrittenId = task.taskId;
    if (!this.overflow && this.buffer.length < this.opts.maxBufferedTasks) {
      this.buffer.push(task);
      this.readLevel = task.taskId;
      this.dispatch();
    } else {
      this.overflow = true;
    }
  }

  private async readBacklog(): Promise<void> {
    if (this.reading || !this.overflow) return;
    this.reading = true;
    try {
      while (this.overflow && this.buffer.length < this.opts.maxBufferedTasks / 2) {
        const upTo = this.maxWrittenId;
        const page = await this.tasks.getTasks(
          this.key,
          this.readLevel,
          upTo,
          this.opts.maxBufferedTasks - this.buffer.length,
        );
        for (const t of page) {
          if (t.taskId > this.readLevel) {
            this.buffer.push(t);
            this.readLevel = t.taskId;
          }
        }
        if (this.readLevel >= this.maxWrittenId || page.length === 0) {
          this.readLevel = Math.max(this.readLevel, upTo);
          if (upTo === this.maxWrittenId) this.overflow = false;
        }
      }
    } finally {
      this.reading = false;
    }
    this.dispatch();
  }

  /** Hands buffered tasks to waiting pollers, oldest task to the longest-waiting poller. */
  private dispatch(): void {
    while (this.waiters.length > 0 && this.buffer.length > 0) {
      const waiter = this.waiters.shift() as Waiter;
      waiter.resolve(this.deliver(this.buffer.shift() as MatchingTask));
    }
    this.refill();
  }

  /** Starts reading persisted tasks back when the in-memory buffer runs low. */
  private refill(): void {
    if (this.overflow && !this.reading && this.buffer.length < this.opts.maxBufferedTasks / 2) {
      void this.readBacklog().catch(() => undefined);
    }
  }

  private deliver(task: MatchingTask): DeliveredTask {
    this.outstanding.add(task.taskId);
    this.stats.delivered += 1;
    return {
      task,
      finish: (consumed) => {
        this.outstanding.delete(task.taskId);
        if (!consumed) {
          this.buffer.unshift(task);
          this.dispatch();
        }
      },
    };
  }

  /** Offers a query task to the next poller; resolves true when taken, false after `timeoutMs`. */
  offer(task: Omit<MatchingTask, 'taskId'>, timeoutMs: number): Promise<boolean> {
    const full: MatchingTask = { ...task, taskId: 0 };
    const waiter = this.waiters.shift();
    if (waiter) {
      waiter.resolve({ task: full, finish: () => undefined });
      return Promise.resolve(true);
    }
    return new Promise<boolean>((resolve) => {
      const entry = {
        task: full,
        taken: () => {
          clearTimeout(timer);
          resolve(true);
        },
      };
      const timer = setTimeout(() => {
        const i = this.offers.indexOf(entry);
        if (i >= 0) this.offers.splice(i, 1);
        resolve(false);
      }, timeoutMs);
      timer.unref();
      this.offers.push(entry);
    });
  }

  /** Long poll: a task, or undefined when the deadline passes or the caller goes away. */
  async poll(timeoutMs: number, cancel: LazySignal): Promise<DeliveredTask | undefined> {
    if (this.stopped) return undefined;
    this.lastPollMs = this.opts.now();
    const offer = this.offers.shift();
    if (offer) {
      offer.taken();
      return { task: offer.task, finish: () => undefined };
    }
    // Dropped while this poll waited for the lease: a waiter parked here would never be fed (adds go to the queue
    // matching holds now) and the worker would sit out the whole long poll. It comes back empty and polls again.
    try {
      await this.ensureInit();
    } catch (err) {
      if (err instanceof TaskQueueDroppedError) return undefined;
      throw err;
    }
    if (this.stopped) return undefined;
    const ready = this.buffer.shift();
    this.refill();
    if (ready) return this.deliver(ready);
    if (cancel.aborted || timeoutMs <= 0) return undefined;
    return new Promise<DeliveredTask | undefined>((resolve) => {
      const waiter: Waiter = {
        resolve: (t) => {
          clearTimeout(timer);
          unsubscribe();
          this.lastPollMs = this.opts.now();
          resolve(t);
        },
      };
      const remove = (): void => {
        const i = this.waiters.indexOf(waiter);
        if (i >= 0) this.waiters.splice(i, 1);
      };
      const onAbort = (): void => {
        remove();
        clearTimeout(timer);
        unsubscribe();
        resolve(undefined);
      };
      const timer = setTimeout(onAbort, timeoutMs);
      let unsubscribe: () => void;
      if (cancel instanceof AbortSignal) {
        cancel.addEventListener('abort', onAbort, { once: true });
        unsubscribe = () => cancel.removeEventListener('abort', onAbort);
      } else {
        unsubscribe = cancel.onCancel(onAbort);
      }
      this.waiters.push(waiter);
    });
  }

  /** Removes and returns every buffered task (a sticky queue being abandoned). */
  takeAll(): MatchingTask[] {
    const all = this.buffer;
    this.buffer = [];
    return all;
  }

  ackLevel(): number {
    let min = this.buffer[0]?.taskId ?? this.readLevel + 1;
    if (this.overflow) min = Math.min(min, this.readLevel + 1);
    for (const id of this.outstanding) if (id < min) min = id;
    return min;
  }

  private async updateAckLevel(): Promise<void> {
    const info = this.info;
    if (!info || this.stopped) return;
    const level = this.ackLevel();
    if (level <= this.persistedAckLevel) return;
    try {
      // The lease row first (fenced by its range id), then the delete: a queue whose lease another engine took
      // deletes nothing.
      const next: TaskQueueInfo = { ...info, ackLevel: level - 1, lastUpdateMs: Date.now() };
      await this.tasks.updateTaskQueue(this.key, next, info.rangeId);
      await this.tasks.completeTasksLessThan(this.key, level);
      if (this.info === info) this.info = next;
      this.persistedAckLevel = level;
    } catch {
      // Retried next tick.
    }
  }

  stop(): void {
    this.stopped = true;
    if (this.ackTimer) clearInterval(this.ackTimer);
    for (const w of this.waiters.splice(0)) w.resolve(undefined);
  }
}
