/**
 * Matching: task queues, long polls and dispatch. History hands it workflow and activity tasks; pollers take
 * them. A delivered task is only "consumed" once history has recorded its start (RecordWorkflowTaskStarted /
 * RecordActivityTaskStarted); a stale task (already started, completed, replaced) is dropped and the poll goes
 * on, so a poll returns either a live task or nothing.
 */
import type { MatchingTask, TaskQueueKey, TaskQueueType } from '../persistence/records.js';
import type { TaskManager } from '../persistence/manager.js';
import { TaskQueue, type LazySignal, type TaskQueueOptions } from './task-queue.js';
import { TaskQueueDroppedError } from './errors.js';
import { NotOwnerError } from '../errors.js';

/** Attempts of an add whose queue keeps being dropped under it (each is a store outage ending meanwhile). */
const MAX_ADD_ATTEMPTS = 5;

/** What matching needs from history to start a task; `undefined` means the task is stale. */
export interface TaskStarter<R> {
  (task: MatchingTask, pollRequestId: string): Promise<R | undefined>;
}

export interface MatchingOptions extends TaskQueueOptions {
  /** Longest a poll is held before answering empty (must stay below the SDK's 70 s client deadline). */
  longPollTimeoutMs: number;
}

export class MatchingService {
  private readonly queues = new Map<string, TaskQueue>();
  /** In a cluster: whether this member owns a queue now (a queue it does not own is never loaded here). */
  private owns: ((key: TaskQueueKey) => boolean) | undefined;

  constructor(
    private readonly tasks: TaskManager,
    private readonly opts: MatchingOptions,
  ) {}

  /** Makes this matching serve only the queues `owns` gives it (an engine cluster's share); see {@link dropWhere}. */
  ownQueues(owns: (key: TaskQueueKey) => boolean): void {
    this.owns = owns;
  }

  queue(namespaceId: string, name: string, type: TaskQueueType, kind: 'normal' | 'sticky'): TaskQueue {
    const id = `${namespaceId}\u0000${name}\u0000${type}`;
    let q = this.queues.get(id);
    if (!q) {
      const key: TaskQueueKey = { namespaceId, name, type };
      if (this.owns && !this.owns(key))
        throw new NotOwnerError(`task queue ${name} (${type}) is owned by another member`);
      q = new TaskQueue(key, kind, this.tasks, this.opts);
      this.queues.set(id, q);
    }
    return q;
  }

  /** The queue if this engine has it in memory (DescribeTaskQueue must not lease a queue nobody uses). */
  existing(namespaceId: string, name: string, type: TaskQueueType): TaskQueue | undefined {
    return this.queues.get(`${namespaceId}\u0000${name}\u0000${type}`);
  }

  /**
   * Adds a task to the queue matching holds now. A queue dropped by `reset` while the add was under way writes
   * nothing more, and the add goes again to its replacement (the caller's transfer task must not be acknowledged
   * for a task only a dropped queue knows of).
   */
  async addTask(
    namespaceId: string,
    taskQueue: string,
    type: TaskQueueType,
    kind: 'normal' | 'sticky',
    task: Omit<MatchingTask, 'taskId'>,
  ): Promise<'sync' | 'persisted'> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.queue(namespaceId, taskQueue, type, kind).add(task);
      } catch (err) {
        if (!(err instanceof TaskQueueDroppedError) || attempt >= MAX_ADD_ATTEMPTS) throw err;
      }
    }
  }

  offerQueryTask(
    namespaceId: string,
    taskQueue: string,
    kind: 'normal' | 'sticky',
    task: Omit<MatchingTask, 'taskId'>,
    timeoutMs: number,
  ): Promise<boolean> {
    return this.queue(namespaceId, taskQueue, 'workflow', kind).offer(task, timeoutMs);
  }

  /**
   * Polls until a task is started by `start` or the poll times out. `deadlineMs` is the caller's gRPC
   * deadline (epoch ms), answered a little before it so the client sees an empty response, not an error.
   */
  async poll<R>(
    queue: TaskQueue,
    deadlineMs: number | undefined,
    signal: LazySignal,
    pollRequestId: string,
    start: TaskStarter<R>,
  ): Promise<R | undefined> {
    const until = Math.min(Date.now() + this.opts.longPollTimeoutMs, (deadlineMs ?? Infinity) - 1000);
    for (;;) {
      const remaining = until - Date.now();
      if (remaining <= 0 || signal.aborted) return undefined;
      const delivered = await queue.poll(remaining, signal);
      if (!delivered) return undefined;
      let result: R | undefined;
      try {
        result = await start(delivered.task, pollRequestId);
      } catch (err) {
        // Could not start it now (e.g. the shard is busy): another poller gets it; this one sees the error.
        delivered.finish(false);
        throw err;
      }
      delivered.finish(true);
      if (result !== undefined) return result;
    }
  }

  /** ShutdownWorker: the sticky queue's worker is gone; its buffered tasks are returned for redispatch. */
  shutdownSticky(namespaceId: string, name: string): MatchingTask[] {
    const q = this.queues.get(`${namespaceId}\u0000${name}\u0000workflow`);
    if (!q) return [];
    q.shutdown = true;
    q.stop();
    return q.takeAll();
  }

  stats(): { queues: number; backlog: number; pollers: number; syncMatched: number; persisted: number } {
    let backlog = 0;
    let pollers = 0;
    let syncMatched = 0;
    let persisted = 0;
    for (const q of this.queues.values()) {
      backlog += q.backlogSize;
      pollers += q.pollerCount;
      syncMatched += q.stats.syncMatched;
      persisted += q.stats.persisted;
    }
    return { queues: this.queues.size, backlog, pollers, syncMatched, persisted };
  }

  /**
   * Drops every task queue from memory (leases, backlogs, ack levels): each is leased and read from the store again
   * on its next use. After a store outage the store may hold less than memory did (HistoryService.reloadShard).
   * Waiting polls come back empty, as at the end of a long poll, and the workers poll again. A dropped queue stays
   * inert for the calls still holding it: it writes nothing (an add goes to its replacement) and parks no poll.
   */
  reset(): void {
    for (const q of this.queues.values()) q.stop();
    this.queues.clear();
  }

  /**
   * Drops the queues `match` selects, as `reset` drops them all: in a cluster, the queues another member owns now
   * (it leases them from the store, fencing this engine's lease; waiting polls here come back empty).
   */
  dropWhere(match: (key: TaskQueueKey) => boolean): void {
    for (const [id, q] of this.queues)
      if (match(q.key)) {
        q.stop();
        this.queues.delete(id);
      }
  }

  stop(): void {
    for (const q of this.queues.values()) q.stop();
  }
}
