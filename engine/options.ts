/**
 * Engine options, declared once: defaults, units and validation. `startEngine` fills what its caller leaves out from
 * ENGINE_DEFAULTS and reports every problem at once (EngineOptionsError).
 */
import type { Clock } from './clock.js';
import type { Stores } from './persistence/store.js';
import { LIMIT_DEFAULTS, validateLimits, type EngineLimits } from './limits.js';
import { TRANSPORT_DEFAULTS, validateTransport, type TransportOptions } from './frontend/transport.js';

export type StoreKind = 'memory' | 'cassandra' | 'postgres';

export interface PostgresOptions {
  /** Connection URL without its password (postgres://user@host:port/database). */
  url: string;
  /** From the URL given, STAMPEDE_POSTGRES_PASSWORD or PGPASSWORD; never printed, redacted in results. */
  password?: string;
  /** Connections in the pool. @default 16 */
  poolSize: number;
}

export interface CassandraOptions {
  contactPoints: string[];
  localDataCenter: string;
  keyspace: string;
  username?: string;
  password?: string;
  /** Astra: path to the secure connect bundle; credentials are then `token` + application token. */
  secureConnectBundle?: string;
  /** Replication for keyspace creation (not used on Astra). */
  replicationFactor: number;
}

export interface EngineOptions {
  /** @default '127.0.0.1' */
  host: string;
  /** gRPC port; 0 picks a free one. @default 7233 */
  port: number;
  /** @default 'memory' */
  store: StoreKind;
  cassandra?: CassandraOptions;
  postgres?: PostgresOptions;
  /** History shards (one Cassandra partition each). @default 4 */
  numShards: number;
  /** LWT-bearing writes in flight per shard (Temporal: 1). @default 1 */
  shardIOConcurrency: number;
  /** Virtual ms per real ms for durable time. @default 1 */
  timeScale: number;
  /** Retention of the `default` namespace, virtual ms. @default 24 h */
  defaultRetentionMs: number;
  /** Longest a long poll is held, ms. @default 60000 */
  longPollTimeoutMs: number;
  /** Cached runs per shard. @default 4096 */
  cacheSizePerShard: number;
  /** How often queues persist ack levels and range-delete completed tasks, ms. @default 30000 */
  queueAckIntervalMs: number;
  /** Port of the Prometheus `/metrics` endpoint; undefined = off. */
  metricsPort?: number;
  /**
   * Requests handled per event-loop turn before the replies so far are written; the rest wait for the next turn
   * (see engine/frontend/turn-budget.ts). `Infinity` handles every request of a turn before any reply leaves.
   * @default 8
   */
  requestsPerTurn: number;
  /** Fault injection for testing gates: every store call waits this long first. @default 0 */
  injectStoreLatencyMs: number;
  /** Tasks a task queue holds in memory; beyond it new tasks stay in the store until the buffer drains. @default 1000 */
  maxBufferedTasks: number;
  /**
   * How long a sticky queue counts as served after its worker's last poll; then history dispatches to the normal
   * queue instead, ms. @default 10000
   */
  stickyPollerTimeoutMs: number;
  /** Attempts of one workflow transaction (load, mutate, persist) before a conflict is returned. @default 5 */
  maxTransactionAttempts: number;
  /** Real-time look-ahead of a timer queue's in-memory window, ms. @default 10000 */
  timerLookaheadRealMs: number;
  /** Transfer, timer and visibility tasks a shard's queue executes at once. @default 32 */
  queueConcurrency: number;
  /** Events per page in poll responses and history reads. @default 1000 */
  historyPageSize: number;
  /**
   * Temporal's limits (blob and history size, history count, pending activities/timers/children/signals/cancel
   * requests per workflow, gRPC message size), each overriding its default in engine/limits.ts.
   */
  limits?: Partial<EngineLimits>;
  /** Transport bounds (connection cap, idle and age timeouts, keepalive, streams), over engine/frontend/transport.ts's defaults. */
  transport?: Partial<TransportOptions>;
  /**
   * Real ms per summary of failures in the log: the first failure of each class in an interval is logged in full,
   * the rest counted (engine/log/error-log.ts). @default 10000
   */
  errorLogIntervalMs: number;
  /**
   * Join the store's engine cluster: share the history shards and task queues with the other engines that joined it
   * (engine/cluster). Off, the engine owns every shard, as one engine on its store must. @default false
   */
  cluster: boolean;
  /** host:port the other members and clients dial for this member; default the bound host and port. */
  advertiseAddress?: string;
  /** How often a member refreshes its membership row and reads the live set, ms. @default 1000 */
  membershipHeartbeatMs: number;
  /** A member silent this long is gone and its shards are taken over, ms. @default 6000 */
  membershipTtlMs: number;
  /** A clock for tests (overrides timeScale). */
  clock?: Clock;
  /** Stores for tests, e.g. a fault-injecting wrapper (overrides store). */
  stores?: Stores;
  /** Where the engine logs (one line per call). @default no logging */
  log?: (line: string) => void;
}

export const ENGINE_DEFAULTS: Omit<
  EngineOptions,
  'cassandra' | 'postgres' | 'clock' | 'stores' | 'log' | 'metricsPort' | 'limits' | 'transport' | 'advertiseAddress'
