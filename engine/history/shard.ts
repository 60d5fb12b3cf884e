/**
 * A history shard owned by this process: its range id (the fence on every write), task-id allocation from
 * that range, the IO semaphore that serializes its LWT-bearing writes (shardIOConcurrency), and its cache of
 * workflow contexts. Task ids and history txn ids come from [rangeId << 20, (rangeId + 1) << 20).
 */
import { NotOwnerError } from '../errors.js';
import { EngineOptionsError } from '../options.js';
import { isThrottledError, throttleBackoffMs } from '../persistence/decorators.js';
import { ShardOwnershipLostError, StoreError } from '../persistence/errors.js';
import type { Persistence } from '../persistence/manager.js';
import type { ShardInfo } from '../persistence/records.js';
import { LruMap } from '../util/lru.js';
import { Semaphore } from '../util/semaphore.js';
import type { MutableState } from './mutable-state.js';

export const RANGE_SIZE_BITS = 20;
const RANGE_SIZE = 2 ** RANGE_SIZE_BITS;

export class WorkflowContext {
  readonly lock = new Semaphore(1);
  ms: MutableState | undefined;
  constructor(readonly cacheKey: string) {}
}

/** The shard moved to another engine: UNAVAILABLE to the client, which retries (elsewhere, in a cluster). */
export class ShardClosedError extends NotOwnerError {
  constructor(shardId: number) {
    super(`shard ${shardId} is not owned by this engine`);
    this.name = 'ShardClosedError';
  }
}

export class Shard {
  readonly io: Semaphore;
  readonly cache: LruMap<string, WorkflowContext>;
  private nextTaskId = 0;
  private maxTaskId = 0;
  private renewing: Promise<void> | undefined;
  /** Shard-row writes (range renewals, ack levels) go one at a time, each conditioned on the range id. */
  private readonly rowWrites = new Semaphore(1);
  /**
   * Transactions in flight: lowest task id handed out and the transaction's time (its timer tasks fire no
   * earlier), so ack levels never pass a task that is about to be written.
   */
  private readonly reserved = new Map<number, { taskId: number; nowMs: number }>();
  private reservationSeq = 0;
  closed = false;
  /**
   * A shard-row write failed without a clear answer (outcome unknown, store unreachable) or a batch found another
   * range id: before the next write the row is read back, and the shard stays ours only if we wrote it last.
   */
  private unsure = false;

  private constructor(
    readonly id: number,
    public info: ShardInfo,
    private readonly persistence: Persistence,
    ioConcurrency: number,
    cacheSize: number,
    private readonly onRegressed?: (shard: Shard, storedRangeId: number) => void,
    private readonly onLost?: (shard: Shard) => void,
  ) {
    this.io = new Semaphore(ioConcurrency);
    this.cache = new LruMap(cacheSize, (ctx) => ctx.lock.idle);
    this.resetRange();
  }

