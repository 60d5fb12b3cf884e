/** The statistics an engine reports (over the admin service and in-process). Part of the harness contract. */
import type { ClusterStats } from '../cluster/cluster.js';
import type { RpcMethodStats } from '../stats.js';
import type { BatchThresholds } from '../persistence/store.js';

export interface EngineStats {
  version: 1;
  engineId: string;
  store: string;
  /** The store server's version (Cassandra release_version), if any. */
  storeVersion?: string;
  /** The store's batch-size thresholds and where they were read (Cassandra, Astra DB). */
  batchThresholds?: BatchThresholds;
  /** Cassandra 4.1+: the node's Paxos variant, as `system_views.settings` shows it. */
  paxosVariant?: string;
  numShards: number;
  shardIOConcurrency: number;
  timeScale: number;
  uptimeMs: number;
  rpc: Record<string, RpcMethodStats>;
  history: {
    shardsOwned: number;
    transactionsCommitted: number;
    conflicts: number;
    /** Updates that queued behind another update of the same run (contention on one execution). */
    lockWaits: number;
    /** External events (signals, cancel requests) buffered because a workflow task was in flight. */
    bufferedEvents: number;
    cachedRuns: number;
    transferBacklog: number;
    timerBacklog: number;
    taskErrors: number;
    /** Shards dropped from memory and read again from the store (after an outage, or writes the store lost). */
    shardReloads: number;
  };
  matching: { queues: number; backlog: number; pollers: number; syncMatched: number; persisted: number };
  visibilityRecords: number;
  /** Persistence statements by class (filled by the persistence metrics decorator). */
  persistence: Record<string, PersistenceStatementStats>;
  /** A member of an engine cluster: its view, what it forwarded, its hand-offs (absent outside a cluster). */
  cluster?: ClusterStats;
  process: { rssBytes: number; heapUsedBytes: number; cpuUserUs: number; cpuSystemUs: number };
}

/** Cheap cumulative counters, sampled by the harness every interval. */
export interface EngineSample {
  atMs: number;
  rpcs: number;
  transactions: number;
  conflicts: number;
  lockWaits: number;
  bufferedEvents: number;
  statements: Record<string, StatementCounts>;
  transferBacklog: number;
  timerBacklog: number;
  matchingBacklog: number;
  cpuUserUs: number;
  cpuSystemUs: number;
  rssBytes: number;
}

/** Running totals of one statement class, sampled per interval. */
export interface StatementCounts {
  count: number;
  outcomes?: Record<string, number>;
  /** Attempts refused for the store's rate (throttled), conditional or not. */
  throttled?: number;
  /** Batches refused for their size, conditional or not. */
  batchTooLarge?: number;
  /** Warnings the server attached to responses (e.g. a batch over its warn threshold). */
  serverWarnings?: number;
}

export interface PersistenceStatementStats {
  count: number;
  errors: number;
  /** Encoded HDR histogram, µs. */
  latencyUs: string;
  /** For conditional writes: applied, not applied by condition kind, timeouts, unavailable, other. */
  outcomes?: Record<string, number>;
  /** Attempts refused for the store's rate (throttled). */
  throttled?: number;
  /** Batches refused for their size (a batch-size guardrail). */
  batchTooLarge?: number;
  /** Encoded HDR histogram of the size in bytes of each logged batch of this class (batch classes only). */
  batchBytes?: string;
  /** Warnings the server attached to this class's responses (a batch over its warn threshold, ...). */
  serverWarnings?: number;
  /** The first distinct warning texts, as the server worded them (at most 3, each cut to 300 characters). */
  serverWarningSamples?: string[];
}

/** One live member of an engine cluster, as the membership table holds it. */
export interface ClusterMemberView {
  hostId: string;
  /** host:port its gRPC frontend serves on (the address other members and clients dial). */
  address: string;
  sessionStartMs: number;
}

/**
 * What DescribeCluster answers: the live members (an engine outside a cluster is the only member) and the shard
 * count. Shard `s` of a workflow is `shardFor(namespaceId, workflowId, numShards)`; its owner is
 * `shardOwner(s, members' hostIds)`.
 */
export interface ClusterView {
  clustered: boolean;
  self: string;
  numShards: number;
  members: ClusterMemberView[];
}
