/**
 * The history service: owns this engine's shards and, per shard, its transfer, timer and visibility queues.
 * Operations (history/api/*) run through the shared transaction path; committed tasks flow straight into the
 * shard's queues.
 */
import type { Clock } from '../clock.js';
import { UnavailableError } from '../errors.js';
import { enums, toNumber, type IHistoryEvent } from '../proto.js';
import type { Persistence } from '../persistence/manager.js';
import type { HistoryTask } from '../persistence/records.js';
import { LruMap } from '../util/lru.js';
import { shardFor } from '../util/hash.js';
import type { VisibilityStore } from '../visibility/visibility-store.js';
import { TimerQueue } from '../timers/timer-queue.js';
import type { HistoryConfig, HistoryContext, MatchingClient } from './context.js';
import type { MutableState } from './mutable-state.js';
import { ImmediateQueue } from './queues/immediate-queue.js';
import { RunHistoryCache } from './history-cache.js';
import { QueryRegistry } from './queries.js';
import { Shard } from './shard.js';
import { executeTimerTask } from './tasks/timer-executor.js';
import { executeTransferTask } from './tasks/transfer-executor.js';
import { executeVisibilityTask, visibilityRecordOf } from './tasks/visibility-executor.js';
import { cacheKeyOf, Transactions } from './transaction.js';
import { HistoryWaiters } from './waiters.js';

interface ShardQueues {
  transfer: ImmediateQueue;
  visibility: ImmediateQueue;
  timer: TimerQueue;
}

export interface HistoryStats {
  shardsOwned: number;
  transactionsCommitted: number;
  conflicts: number;
  /** Updates that waited for another update of the same run. */
  lockWaits: number;
  /** Events buffered because a workflow task was in flight. */
  bufferedEvents: number;
  cachedRuns: number;
  transferBacklog: number;
  timerBacklog: number;
  taskErrors: number;
}

export class HistoryService implements HistoryContext {
  readonly tx: Transactions;
  readonly waiters = new HistoryWaiters();
  readonly queries = new QueryRegistry();
  readonly eventCache: LruMap<string, IHistoryEvent>;
  readonly historyCache: RunHistoryCache;
  private readonly shards = new Map<number, Shard>();
  private readonly queues = new Map<number, ShardQueues>();
  private committed = 0;
  private conflicts = 0;
  private taskErrors = 0;

  constructor(
    readonly clock: Clock,
    readonly persistence: Persistence,
    readonly config: HistoryConfig,
    readonly matching: MatchingClient,
    readonly visibility: VisibilityStore,
    private readonly owner: string,
    private readonly log: (msg: string) => void = () => undefined,
  ) {
    this.eventCache = new LruMap(10_000 * Math.max(1, Math.ceil(config.numShards / 16)));
    this.historyCache = new RunHistoryCache(10_000 * Math.max(1, Math.ceil(config.numShards / 16)));
    this.tx = new Transactions(
      persistence,
      clock,
      {
        committed: (shard, ms, events, tasks) => this.onCommitted(shard, ms, events, tasks),
        uncertain: (shard, tasks) => this.enqueue(shard, tasks),
        conflicted: () => {
          this.conflicts += 1;
        },
      },
      { maxAttempts: config.maxTransactionAttempts },
    );
  }

  /** Acquires every shard (one engine owns them all unless another takes some over). */
  async start(): Promise<void> {
    for (let id = 1; id <= this.config.numShards; id++) await this.acquireShard(id);
  }