  /**
   * Takes ownership: reads (or creates) the shard row and bumps its range id, fencing out any previous owner. A
   * write whose outcome is unknown (a CAS timeout: Paxos contention with the previous owner still renewing, a busy
   * node) or that lost a race for the range is settled by reading the row back (the range we tried, under our owner
   * id, means our write landed) and otherwise retried with backoff, for up to `opts.acquireTimeoutMs`, as Temporal's
   * shard controller keeps retrying acquisition. A throttled store (a rate limit refusing a starting engine's burst)
   * is waited out the same way, with the longer throttle backoff. A store that is down is not retried here: the
   * persistence retry decorator already retries writes that certainly did not apply, and then the start fails with
   * its error.
   */
  static async acquire(
    shardId: number,
    owner: string,
    persistence: Persistence,
    opts: {
      ioConcurrency: number;
      cacheSize: number;
      /** The engine's shard count: refused when the store records another (Temporal refuses a changed count too). */
      numShards: number;
      acquireTimeoutMs?: number;
      /**
       * The range id this engine last held, when it takes the shard again: the new range goes above it even if the
       * store's row went back, so no task id or history txn id of the lost range is handed out twice.
       */
      aboveRangeId?: number;
      /** The store's shard row went back to an older range id: it lost writes this engine made. */
      onRegressed?: (shard: Shard, storedRangeId: number) => void;
      /** Another engine took the shard (a member of the cluster that owns it now): this object is closed for good. */
      onLost?: (shard: Shard) => void;
    },
  ): Promise<Shard> {
    const deadline = Date.now() + (opts.acquireTimeoutMs ?? 60_000);
    let tried: number | undefined;
    for (let attempt = 1; ; attempt++) {
      try {
        const current = await persistence.shards.getOrCreateShard(shardId, owner);
        if (current.numShards !== undefined && current.numShards !== opts.numShards)
          throw new EngineOptionsError([
            `the store was set up with ${current.numShards} history shards, not ${opts.numShards}: a workflow's shard is its id's hash modulo the count, so another count would strand every workflow already stored (Temporal refuses a changed shard count too); run with --shards ${current.numShards}, or use a fresh keyspace or database`,
          ]);
        // The owner token is unique to this acquisition: the range an earlier attempt wrote under it means it landed.
        if (current.owner === owner && current.rangeId === tried)
          return new Shard(
            shardId,
            current,
            persistence,
            opts.ioConcurrency,
            opts.cacheSize,
            opts.onRegressed,
            opts.onLost,
          );
        const rangeId = Math.max(current.rangeId, opts.aboveRangeId ?? 0) + 1;
        const info: ShardInfo = { ...current, rangeId, owner, updatedAtMs: Date.now(), numShards: opts.numShards };
        tried = info.rangeId;
        await persistence.shards.updateShard(info, current.rangeId);
        return new Shard(shardId, info, persistence, opts.ioConcurrency, opts.cacheSize, opts.onRegressed, opts.onLost);
      } catch (err) {
        const unsettled =
          err instanceof ShardOwnershipLostError || (err instanceof StoreError && err.applied === 'unknown');
        const throttled = isThrottledError(err);
        if (!(unsettled || throttled) || Date.now() >= deadline) throw err;
        const backoffMs = throttled ? throttleBackoffMs(attempt) : Math.min(100 * 2 ** (attempt - 1), 2000);
        await new Promise((r) => setTimeout(r, backoffMs * (0.5 + Math.random() / 2)));
      }
    }
  }

  get rangeId(): number {
    return this.info.rangeId;
  }

  private resetRange(): void {
    this.nextTaskId = this.info.rangeId * RANGE_SIZE;
    this.maxTaskId = (this.info.rangeId + 1) * RANGE_SIZE;
  }

  /**
   * Reserves `count` task ids. The reservation must be released with {@link release} whether or not the
   * transaction commits.
   */
  async allocate(count: number, nowMs: number): Promise<{ ids: number[]; reservation: number }> {
    if (this.closed) throw new ShardClosedError(this.id);
    if (this.unsure) await this.renewRange();
    if (this.closed) throw new ShardClosedError(this.id);
    while (this.nextTaskId + count > this.maxTaskId) await this.renewRange();
    return this.reserve(count, nowMs);
  }

  /**
   * {@link allocate} without a promise when nothing has to be renewed first (the common case); undefined when the
   * caller must `allocate` (closed, unsure, or the range is used up).
   */
  tryAllocate(count: number, nowMs: number): { ids: number[]; reservation: number } | undefined {
    if (this.closed || this.unsure || this.nextTaskId + count > this.maxTaskId) return undefined;
    return this.reserve(count, nowMs);
  }

  private reserve(count: number, nowMs: number): { ids: number[]; reservation: number } {
    const ids: number[] = [];
    for (let i = 0; i < count; i++) ids.push(this.nextTaskId++);
    const reservation = ++this.reservationSeq;
    this.reserved.set(reservation, { taskId: ids[0] ?? this.nextTaskId, nowMs });
    return { ids, reservation };
  }

