/**
 * The one load -> mutate -> persist path. Every operation that changes a workflow runs its mutation through
 * `update` (or `create` for a new run): the workflow's lock is held, its mutable state comes from the cache or
 * the store, and the changes are written as Temporal writes them — one history node, then one conditional
 * batch fenced by the shard's range id, the current row and db_record_version — under the shard's IO
 * semaphore. A condition failure drops the cached state, reloads and retries the mutation; a write whose
 * outcome is unknown first fences the shard (range id + 1) so the retry sees the truth.
 */
import type { Clock } from '../clock.js';
import { InvalidArgumentError, UnavailableError } from '../errors.js';
import { HISTORY_LIMIT_REASON, historyLimitCheck, type EngineLimits, type LimitCounters } from '../limits.js';
import { terminateWorkflow } from './state/close.js';
import { toNumber, type IHistoryEvent } from '../proto.js';
import { isConditionFailure, ShardOwnershipLostError, StoreError } from '../persistence/errors.js';
import type { Persistence } from '../persistence/manager.js';
import type { HistoryTask, WorkflowKey } from '../persistence/records.js';
import type { CreateMode } from '../persistence/store.js';
import { MutableState, type PendingTask } from './mutable-state.js';
import { WorkflowNotFoundError } from '../errors.js';
import { ShardClosedError, type Shard } from './shard.js';

export interface CommitHooks {
  /** Runs after a commit, before the workflow lock is released. */
  committed(shard: Shard, ms: MutableState, events: IHistoryEvent[], tasks: HistoryTask[]): void;
  /** A write failed on a condition or an unknown outcome (for statistics). */
  conflicted?(shard: Shard, err: unknown): void;
  /**
   * A write whose outcome could not be learnt (the store went away before the fence or the read-back): its tasks
   * may be in the store. They go to the queues anyway — every executor checks the run's state and drops a task
   * the run does not have — so a write that did land is not left with tasks nobody runs (and the ack level, which
   * only the queues hold back, would pass them and delete them).
   */
  uncertain?(shard: Shard, tasks: HistoryTask[]): void;
}

export interface TransactionOptions {
  /** Attempts of a mutation whose write hit a condition failure before giving up with UNAVAILABLE. */
  maxAttempts: number;
  /** History size and count limits, checked before every update is persisted (as Temporal's context does). */
  limits: EngineLimits;
  counters: LimitCounters;
}

/** Who terminates a run that passed a limit (Temporal's consts.IdentityHistoryService). */
export const HISTORY_SERVICE_IDENTITY = 'history-service';

export function cacheKeyOf(key: WorkflowKey): string {
  return `${key.namespaceId}/${key.workflowId}/${key.runId}`;
}

export class Transactions {
  constructor(
    private readonly persistence: Persistence,
    private readonly clock: Clock,
    private readonly hooks: CommitHooks,
    private readonly opts: TransactionOptions,
  ) {}

  /**
   * Contention on single executions: updates that queued behind another update of the same run, and events
   * (signals, cancel requests, ...) that arrived while a workflow task was in flight and had to be buffered.
   */
  readonly contention = { lockWaits: 0, bufferedEvents: 0 };

  /** Loads a run (cache first) without locking, for reads that tolerate a concurrent writer. */
  async read(shard: Shard, key: WorkflowKey): Promise<MutableState> {
    const cached = shard.cache.peek(cacheKeyOf(key))?.ms;
    if (cached) return cached;
    return this.load(shard, key);
  }

  private async load(shard: Shard, key: WorkflowKey): Promise<MutableState> {
    const snapshot = await this.persistence.executions.getWorkflowExecution(shard.id, key);
    if (!snapshot) throw new WorkflowNotFoundError(key.workflowId, key.runId);
    const ms = new MutableState(snapshot, false);
    ms.timeScale = this.clock.timeScale;
    ms.limits = this.opts.limits;
    return ms;
  }

  /**
   * Reads the run's committed state under its lock (`inspect` must not keep `ms`): what a task executor decides
   * from must not include the in-place changes of a transaction still in flight, which may yet fail.
   */
  inspect<T>(shard: Shard, key: WorkflowKey, inspect: (ms: MutableState) => T): Promise<T> {
    return this.update(shard, key, inspect);
  }