  async acquireShard(shardId: number): Promise<void> {
    const shard = await Shard.acquire(shardId, this.owner, this.persistence, {
      ioConcurrency: this.config.shardIOConcurrency,
      cacheSize: this.config.cacheSizePerShard,
    });
    const onError = (task: HistoryTask, err: unknown): void => {
      this.taskErrors += 1;
      this.log(
        `shard ${shardId}: ${task.category} task ${task.body.kind} for ${task.key.workflowId} failed: ${String(err)}`,
      );
    };
    const ex = this.persistence.executions;
    const queues: ShardQueues = {
      transfer: new ImmediateQueue({
        shard,
        category: 'transfer',
        execute: (t) => executeTransferTask(this, shard, t),
        load: (min, max, page) => ex.getTransferTasks(shardId, 'transfer', min, max, page),
        rangeComplete: (max) => ex.rangeCompleteTransferTasks(shardId, 'transfer', max),
        ackIntervalMs: this.config.transferAckIntervalMs,
        concurrency: this.config.queueConcurrency,
        onError,
      }),
      visibility: new ImmediateQueue({
        shard,
        category: 'visibility',
        execute: (t) => executeVisibilityTask(this, shard, t),
        load: (min, max, page) => ex.getTransferTasks(shardId, 'visibility', min, max, page),
        rangeComplete: (max) => ex.rangeCompleteTransferTasks(shardId, 'visibility', max),
        ackIntervalMs: this.config.transferAckIntervalMs,
        concurrency: this.config.queueConcurrency,
        onError,
      }),
      timer: new TimerQueue({
        shardId,
        clock: this.clock,
        load: (from, to, page, after) => ex.getTimerTasks(shardId, from, to, page, after),
        execute: (t) => executeTimerTask(this, shard, t),
        ack: async (level) => {
          await ex.rangeCompleteTimerTasks(shardId, level);
          await shard.updateAckLevels({ timerAckLevelMs: level.fireTimeMs });
        },
        lowestUnfinishedFireTimeMs: () => shard.lowestUnfinishedFireTimeMs(),
        initialAckLevelMs: shard.info.timerAckLevelMs,
        lookaheadMs: this.config.timerLookaheadRealMs * this.clock.timeScale,
        ackIntervalMs: this.config.timerAckIntervalMs,
        concurrency: this.config.queueConcurrency,
        onError,
      }),
    };
    this.shards.set(shardId, shard);
    this.queues.set(shardId, queues);
    await queues.transfer.start();
    await queues.visibility.start();
    await queues.timer.start();
    // Visibility lives in memory: after a restart, rebuild this shard's records from its executions (in the background).
    void this.rebuildVisibility(shard).catch((err: unknown) =>
      this.log(`shard ${shardId}: visibility rebuild failed: ${String(err)}`),
    );
  }

  private async rebuildVisibility(shard: Shard): Promise<void> {
    let token: Uint8Array | undefined;
    do {
      const page = await this.persistence.executions.listWorkflowExecutions(shard.id, 500, token);
      for (const snapshot of page.items) this.visibility.upsert(visibilityRecordOf(snapshot.info));
      token = page.nextPageToken;
    } while (token && !shard.closed);
  }

  shardFor(namespaceId: string, workflowId: string): Shard {
    const id = shardFor(namespaceId, workflowId, this.config.numShards);
    const shard = this.shards.get(id);
    if (!shard || shard.closed) throw new UnavailableError(`shard ${id} is not owned by this engine`);
    return shard;
  }

  /** Hands history tasks to the shard's queues (each executor re-checks the run's state before acting). */
  private enqueue(shard: Shard, tasks: HistoryTask[]): void {
    const q = this.queues.get(shard.id);
    if (!q) return;
    const transfer: HistoryTask[] = [];
    const timer: HistoryTask[] = [];
    const visibility: HistoryTask[] = [];
    for (const t of tasks) (t.category === 'transfer' ? transfer : t.category === 'timer' ? timer : visibility).push(t);
    if (transfer.length) q.transfer.add(transfer);
    if (timer.length) q.timer.add(timer);
    if (visibility.length) q.visibility.add(visibility);
  }

  private onCommitted(shard: Shard, ms: MutableState, events: IHistoryEvent[], tasks: HistoryTask[]): void {
    this.committed += 1;
    this.enqueue(shard, tasks);
    const key = cacheKeyOf(ms.key);
    this.historyCache.committed(key, events, !ms.isRunning());
    for (const e of events) {
      if (e.eventType === enums.EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED)
        this.eventCache.set(`${key}#${toNumber(e.eventId)}`, e);
    }
    if (events.length > 0) this.waiters.notify(key);
  }

  stats(): HistoryStats {
    let cachedRuns = 0;
    let transferBacklog = 0;
    let timerBacklog = 0;
    for (const s of this.shards.values()) cachedRuns += s.cache.size;
    for (const q of this.queues.values()) {
      transferBacklog += q.transfer.size;
      timerBacklog += q.timer.size;
    }
    return {
      shardsOwned: [...this.shards.values()].filter((s) => !s.closed).length,
      transactionsCommitted: this.committed,
      conflicts: this.conflicts,
      lockWaits: this.tx.contention.lockWaits,
      bufferedEvents: this.tx.contention.bufferedEvents,
      cachedRuns,
      transferBacklog,
      timerBacklog,
      taskErrors: this.taskErrors,
    };
  }

  async stop(): Promise<void> {
    for (const q of this.queues.values()) {
      await q.transfer.stop();
      await q.visibility.stop();
      await q.timer.stop();
    }
    for (const s of this.shards.values()) s.close();
  }
}