  release(reservation: number): void {
    this.reserved.delete(reservation);
  }

  /** The lowest task id that may still be written by a transaction in flight (or the next id). */
  lowestUnfinishedTaskId(): number {
    let min = this.nextTaskId;
    for (const r of this.reserved.values()) if (r.taskId < min) min = r.taskId;
    return min;
  }

  /** The earliest time a timer task of a transaction in flight can fire (Infinity when none is in flight). */
  lowestUnfinishedFireTimeMs(): number {
    let min = Infinity;
    for (const r of this.reserved.values()) if (r.nowMs < min) min = r.nowMs;
    return min;
  }

  /**
   * Moves to the next range (`IF range_id = current`), fencing out any write of the old range still in flight.
   * Only another owner's write closes the shard; a failure that leaves the outcome open (a CAS timeout on the
   * shard row, the store unreachable) leaves it open too, to be settled by reading the row back first.
   */
  renewRange(): Promise<void> {
    this.renewing ??= (async () => {
      try {
        await this.rowWrites.run(async () => {
          await this.settle();
          const next: ShardInfo = { ...this.info, rangeId: this.info.rangeId + 1, updatedAtMs: Date.now() };
          await this.writeRow(next);
          this.resetRange();
        });
      } finally {
        this.renewing = undefined;
      }
    })();
    return this.renewing;
  }

  /** Persists ack levels (fenced by the range id like every shard write). */
  async updateAckLevels(
    levels: Partial<Pick<ShardInfo, 'transferAckLevel' | 'timerAckLevelMs' | 'visibilityAckLevel'>>,
  ): Promise<void> {
    await this.rowWrites.run(async () => {
      await this.settle();
      await this.writeRow({ ...this.info, ...levels, updatedAtMs: Date.now() });
    });
  }

  /**
   * A batch of this shard failed its range-id fence: either our own renewal moved the range while it was in
   * flight, or another engine took the shard. The next write reads the row back and tells which.
   */
  suspect(): void {
    this.unsure = true;
  }

  private async writeRow(next: ShardInfo): Promise<void> {
    try {
      await this.persistence.shards.updateShard(next, this.info.rangeId);
    } catch (err) {
      // Not applied because the range moved, or unknown: either way the row must be read before the next write.
      this.unsure = true;
      throw err;
    }
    this.info = next;
  }

  /**
   * Reads the shard row back after an unclear write. Written last by this shard object (the owner token is unique
   * per acquisition): adopt its range id (a renewal whose reply was lost did land). Written by anyone else — another
   * engine, or this engine's own later acquisition after a reload: the shard is theirs now, closed here for good. A range id older than ours: nobody can have taken the shard with
   * it — the store lost writes it had acknowledged (a node restarted from an unsynced commit log, a restore), and
   * everything this shard holds in memory may be ahead of the store; it closes and `onRegressed` reloads it.
   */
  private async settle(): Promise<void> {
    if (this.closed) throw new ShardClosedError(this.id);
    if (!this.unsure) return;
    const row = await this.persistence.shards.getOrCreateShard(this.id, this.info.owner);
    if (row.rangeId < this.info.rangeId) {
      this.close();
      this.onRegressed?.(this, row.rangeId);
      throw new ShardOwnershipLostError(this.id, this.info.rangeId, row.rangeId);
    }
    if (row.owner !== this.info.owner) {
      this.close();
      this.onLost?.(this);
      throw new ShardOwnershipLostError(this.id, this.info.rangeId, row.rangeId);
    }
    if (row.rangeId !== this.info.rangeId) {
      this.info = { ...this.info, rangeId: row.rangeId };
      this.resetRange();
    }
    this.unsure = false;
  }

  context(cacheKey: string): WorkflowContext {
    let ctx = this.cache.get(cacheKey);
    if (!ctx) {
      ctx = new WorkflowContext(cacheKey);
      this.cache.set(cacheKey, ctx);
    }
    return ctx;
  }

  close(): void {
    this.closed = true;
    this.cache.clear();
  }
}