> = {
  host: '127.0.0.1',
  port: 7233,
  store: 'memory',
  numShards: 4,
  shardIOConcurrency: 1,
  timeScale: 1,
  injectStoreLatencyMs: 0,
  defaultRetentionMs: 24 * 3600_000,
  longPollTimeoutMs: 60_000,
  cacheSizePerShard: 4096,
  queueAckIntervalMs: 30_000,
  requestsPerTurn: 8,
  maxBufferedTasks: 1000,
  stickyPollerTimeoutMs: 10_000,
  maxTransactionAttempts: 5,
  timerLookaheadRealMs: 10_000,
  queueConcurrency: 32,
  historyPageSize: 1000,
  errorLogIntervalMs: 10_000,
  cluster: false,
  membershipHeartbeatMs: 1000,
  membershipTtlMs: 6000,
};

/** Options that cannot be used, all of them (a port that cannot be bound is one too). */
export class EngineOptionsError extends Error {
  readonly code = 'ENGINE_OPTIONS';
  constructor(readonly problems: string[]) {
    super(problems.join('; '));
    this.name = 'EngineOptionsError';
  }
}

/** Every problem with the options, so they can be reported together. */
export function validateEngineOptions(o: EngineOptions): string[] {
  const problems: string[] = [];
  const int = (v: number, name: string, min: number, max = Number.MAX_SAFE_INTEGER): void => {
    if (!Number.isInteger(v) || v < min || v > max)
      problems.push(`${name} must be an integer in [${min}, ${max}], got ${v}`);
  };
  int(o.port, 'port', 0, 65535);
  int(o.numShards, 'shards', 1, 16384);
  int(o.shardIOConcurrency, 'shard-io-concurrency', 1, 1024);
  int(o.cacheSizePerShard, 'cache-size-per-shard', 1);
  if (!(o.timeScale > 0) || !Number.isFinite(o.timeScale))
    problems.push(`time-scale must be a positive number, got ${o.timeScale}`);
  if (!(o.defaultRetentionMs > 0)) problems.push(`retention must be positive, got ${o.defaultRetentionMs} ms`);
  if (!(o.longPollTimeoutMs >= 1000 && o.longPollTimeoutMs <= 69_000)) {
    problems.push(
      `long-poll timeout must be within [1 s, 69 s] (the SDK's client deadline is 70 s), got ${o.longPollTimeoutMs} ms`,
    );
  }
  if (o.store === 'cassandra' && !o.cassandra) problems.push('store cassandra needs contact points or an Astra bundle');
  if (o.store === 'postgres' && !o.postgres) problems.push('store postgres needs a connection URL (--postgres-url)');
  if (o.metricsPort !== undefined) int(o.metricsPort, 'metrics-port', 0, 65535);
  if (!(o.requestsPerTurn === Infinity || (Number.isInteger(o.requestsPerTurn) && o.requestsPerTurn >= 1)))
    problems.push(`requests per turn must be an integer >= 1 or Infinity, got ${o.requestsPerTurn}`);
  if (!(o.injectStoreLatencyMs >= 0 && o.injectStoreLatencyMs <= 10_000))
    problems.push(`inject-store-latency must be within [0, 10 s], got ${o.injectStoreLatencyMs} ms`);
  int(o.maxBufferedTasks, 'max-buffered-tasks', 1);
  int(o.errorLogIntervalMs, 'error-log-interval-ms', 1);
  problems.push(...validateLimits(limitsOf(o)), ...validateTransport(transportOf(o)));
  int(o.stickyPollerTimeoutMs, 'sticky-poller-timeout-ms', 0);
  int(o.maxTransactionAttempts, 'max-transaction-attempts', 1);
  int(o.timerLookaheadRealMs, 'timer-lookahead-ms', 1);
  int(o.queueConcurrency, 'queue-concurrency', 1);
  int(o.historyPageSize, 'history-page-size', 1);
  int(o.membershipHeartbeatMs, 'membership-heartbeat-ms', 50, 60_000);
  int(o.membershipTtlMs, 'membership-ttl-ms', 1, 600_000);
  if (o.membershipTtlMs < 3 * o.membershipHeartbeatMs)
    problems.push(
      `membership-ttl-ms must be at least three heartbeats (${3 * o.membershipHeartbeatMs} ms), got ${o.membershipTtlMs}`,
    );
  if (o.advertiseAddress !== undefined && !/^(\[[0-9a-fA-F:.]+\]|[^\s:[\]]+):\d{1,5}$/.test(o.advertiseAddress))
    problems.push(`advertise-address must be host:port, got ${JSON.stringify(o.advertiseAddress)}`);
  if (o.cluster && o.advertiseAddress === undefined && /^(0\.0\.0\.0|::|\[::\])$/.test(o.host))
    problems.push(
      `a cluster member listening on ${o.host} needs --advertise-address (the address the other members dial)`,
    );
  if (o.cluster && o.store === 'memory' && !o.stores)
    problems.push(
      'a cluster needs a store its members share: --store cassandra or postgres (the memory store lives in one process)',
    );
  return problems;
}

/** The limits an engine applies: its options' overrides over Temporal's defaults. */
export function limitsOf(o: Pick<EngineOptions, 'limits'>): EngineLimits {
  return { ...LIMIT_DEFAULTS, ...o.limits };
}

/** The transport bounds an engine applies: its options' overrides over the defaults. */
export function transportOf(o: Pick<EngineOptions, 'transport'>): TransportOptions {
  return { ...TRANSPORT_DEFAULTS, ...o.transport };
}
