/**
 * The history service: owns this engine's shards and, per shard, its transfer, timer and visibility queues.
 * Operations (history/api/*) run through the shared transaction path; committed tasks flow straight into the
 * shard's queues.
 */
import type { Clock } from '../clock.js';
import { NotOwnerError, UnavailableError } from '../errors.js';
import { enums, toNumber, type IHistoryEvent } from '../proto.js';
import { whileThrottled } from '../persistence/decorators.js';
import type { Persistence } from '../persistence/manager.js';
import type { HistoryTask } from '../persistence/records.js';
import { LruMap } from '../util/lru.js';
import { shardFor } from '../util/hash.js';
import type { VisibilityStore } from '../visibility/visibility-store.js';
import { TimerQueue } from './queues/timer-queue.js';
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
import { UpdateRegistry } from './updates/registry.js';
import { HistoryWaiters } from './waiters.js';
import { LocalHistoryClient, type HistoryClient } from './history-client.js';

/** Events that later operations read back (activity dispatch, transfer tasks, a child reporting its close). */
const CACHED_EVENTS = new Set<number>([
  enums.EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED,
  enums.EventType.EVENT_TYPE_START_CHILD_WORKFLOW_EXECUTION_INITIATED,
  enums.EventType.EVENT_TYPE_SIGNAL_EXTERNAL_WORKFLOW_EXECUTION_INITIATED,
  enums.EventType.EVENT_TYPE_REQUEST_CANCEL_EXTERNAL_WORKFLOW_EXECUTION_INITIATED,
  enums.EventType.EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED,
  enums.EventType.EVENT_TYPE_WORKFLOW_EXECUTION_FAILED,
  enums.EventType.EVENT_TYPE_WORKFLOW_EXECUTION_CANCELED,
  enums.EventType.EVENT_TYPE_WORKFLOW_EXECUTION_TERMINATED,
  enums.EventType.EVENT_TYPE_WORKFLOW_EXECUTION_TIMED_OUT,
]);
import { ErrorLog, errorClassOf } from '../log/error-log.js';

interface ShardQueues {
  transfer: ImmediateQueue;
  visibility: ImmediateQueue;
  timer: TimerQueue;
}

/** A shard this engine owns, with the queues that run its tasks (they live and die together). */
interface OwnedShard {
  shard: Shard;
  queues: ShardQueues;
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
  /** Shards dropped from memory and acquired again from the store (after an outage, or lost writes). */
  shardReloads: number;
  /** Shard acquisitions (each shard at start, then hand-offs in a cluster and reloads). */
  shardsAcquired: number;
  /** Shards let go to another member of a cluster. */
  shardsReleased: number;
}

export class HistoryService implements HistoryContext {
  readonly tx: Transactions;
  readonly waiters = new HistoryWaiters();
  readonly queries = new QueryRegistry();
  readonly updates = new UpdateRegistry();
  readonly eventCache: LruMap<string, IHistoryEvent>;
  readonly historyCache: RunHistoryCache;
  /** Calls to other shards: local here, routed to the owning member in a cluster (engine/cluster). */
  historyClient: HistoryClient = new LocalHistoryClient(this);
  private readonly owned = new Map<number, OwnedShard>();
  /** Shards whose visibility records this engine has rebuilt from the store since it acquired them. */
  private readonly visibilityReady = new Set<number>();
  /** Shards being reloaded: requests for them get UNAVAILABLE (clients retry) until it is done. */
  private readonly reloading = new Map<number, Promise<void>>();
  private committed = 0;
  private conflicts = 0;
  private taskErrors = 0;
  private shardReloads = 0;
  private acquisitions = 0;
  private shardsAcquired = 0;
  private shardsReleased = 0;
  private stopped = false;

