/** What every history operation gets: shards, the transaction path, matching, caches and registries. */
import type { Clock } from '../clock.js';
import type { EngineLimits, LimitCounters } from '../limits.js';
import type { IHistoryEvent } from '../proto.js';
import type { Persistence } from '../persistence/manager.js';
import type { MatchingTask, TaskQueueType } from '../persistence/records.js';
import type { VisibilityStore } from '../visibility/visibility-store.js';
import type { LruMap } from '../util/lru.js';
import type { RunHistoryCache } from './history-cache.js';
import type { QueryRegistry } from './queries.js';
import type { Shard } from './shard.js';
import type { Transactions } from './transaction.js';
import type { UpdateRegistry } from './updates/registry.js';
import type { HistoryWaiters } from './waiters.js';
import type { HistoryClient } from './history-client.js';

/** The part of matching history calls (Temporal's matching client). */
export interface MatchingClient {
  addTask(
    namespaceId: string,
    taskQueue: string,
    type: TaskQueueType,
    kind: 'normal' | 'sticky',
    task: Omit<MatchingTask, 'taskId'>,
  ): Promise<'sync' | 'persisted'>;
  /**
   * Hands a query task to the next poller of a workflow queue (never persisted). Resolves true once a poller
   * took it, false if none came within `timeoutMs`.
   */
  offerQueryTask(
    namespaceId: string,
    taskQueue: string,
    kind: 'normal' | 'sticky',
    task: Omit<MatchingTask, 'taskId'>,
    timeoutMs: number,
  ): Promise<boolean>;
}

export interface HistoryConfig {
  numShards: number;
  shardIOConcurrency: number;
  cacheSizePerShard: number;
  maxTransactionAttempts: number;
  transferAckIntervalMs: number;
  timerAckIntervalMs: number;
  /** Real-time look-ahead of the timer queue's in-memory window. */
  timerLookaheadRealMs: number;
  queueConcurrency: number;
  /** Events per page in poll responses and history reads. */
  historyPageSize: number;
  longPollTimeoutMs: number;
  /** Temporal's limits (engine/limits.ts), and where warnings, terminations and failed tasks are counted. */
  limits: EngineLimits;
  limitCounters: LimitCounters;
}

export interface HistoryContext {
  readonly clock: Clock;
  readonly persistence: Persistence;
  readonly tx: Transactions;
  readonly config: HistoryConfig;
  readonly matching: MatchingClient;
  readonly visibility: VisibilityStore;
  readonly waiters: HistoryWaiters;
  readonly queries: QueryRegistry;
  /** Workflow updates admitted and not yet completed, per run. */
  readonly updates: UpdateRegistry;
  /** Recently written events that later operations need (activity scheduled events), by `${runKey}#${eventId}`. */
  readonly eventCache: LruMap<string, IHistoryEvent>;
  /** Committed histories of recently active runs, by run key: poll responses are built from it when it covers them. */
  readonly historyCache: RunHistoryCache;
  /** Calls on another shard's runs (a child's start, a signal to another workflow, ...). */
  readonly historyClient: HistoryClient;
  shardFor(namespaceId: string, workflowId: string): Shard;
}