  /** Runs `action` on the run's mutable state and persists what it changed. */
  async update<T>(shard: Shard, key: WorkflowKey, action: (ms: MutableState) => T | Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      if (shard.closed) throw new UnavailableError(new ShardClosedError(shard.id).message);
      const ctx = shard.context(cacheKeyOf(key));
      if (!ctx.lock.tryAcquire()) {
        this.contention.lockWaits += 1;
        await ctx.lock.acquire();
      }
      try {
        const ms = ctx.ms ?? (await this.load(shard, key));
        ctx.ms = ms;
        ms.begin(this.clock.now());
        let result: T;
        try {
          result = await action(ms);
        } catch (err) {
          // A failed mutation may have half-applied: forget the in-memory state rather than trust it.
          if (ms.hasChanges()) ctx.ms = undefined;
          else ms.resetTransaction();
          throw err;
        }
        if (ms.hasChanges()) {
          const over = this.historyLimit(ms);
          if (over) {
            ctx.ms = undefined;
            await this.terminateOverLimit(shard, key, over);
            ctx.ms = undefined;
            throw new InvalidArgumentError(HISTORY_LIMIT_REASON[over]);
          }
          try {
            await this.persist(shard, ms, undefined);
          } catch (err) {
            ctx.ms = undefined;
            throw err;
          }
        } else {
          // Nothing to write: the deferred in-memory effects stand as they are.
          for (const effect of ms.takeAfterCommit()) effect();
        }
        return result;
      } catch (err) {
        if (!this.retryable(shard, err)) throw err;
        if (attempt >= this.opts.maxAttempts) {
          throw new UnavailableError(`workflow ${key.workflowId}: update failed after ${attempt} attempts`, {
            cause: err,
          });
        }
      } finally {
        ctx.lock.release();
      }
    }
  }

  /**
   * A running run whose update would take its history past an error limit (Temporal's enforceHistorySizeCheck and
   * enforceHistoryCountCheck): which one. Size is what is persisted so far, count includes the update's events.
   */
  private historyLimit(ms: MutableState): 'size' | 'count' | undefined {
    if (!ms.isRunning()) return undefined;
    const { limits, counters } = this.opts;
    const check = historyLimitCheck(ms.info.nextEventId - 1, ms.info.historySizeBytes, limits);
    if (check.warnSize) counters.historySizeWarnings += 1;
    if (check.warnCount) counters.historyCountWarnings += 1;
    return check.terminate;
  }

  /**
   * The update is discarded and the run, read back from the store, is terminated instead by the history service
   * with Temporal's reason (a workflow task in flight is failed first with FORCE_CLOSE_COMMAND); the caller gets
   * InvalidArgument with the same reason, as Temporal's callers do.
   */
  private async terminateOverLimit(shard: Shard, key: WorkflowKey, over: 'size' | 'count'): Promise<void> {
    const fresh = await this.load(shard, key);
    fresh.begin(this.clock.now());
    if (!fresh.isRunning()) return;
    terminateWorkflow(fresh, HISTORY_LIMIT_REASON[over], undefined, HISTORY_SERVICE_IDENTITY);
    await this.persist(shard, fresh, undefined);
    this.opts.counters.historyLimitTerminations += 1;
  }

  /** Persists a brand-new run built by the caller (start, signal-with-start). */
  async create(shard: Shard, ms: MutableState, mode: CreateMode): Promise<void> {
    if (shard.closed) throw new UnavailableError(new ShardClosedError(shard.id).message);
    const ctx = shard.context(cacheKeyOf(ms.key));
    if (!ctx.lock.tryAcquire()) {
      this.contention.lockWaits += 1;
      await ctx.lock.acquire();
    }
    try {
      // The run is cached as it commits (before the commit hooks hand its tasks to the queues), so a task executor
      // that runs at once finds it there rather than reading it back from the store.
      await this.persist(shard, ms, mode, () => (ctx.ms = ms));
    } finally {
      // (A write of unknown outcome has already fenced the shard in persist.)
      ctx.lock.release();
    }
  }

  private retryable(shard: Shard, err: unknown): boolean {
    if (err instanceof ShardOwnershipLostError) {
      // Our own range renewal may have raced this write; the retry reads the shard row back first, and closes
      // the shard only when another engine owns it.
      shard.suspect();
      return true;
    }
    return isConditionFailure(err) || (err instanceof StoreError && err.applied === 'unknown');
  }

  private async fence(shard: Shard, cause: unknown): Promise<void> {
    this.hooks.conflicted?.(shard, cause);
    // Outcome unknown: move to a new range so the lost write can no longer land. Only the run whose write it was
    // is in doubt (its cached state is dropped by the caller); other runs' cached states stay right, and their
    // contexts must stay too — a context dropped while its lock is held would let a second one serve the same run.
    await shard.renewRange();
  }

  private async persist(
    shard: Shard,
    ms: MutableState,
    createMode: CreateMode | undefined,
    onCommit?: () => void,
  ): Promise<void> {
    const newRun = ms.newRun;
    const runs = newRun ? [ms, newRun] : [ms];
    const taskCount = runs.reduce((n, r) => n + r.tasks.length + (r.newEvents.length > 0 ? 1 : 0), 0);
    if (!shard.io.tryAcquire()) await shard.io.acquire();
    let reservation: number | undefined;
    const written: { run: MutableState; nodeId: number; txnId: number }[] = [];
    const tasksByRun = new Map<MutableState, HistoryTask[]>();
    try {
      const alloc = shard.tryAllocate(taskCount, ms.nowMs) ?? (await shard.allocate(taskCount, ms.nowMs));
      reservation = alloc.reservation;
      const ids = alloc.ids;
      let next = 0;
      for (const run of runs) {
        if (run.newEvents.length > 0) {
          const txnId = ids[next++] as number;
          // The run was last written under a later range of this shard than the one this engine holds: another engine
          // owns the shard now (this one has not heard yet). Fenced as the conditional batch would be, before any
          // write — not an invariant broken.
          if (txnId <= run.info.lastTxnId) throw new ShardOwnershipLostError(shard.id, shard.rangeId, undefined);
          for (const e of run.newEvents) e.taskId = txnId;
          const bytes = await this.persistence.executions.appendHistoryEvents({
            treeId: run.info.treeId,
            branchId: run.info.branchId,
            events: run.newEvents,
            txnId,
            prevTxnId: run.info.lastTxnId,
            newBranch: run.isNew,
          });
          const nodeId = toNumber(run.newEvents[0]?.eventId);
          written.push({ run, nodeId, txnId });
          run.info.lastTxnId = txnId;
          run.info.lastFirstEventId = nodeId;
          run.info.lastEventTaskId = txnId;
          run.info.historySizeBytes += bytes;
        }
        const key = run.key;
        tasksByRun.set(
          run,
          run.tasks.map((t) => toHistoryTask(t, key, ids[next++] as number)),
        );
      }
      const tasks = runs.flatMap((r) => tasksByRun.get(r) ?? []);
      if (createMode) {
        await this.persistence.executions.createWorkflowExecution({
          shardId: shard.id,
          rangeId: shard.rangeId,
          mode: createMode,
          snapshot: ms.toSnapshot(),
          tasks,
        });
      } else {
        await this.persistence.executions.updateWorkflowExecution({
          shardId: shard.id,
          rangeId: shard.rangeId,
          mode: 'update-current',
          mutation: ms.toMutation(),
          ...(newRun ? { newRun: newRun.toSnapshot() } : {}),
          tasks,
        });
      }
      onCommit?.();
      this.committed(shard, runs, tasksByRun);
    } catch (err) {
      if (err instanceof StoreError && err.applied === 'unknown') {
        // Temporal's OperationPossiblySucceeded: fence the shard, after which the write has either landed or never
        // will (the fence is a Paxos round on the same partition), then read the run back to learn which. A write
        // that landed is a commit: its history tasks must reach the queues, or they would sit in the store unseen.
        const landed = await this.landedAfterFence(shard, ms, createMode, err);
        if (landed === true) {
          onCommit?.();
          this.committed(shard, runs, tasksByRun);
          return;
        }
        if (landed === undefined) this.hooks.uncertain?.(shard, [...tasksByRun.values()].flat());
        throw err;
      }
      await this.cleanUp(shard, written, err);
      throw err;
    } finally {
      if (reservation !== undefined) shard.release(reservation);
      shard.io.release();
    }
  }

  private committed(shard: Shard, runs: MutableState[], tasksByRun: Map<MutableState, HistoryTask[]>): void {
    const committed = runs.map((run) => ({ run, events: run.newEvents, tasks: tasksByRun.get(run) ?? [] }));
    const effects: (() => void)[] = [];
    for (const run of runs) {
      this.contention.bufferedEvents += run.newBufferedEvents.length;
      effects.push(...run.takeAfterCommit());
      run.commit();
    }
    for (const effect of effects) effect();
    for (const c of committed) this.hooks.committed(shard, c.run, c.events, c.tasks);
  }

  /**
   * After a write of unknown outcome: fences the shard, then reads the run back. Landed means the run now exists
   * (create: run ids are unique) or carries the db_record_version this write set (update: nobody else writes this
   * run under this engine's lock and range). When the fence or the read fails the outcome stays unknown
   * (undefined).
   */
  private async landedAfterFence(
    shard: Shard,
    ms: MutableState,
    createMode: CreateMode | undefined,
    cause: unknown,
  ): Promise<boolean | undefined> {
    try {
      await this.fence(shard, cause);
      const row = await this.persistence.executions.getWorkflowExecution(shard.id, ms.key);
      if (!row) return false;
      return createMode !== undefined || row.dbRecordVersion === ms.dbRecordVersion + 1;
    } catch {
      return undefined;
    }
  }

  /** After a failed batch that did not apply: trim the history nodes it wrote (Temporal does). */
  private async cleanUp(
    shard: Shard,
    written: { run: MutableState; nodeId: number; txnId: number }[],
    err: unknown,
  ): Promise<void> {
    if (err instanceof ShardOwnershipLostError) shard.suspect();
    if (isConditionFailure(err)) this.hooks.conflicted?.(shard, err);
    for (const w of written) {
      await this.persistence.executions
        .trimHistoryNode(w.run.info.treeId, w.run.info.branchId, w.nodeId, w.txnId)
        .catch(() => undefined);
    }
  }
}

function toHistoryTask(t: PendingTask, key: WorkflowKey, taskId: number): HistoryTask {
  return { category: t.category, body: t.body, visibilityTimeMs: t.visibilityTimeMs, key, taskId } as HistoryTask;
}