  constructor(
    readonly clock: Clock,
    readonly persistence: Persistence,
    readonly config: HistoryConfig,
    public matching: MatchingClient,
    readonly visibility: VisibilityStore,
    private readonly owner: string,
    private readonly log: (msg: string) => void = () => undefined,
    /** Task and reload failures, summarized per class (one line per failure floods the log during an outage). */
    private readonly errors: Pick<ErrorLog, 'report'> = new ErrorLog(log),
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
      { maxAttempts: config.maxTransactionAttempts, limits: config.limits, counters: config.limitCounters },
    );
  }

  /** Acquires every shard (one engine owns them all unless another takes some over). */
  async start(): Promise<void> {
    for (let id = 1; id <= this.config.numShards; id++) await this.acquireShard(id);
  }

  async acquireShard(shardId: number, aboveRangeId?: number): Promise<void> {
    // Each acquisition writes its own owner token: a shard object this engine dropped (a reload) must see the row as
    // someone else's, and a new acquisition must not mistake the old object's range renewal for its own write.
    const shard = await Shard.acquire(shardId, `${this.owner}/${++this.acquisitions}`, this.persistence, {
      ioConcurrency: this.config.shardIOConcurrency,
      cacheSize: this.config.cacheSizePerShard,
      numShards: this.config.numShards,
      ...(aboveRangeId !== undefined ? { aboveRangeId } : {}),
      onRegressed: (s, stored) =>
        void this.reloadShard(
          s.id,
          `the store lost writes (its range_id is ${stored}, this engine wrote ${s.rangeId})`,
        ),
      onLost: (s) => {
        this.log(`shard ${s.id}: taken by another engine`);
        void this.releaseShard(s.id, s);
      },
    });
    this.shardsAcquired += 1;
    const onError = (task: HistoryTask, err: unknown): void => {
      this.taskErrors += 1;
      this.errors.report(
        `${task.category} task ${task.body.kind} failed: ${errorClassOf(err)}`,
        `shard ${shardId}, ${task.key.workflowId}: ${String(err)}`,
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
        // Fenced first (the shard row's range id), then the delete: see ImmediateQueue.updateAckLevel.
        ack: async (level) => {
          await shard.updateAckLevels({ timerAckLevelMs: level.fireTimeMs });
          await ex.rangeCompleteTimerTasks(shardId, level);
        },
        lowestUnfinishedFireTimeMs: () => shard.lowestUnfinishedFireTimeMs(),
        initialAckLevelMs: shard.info.timerAckLevelMs,
        lookaheadMs: this.config.timerLookaheadRealMs * this.clock.timeScale,
        ackIntervalMs: this.config.timerAckIntervalMs,
        concurrency: this.config.queueConcurrency,
        onError,
      }),
    };
    // A previous object of this shard still held here (closed when another engine took it, not yet let go): its queues
    // stop now, or they would keep loading and retrying tasks of a shard this object no longer holds.
    const previous = this.owned.get(shardId);
    if (previous && previous.shard !== shard) void this.retire(previous);
    this.owned.set(shardId, { shard, queues });
    // A start reads what the previous owner left; a throttled read (a rate-limited store at start-up) is waited out.
    await whileThrottled(() => queues.transfer.start());
    await whileThrottled(() => queues.visibility.start());
    await whileThrottled(() => queues.timer.start());
    // Visibility lives in memory: after a restart, rebuild this shard's records from its executions (in the background).
    void this.rebuildVisibility(shard).catch((err: unknown) =>
      this.log(`shard ${shardId}: visibility rebuild failed: ${String(err)}`),
    );
  }

  /** Shards this engine holds now (closed ones excluded). */
  ownedShardIds(): number[] {
    return [...this.owned].filter(([, o]) => !o.shard.closed).map(([id]) => id);
  }

  /**
   * Lets a shard go (another member of the cluster owns it now, or is about to): its queues stop before the call
   * returns, so nothing of this engine's acts on the shard once another has acquired it; what memory holds for its
   * runs is dropped. `only` releases the shard only if it is still that object (a later acquisition stays).
   */
  async releaseShard(shardId: number, only?: Shard): Promise<void> {
    const entry = this.owned.get(shardId);
    if (!entry || (only && entry.shard !== only)) return;
    this.owned.delete(shardId);
    this.shardsReleased += 1;
    await this.retire(entry);
    this.forget(shardId);
  }

  private async rebuildVisibility(shard: Shard): Promise<void> {
    let token: Uint8Array | undefined;
    do {
      const page = await this.persistence.executions.listWorkflowExecutions(shard.id, 500, token);
      // A shard reloaded meanwhile rebuilds on its own; a page read before the reload must not come back after it.
      if (shard.closed) return;
      for (const snapshot of page.items) this.visibility.upsert(visibilityRecordOf(snapshot.info));
      token = page.nextPageToken;
    } while (token);
    if (this.owned.get(shard.id)?.shard === shard) this.visibilityReady.add(shard.id);
  }

  /** Shards this engine holds whose visibility records are complete (a cluster's List/Count checks it has them all). */
  visibilityShards(): number[] {
    return [...this.visibilityReady].filter((id) => this.owned.get(id)?.shard.closed === false);
  }

  shardFor(namespaceId: string, workflowId: string): Shard {
    const id = shardFor(namespaceId, workflowId, this.config.numShards);
    if (this.reloading.has(id)) throw new UnavailableError(`shard ${id} is being reloaded from the store`);
    const shard = this.owned.get(id)?.shard;
    if (!shard || shard.closed) throw new NotOwnerError(`shard ${id} is not owned by this engine`);
    return shard;
  }

  /**
   * Drops everything this engine holds for a shard — cached mutable states, range id, queues with their ack levels,
   * visibility records — and acquires it again from the store, as Temporal re-acquires a shard. Used when the store
   * may have lost writes the cache still shows (after an outage, or when the shard row's range id went back).
   * Retries until the store answers or the engine stops; requests for the shard get UNAVAILABLE meanwhile.
   */
  reloadShard(shardId: number, reason: string): Promise<void> {
    const inFlight = this.reloading.get(shardId);
    if (inFlight) return inFlight;
    const reload = (async () => {
      const old = this.owned.get(shardId);
      if (old) {
        this.owned.delete(shardId);
        // Not awaited: tasks still running on the old shard fail on its closed flag, and a write of theirs still in
        // flight is fenced by the new range id taken below.
        void this.retire(old);
      }
      this.forget(shardId);
      this.shardReloads += 1;
      this.log(`shard ${shardId}: reloading from the store (${reason})`);
      for (let attempt = 1; !this.stopped; attempt++) {
        try {
          await this.acquireShard(shardId, old?.shard.rangeId);
          this.log(`shard ${shardId}: reloaded`);
          return;
        } catch (err) {
          this.errors.report(
            `shard reload failed: ${errorClassOf(err)}`,
            `shard ${shardId}, attempt ${attempt}: ${String(err)}`,
          );
          await new Promise((r) => setTimeout(r, Math.min(200 * 2 ** (attempt - 1), 5000)).unref());
        }
      }
    })().finally(() => this.reloading.delete(shardId));
    this.reloading.set(shardId, reload);
    return reload;
  }

  /** Reloads every shard this engine owns (the store came back from an outage). */
  async reloadAll(reason: string): Promise<void> {
    await Promise.all([...this.owned.keys()].map((id) => this.reloadShard(id, reason)));
  }

  /** What memory holds for a shard's runs beyond its own cache: visibility records and history caches. */
  private forget(shardId: number): void {
    const n = this.config.numShards;
    this.visibilityReady.delete(shardId);
    this.visibility.deleteWhere((r) => shardFor(r.namespaceId, r.workflowId, n) === shardId);
    this.updates.abortWhere((k) => shardFor(k.namespaceId, k.workflowId, n) === shardId);
    this.historyCache.clear();
    this.eventCache.clear();
  }

  /** Closes a shard object and stops its queues (resolves once they have stopped). */
  private retire(entry: OwnedShard): Promise<void> {
    entry.shard.close();
    return this.stopQueues(entry.queues);
  }

  private async stopQueues(q: ShardQueues): Promise<void> {
    await Promise.all([q.transfer.stop(), q.visibility.stop(), q.timer.stop()]);
  }

  /** Hands history tasks to the shard's queues (each executor re-checks the run's state before acting). */
  private enqueue(shard: Shard, tasks: HistoryTask[]): void {
    const entry = this.owned.get(shard.id);
    // A transaction of a shard since reloaded: the new queues read its tasks from the store.
    if (!entry || entry.shard !== shard) return;
    const q = entry.queues;
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
    // Updates still in flight on a run that closed end now (accepted ones with Temporal's failure outcome).
    if (!ms.isRunning()) this.updates.abortRun(key, ms.info.newRunId ? 'workflow-continuing' : 'workflow-completed');
    for (const e of events) {
      if (CACHED_EVENTS.has(e.eventType ?? 0)) this.eventCache.set(`${key}#${toNumber(e.eventId)}`, e);
    }
    if (events.length > 0) this.waiters.notify(key);
  }

  stats(): HistoryStats {
    let cachedRuns = 0;
    let transferBacklog = 0;
    let timerBacklog = 0;
    for (const { shard, queues } of this.owned.values()) {
      cachedRuns += shard.cache.size;
      transferBacklog += queues.transfer.size;
      timerBacklog += queues.timer.size;
    }
    return {
      shardsOwned: [...this.owned.values()].filter((o) => !o.shard.closed).length,
      transactionsCommitted: this.committed,
      conflicts: this.conflicts,
      lockWaits: this.tx.contention.lockWaits,
      bufferedEvents: this.tx.contention.bufferedEvents,
      cachedRuns,
      transferBacklog,
      timerBacklog,
      taskErrors: this.taskErrors,
      shardReloads: this.shardReloads,
      shardsAcquired: this.shardsAcquired,
      shardsReleased: this.shardsReleased,
    };
  }

  async stop(): Promise<void> {
    this.stopped = true;
    const owned = [...this.owned.values()];
    for (const { shard } of owned) shard.close();
    await Promise.all(owned.map((o) => this.stopQueues(o.queues)));
  }
}
