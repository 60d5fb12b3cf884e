/**
 * The engine's services over an open store, wired as Temporal's are in one process: persistence (with its metrics
 * and latency decorators), visibility, matching, history and the namespace registry. The frontend, the admin surface
 * and the engine's stop path all reach the services through this one bundle.
 */
import type { Clock } from './clock.js';
import { NamespaceRegistry } from './frontend/namespace-registry.js';
import { HistoryService } from './history/history-service.js';
import { MatchingService } from './matching/matching-service.js';
import { createPersistence, type Persistence } from './persistence/manager.js';
import { whileThrottled } from './persistence/decorators.js';
import type { Stores } from './persistence/store.js';
import { RpcStats } from './stats.js';
import { ErrorLog } from './log/error-log.js';
import { LimitCounters, type EngineLimits } from './limits.js';
import { TransportCounters } from './frontend/transport.js';
import { limitsOf, type EngineOptions } from './options.js';
import { VisibilityStore, type VisibilityQueries } from './visibility/visibility-store.js';
import { EngineCluster } from './cluster/cluster.js';
import { LocalHistoryClient } from './history/history-client.js';
import { randomUUID } from 'node:crypto';

export interface EngineServices {
  readonly id: string;
  readonly options: EngineOptions;
  readonly clock: Clock;
  readonly stores: Stores;
  readonly persistence: Persistence;
  readonly visibility: VisibilityStore;
  /** What List/Count read: this engine's index, or every member's in a cluster. */
  readonly visibilityQueries: VisibilityQueries;
  readonly matching: MatchingService;
  /** This engine's membership of a cluster (`--cluster`); it joins once its port is bound (server.ts). */
  readonly cluster: EngineCluster | undefined;
  readonly history: HistoryService;
  readonly namespaces: NamespaceRegistry;
  readonly rpcStats: RpcStats;
  /** Temporal's limits as this engine applies them, and what they counted. */
  readonly limits: EngineLimits;
  readonly limitCounters: LimitCounters;
  /** What the frontend's transport guards counted (connections open and refused, large messages). */
  readonly transportCounters: TransportCounters;
  /** Failures of calls and tasks, logged as a rate-limited summary per class. */
  readonly errors: ErrorLog;
  /** Epoch ms the services started. */
  readonly startedAt: number;
}

/** Wires the services over `stores` and starts them (the default namespace, then the shards). */
export async function startServices(
  o: EngineOptions,
  stores: Stores,
  clock: Clock,
  id: string,
  log: (line: string) => void,
): Promise<EngineServices> {
  const persistence: Persistence = createPersistence(stores, { injectLatencyMs: o.injectStoreLatencyMs });
  const limits = limitsOf(o);
  const limitCounters = new LimitCounters();
  const errors = new ErrorLog(log, { intervalMs: o.errorLogIntervalMs, maxClasses: 64 });
  const visibility = new VisibilityStore();
  const matching = new MatchingService(persistence.tasks, {
    maxBufferedTasks: o.maxBufferedTasks,
    ackIntervalMs: o.queueAckIntervalMs,
    stickyPollerTimeoutMs: o.stickyPollerTimeoutMs,
    longPollTimeoutMs: o.longPollTimeoutMs,
    now: () => Date.now(),
  });
  const cluster = o.cluster
    ? new EngineCluster(
        persistence.membership,
        {
          self: { hostId: randomUUID(), address: o.advertiseAddress ?? '', sessionStartMs: Date.now() },
          numShards: o.numShards,
          heartbeatMs: o.membershipHeartbeatMs,
          ttlMs: o.membershipTtlMs,
        },
        log,
      )
    : undefined;
  const history = new HistoryService(
    clock,
    persistence,
    {
      numShards: o.numShards,
      shardIOConcurrency: o.shardIOConcurrency,
      cacheSizePerShard: o.cacheSizePerShard,
      maxTransactionAttempts: o.maxTransactionAttempts,
      transferAckIntervalMs: o.queueAckIntervalMs,
      timerAckIntervalMs: o.queueAckIntervalMs,
      timerLookaheadRealMs: o.timerLookaheadRealMs,
      queueConcurrency: o.queueConcurrency,
      historyPageSize: o.historyPageSize,
      longPollTimeoutMs: o.longPollTimeoutMs,
      limits,
      limitCounters,
    },
    cluster ? cluster.matchingClient(matching) : matching,
    visibility,
    id,
    log,
    errors,
  );
  const localHistory = new LocalHistoryClient(history);
  if (cluster) history.historyClient = cluster.historyClient(localHistory);
  const namespaces = new NamespaceRegistry(persistence.namespaces, o.defaultRetentionMs);
  // After an outage the store may hold less than this engine caches: re-read it all before trusting memory again.
  persistence.health.onDown((outage) => log(`store unreachable: ${outage.firstError}`));
  persistence.health.onRecovered((outage, downMs) => {
    log(
      `store back after ${downMs} ms (${outage.failures} calls failed meanwhile): reloading shards and task queues from it`,
    );
    void namespaces
      .refresh()
      .catch((err: unknown) => log(`namespaces: re-reading after the outage failed: ${String(err)}`))
      .then(() => {
        matching.reset();
        return history.reloadAll('the store came back after an outage');
      });
  });
  const services: EngineServices = {
    id,
    options: o,
    clock,
    stores,
    persistence,
    visibility,
    visibilityQueries: cluster ? cluster.visibility(visibility) : visibility,
    matching,
    cluster,
    history,
    namespaces,
    rpcStats: new RpcStats(),
    errors,
    limits,
    limitCounters,
    transportCounters: new TransportCounters(),
    startedAt: Date.now(),
  };
  try {
    await whileThrottled(() => namespaces.ensure('default', o.defaultRetentionMs));
    // A cluster member takes its share of the shards when it joins (server.ts, once its port is bound).
    if (!cluster) await history.start();
  } catch (err) {
    return abandonServices(services, err);
  }
  return services;
}

/**
 * Undoes a start that failed after the store was opened, then rethrows: the store's connections would otherwise
 * keep the process alive.
 */
export async function abandonServices(s: EngineServices, err: unknown): Promise<never> {
  await s.cluster?.stop().catch(() => undefined);
  s.matching.stop();
  await s.history.stop().catch(() => undefined);
  await s.persistence.close().catch(() => undefined);
  throw err;
}
