/**
 * Processes a shard's immediate tasks (transfer or visibility) in task-id order of arrival, with bounded
 * concurrency and retries. Committed tasks arrive in memory (no read back in the common case); on shard load
 * the queue reads what is still persisted above the ack level. Completed tasks are deleted in ranges below the
 * ack level every `ackIntervalMs`, as Temporal's queue processors do.
 */
import type { HistoryTask } from '../../persistence/records.js';
import type { Shard } from '../shard.js';
import { TaskRunner, type TaskOutcome } from './task-runner.js';

export interface ImmediateQueueDeps {
  shard: Shard;
  category: 'transfer' | 'visibility';
  execute(task: HistoryTask): Promise<TaskOutcome>;
  load(minTaskIdExclusive: number, maxTaskIdExclusive: number, pageSize: number): Promise<HistoryTask[]>;
  rangeComplete(exclusiveMaxTaskId: number): Promise<void>;
  ackIntervalMs: number;
  concurrency: number;
  onError(task: HistoryTask, err: unknown): void;
}

export class ImmediateQueue {
  private readonly pending = new Map<number, HistoryTask>();
  private readonly runner: TaskRunner<HistoryTask>;
  private ackTimer: NodeJS.Timeout | undefined;
  private persistedAckLevel: number;
  private stopped = false;

  constructor(private readonly deps: ImmediateQueueDeps) {
    this.persistedAckLevel =
      deps.category === 'transfer' ? deps.shard.info.transferAckLevel : deps.shard.info.visibilityAckLevel;
    this.runner = new TaskRunner<HistoryTask>({
      concurrency: deps.concurrency,
      execute: (t) => deps.execute(t),
      done: (t) => this.pending.delete(t.taskId),
      onError: (t, err) => deps.onError(t, err),
    });
  }

  /** Reads tasks left by a previous owner, then starts the periodic ack/range-delete. */
  async start(): Promise<void> {
    let from = this.persistedAckLevel - 1;
    const upTo = this.deps.shard.lowestUnfinishedTaskId();
    for (;;) {
      const page = await this.deps.load(from, upTo, 500);
      this.add(page);
      const last = page[page.length - 1];
      if (!last || page.length < 500) break;
      from = last.taskId;
    }
    this.ackTimer = setInterval(() => void this.updateAckLevel(), this.deps.ackIntervalMs);
    this.ackTimer.unref();
  }

  add(tasks: HistoryTask[]): void {
    if (this.stopped) return;
    for (const t of tasks) {
      if (this.pending.has(t.taskId)) continue;
      this.pending.set(t.taskId, t);
      this.runner.submit(t);
    }
  }

  get size(): number {
    return this.pending.size;
  }

  ackLevel(): number {
    let min = this.deps.shard.lowestUnfinishedTaskId();
    for (const id of this.pending.keys()) if (id < min) min = id;
    return min;
  }

  async updateAckLevel(): Promise<void> {
    if (this.stopped || this.deps.shard.closed) return;
    const level = this.ackLevel();
    if (level <= this.persistedAckLevel) return;
    try {
      // The ack level first, in the shard row under its range-id fence; the delete only once that held. An engine
      // that lost the shard without knowing yet (another took it, a cluster's hand-off) must not delete tasks the new
      // owner has not run: its ack level counted them done by its own stale view.
      await this.deps.shard.updateAckLevels(
        this.deps.category === 'transfer' ? { transferAckLevel: level } : { visibilityAckLevel: level },
      );
      await this.deps.rangeComplete(level);
      this.persistedAckLevel = level;
    } catch {
      // Retried on the next tick; a lost shard stops the queue through shard.closed.
    }
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.ackTimer) clearInterval(this.ackTimer);
    await this.runner.drain();
  }
}
