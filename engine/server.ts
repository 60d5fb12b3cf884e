/**
 * The composition root: picks the store backend, wires persistence, history, matching, visibility and the
 * gRPC frontend, and starts serving. The only module that knows which backend is in use.
 */
import { randomUUID } from 'node:crypto';
import type { Server as HttpServer } from 'node:http';
import * as grpc from '@grpc/grpc-js';
import { ScaledClock, type Clock } from './clock.js';
import { addWorkflowService, inProcessCaller, type RpcObserver } from './api/frontend-server.js';
import type { Frontend } from './api/handler.js';
import { NamespaceRegistry } from './api/namespaces.js';
import { addAdminService } from './admin/admin-service.js';
import type { EngineSample, EngineStats } from './admin/stats-types.js';
import { startMetricsServer } from './admin/prometheus.js';
import { HistoryService } from './history/history-service.js';
import { MatchingService } from './matching/matching-service.js';
import { createPersistence, type Persistence } from './persistence/manager.js';
import { createMemoryStores } from './persistence/memory/index.js';
import { createCassandraStores } from './persistence/cassandra/index.js';
import type { Stores } from './persistence/store.js';
import { ENGINE_DEFAULTS, validateEngineOptions, type EngineOptions } from './options.js';
import { RpcStats } from './stats.js';
import { VisibilityStore } from './visibility/visibility-store.js';

export const ENGINE_VERSION = '0.1.0';

export class EngineOptionsError extends Error {
  readonly code = 'ENGINE_OPTIONS';
  constructor(readonly problems: string[]) {
    super(problems.join('; '));
    this.name = 'EngineOptionsError';
  }
}

export interface Engine {
  readonly id: string;
  readonly host: string;
  readonly port: number;
  /** host:port to dial. */
  readonly address: string;
  readonly clock: Clock;
  /** Port of the Prometheus `/metrics` endpoint, when enabled. */
  readonly metricsPort: number | undefined;
  stats(): Promise<EngineStats>;
  /**
   * Calls a WorkflowService method in-process, without gRPC (the same handler, request shaped as the decoder
   * shapes it). For benchmarks of the engine's own paths; clients should use the gRPC address.
   */
  invoke(method: string, request: object): Promise<object>;
  /** Cheap cumulative counters (for per-interval sampling). */
  sample(): EngineSample;
  stop(): Promise<void>;
}

/** How long stop() lets in-flight history work finish, then how long it waits for the store to close. */
const STOP_DRAIN_MS = 5000;
const STOP_CLOSE_MS = 3000;

/** Waits for `p` at most `ms`: true when it settled in time (a rejection counts as settled). */
async function withDeadline(p: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<false>((resolve) => (timer = setTimeout(() => resolve(false), ms)));
  try {
    return await Promise.race([
      p.then(
        () => true as const,
        () => true as const,
      ),
      late,
    ]);
  } finally {
    clearTimeout(timer);
  }
}

/** CPU time of the whole process (every thread), in seconds. */
function cpuSeconds(): number {
  const cpu = process.cpuUsage();
  return (cpu.user + cpu.system) / 1e6;
}

function openStores(o: EngineOptions): Promise<Stores> {
  if (o.stores) return Promise.resolve(o.stores);
  if (o.store === 'memory') return Promise.resolve(createMemoryStores());
  const c = o.cassandra;
  if (!c) return Promise.reject(new EngineOptionsError(['store cassandra needs contact points or an Astra bundle']));
  return createCassandraStores({
    contactPoints: c.contactPoints,
    localDataCenter: c.localDataCenter,
    keyspace: c.keyspace,
    ...(c.username !== undefined ? { username: c.username } : {}),
    ...(c.password !== undefined ? { password: c.password } : {}),
    ...(c.secureConnectBundle !== undefined ? { secureConnectBundle: c.secureConnectBundle } : {}),
  });
}

/** A port that cannot be bound is the environment's doing: one line saying which address and why. */
function bindError(host: string, port: number, err: unknown): EngineOptionsError {
  const m = err instanceof Error ? err.message : String(err);
  const why = /EADDRINUSE/.test(m)
    ? 'the address is already in use'
    : /EACCES/.test(m)
      ? 'permission denied'
      : /EADDRNOTAVAIL|ENOTFOUND/.test(m)
        ? 'no such address on this machine'
        : m;
  return new EngineOptionsError([`cannot listen on ${host}:${port}: ${why}`]);
}

export async function startEngine(options: Partial<EngineOptions> = {}): Promise<Engine> {
  const o: EngineOptions = { ...ENGINE_DEFAULTS, ...options };
  const problems = validateEngineOptions(o);
  if (problems.length > 0) throw new EngineOptionsError(problems);
  const id = `engine-${randomUUID().slice(0, 8)}`;
  const clock = o.clock ?? new ScaledClock(o.timeScale);
  const log = o.log ?? (() => undefined);
  const startedAt = Date.now();

  const stores = await openStores(o);
  const persistence: Persistence = createPersistence(stores, { injectLatencyMs: o.injectStoreLatencyMs });
  const visibility = new VisibilityStore();
  const matching = new MatchingService(persistence.tasks, {
    maxBufferedTasks: 1000,
    ackIntervalMs: o.queueAckIntervalMs,
    stickyPollerTimeoutMs: 10_000,
    longPollTimeoutMs: o.longPollTimeoutMs,
    now: () => Date.now(),
  });
  const history = new HistoryService(
    clock,
    persistence,
    {
      numShards: o.numShards,
      shardIOConcurrency: o.shardIOConcurrency,
      cacheSizePerShard: o.cacheSizePerShard,
      maxTransactionAttempts: 5,
      transferAckIntervalMs: o.queueAckIntervalMs,
      timerAckIntervalMs: o.queueAckIntervalMs,
      timerLookaheadRealMs: 10_000,
      queueConcurrency: 32,
      historyPageSize: 1000,
      longPollTimeoutMs: o.longPollTimeoutMs,
    },
    matching,
    visibility,
    id,
    log,
  );
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
  // A start that fails after the store is open must close it again: its connections would keep the process alive.
  const abandon = async (err: unknown): Promise<never> => {
    matching.stop();
    await history.stop().catch(() => undefined);
    await persistence.close().catch(() => undefined);
    throw err;
  };
  try {
    await namespaces.ensure('default', o.defaultRetentionMs);
    await history.start();
  } catch (err) {
    return abandon(err);
  }

  const rpcStats = new RpcStats();
  const fe: Frontend = {
    history,
    matching,
    namespaces,
    visibility,
    clock,
    limits: { blobSizeLimitBytes: o.blobSizeLimitBytes },
    serverVersion: `stampede-${ENGINE_VERSION}`,
  };
  const server = new grpc.Server({
    'grpc.max_receive_message_length': 64 * 1024 * 1024,
    'grpc.max_send_message_length': 64 * 1024 * 1024,
    // Nothing serves channelz here; with it on, grpc-js tracks every call and stream (closures, counters and clock
    // reads per call on the hot path).
    'grpc.enable_channelz': 0,
  });
  const rpcObserver: RpcObserver = {
    rpc: (method, code, latencyUs) =>
      rpcStats.record(method, grpc.status[code] ?? String(code), code === grpc.status.OK, latencyUs),
  };
  addWorkflowService(server, fe, rpcObserver, o.requestsPerTurn, o.log);
  const invoke = inProcessCaller(fe, rpcObserver);
  const stats = (): Promise<EngineStats> => {
    const mem = process.memoryUsage();
    const cpu = process.cpuUsage();
    return Promise.resolve({
      version: 1,
      engineId: id,
      store: stores.backend,
      ...(stores.releaseVersion ? { storeVersion: stores.releaseVersion } : {}),
      numShards: o.numShards,
      shardIOConcurrency: o.shardIOConcurrency,
      timeScale: clock.timeScale,
      uptimeMs: Date.now() - startedAt,
      rpc: rpcStats.snapshot(),
      history: history.stats(),
      matching: matching.stats(),
      visibilityRecords: visibility.size(),
      persistence: persistence.metrics.snapshot(),
      process: { rssBytes: mem.rss, heapUsedBytes: mem.heapUsed, cpuUserUs: cpu.user, cpuSystemUs: cpu.system },
    });
  };
  const sample = (): EngineSample => {
    const h = history.stats();
    const cpu = process.cpuUsage();
    return {
      atMs: Date.now(),
      rpcs: rpcStats.count(),
      transactions: h.transactionsCommitted,
      conflicts: h.conflicts,
      lockWaits: h.lockWaits,
      bufferedEvents: h.bufferedEvents,
      statements: persistence.metrics.counts(),
      transferBacklog: h.transferBacklog,
      timerBacklog: h.timerBacklog,
      matchingBacklog: matching.stats().backlog,
      cpuUserUs: cpu.user,
      cpuSystemUs: cpu.system,
      rssBytes: process.memoryUsage.rss(),
    };
  };
  addAdminService(server, stats, sample);

  const port = await new Promise<number>((resolve, reject) => {
    server.bindAsync(`${o.host}:${o.port}`, grpc.ServerCredentials.createInsecure(), (err, p) =>
      err ? reject(err) : resolve(p),
    );
  }).catch((err: unknown) => abandon(bindError(o.host, o.port, err)));
  log(`stampede engine ${id} serving on ${o.host}:${port} (store ${stores.backend}, ${o.numShards} shards)`);
  let metrics: { port: number; server: HttpServer } | undefined;
  if (o.metricsPort !== undefined) {
    const metricsPort = o.metricsPort;
    metrics = await startMetricsServer(o.host, metricsPort, {
      rpc: () => rpcStats.entries(),
      statements: () => persistence.metrics.entries(),
      counters: () => {
        const h = history.stats();
        return {
          stampede_history_transactions_total: {
            help: 'Workflow transactions committed.',
            value: h.transactionsCommitted,
          },
          stampede_history_conflicts_total: {
            help: 'Workflow writes that failed a condition or had an unknown outcome (then retried).',
            value: h.conflicts,
          },
          stampede_history_lock_waits_total: {
            help: 'Workflow updates that queued behind another update of the same run.',
            value: h.lockWaits,
          },
          stampede_history_buffered_events_total: {
            help: 'Signals and other external events buffered because a workflow task was in flight.',
            value: h.bufferedEvents,
          },
          stampede_history_task_errors_total: {
            help: 'Transfer/timer/visibility task executions that failed (then retried).',
            value: h.taskErrors,
          },
          stampede_history_shard_reloads_total: {
            help: 'Shards dropped from memory and read again from the store (after a store outage, or lost writes).',
            value: h.shardReloads,
          },
          stampede_store_outages_total: {
            help: 'Store outages that ended (the store was unreachable, then answered a probe again).',
            value: persistence.health.recoveries,
          },
          stampede_matching_sync_matched_total: {
            help: 'Tasks handed straight to a waiting poller (nothing written).',
            value: matching.stats().syncMatched,
          },
          stampede_matching_persisted_total: {
            help: 'Tasks written to a task queue backlog.',
            value: matching.stats().persisted,
          },
          stampede_process_cpu_seconds_total: {
            help: 'User and system CPU time of the engine process, seconds (rate() = cores busy).',
            value: cpuSeconds(),
          },
        };
      },
      gauges: () => {
        const h = history.stats();
        const m = matching.stats();
        const mem = process.memoryUsage();
        return {
          stampede_shards_owned: [{ help: 'History shards this engine owns.', value: h.shardsOwned }],
          stampede_store_up: [
            { help: '1 while the store answers, 0 during an outage.', value: persistence.health.down ? 0 : 1 },
          ],
          stampede_shards_total: [{ help: 'History shards configured.', value: o.numShards }],
          stampede_history_cached_runs: [{ help: 'Workflow runs in the mutable-state cache.', value: h.cachedRuns }],
          stampede_history_transfer_backlog: [{ help: 'Transfer tasks not yet completed.', value: h.transferBacklog }],
          stampede_history_timer_backlog: [
            { help: 'Timer tasks held in memory (due within the look-ahead window).', value: h.timerBacklog },
          ],
          stampede_matching_backlog: [
            { help: 'Tasks waiting in task queues (persisted backlog, in memory).', value: m.backlog },
          ],
          stampede_matching_pollers: [{ help: 'Long polls waiting for a task.', value: m.pollers }],
          stampede_matching_task_queues: [{ help: 'Task queues loaded.', value: m.queues }],
          stampede_visibility_records: [{ help: 'Runs in the visibility store.', value: visibility.size() }],
          stampede_process_resident_memory_bytes: [
            { help: 'Resident set size of the engine process.', value: mem.rss },
          ],
          stampede_process_heap_used_bytes: [{ help: 'V8 heap in use.', value: mem.heapUsed }],
        };
      },
    }).catch((err: unknown) => {
      server.forceShutdown();
      return abandon(bindError(o.host, metricsPort, err));
    });
    log(`metrics on http://${o.host}:${metrics.port}/metrics`);
  }

  let stopped = false;
  return {
    id,
    host: o.host,
    port,
    address: `${o.host}:${port}`,
    clock,
    metricsPort: metrics?.port,
    stats,
    sample,
    invoke,
    async stop() {
      if (stopped) return;
      stopped = true;
      // Each step has a deadline, whatever the store is doing: a store that went away (or came back with
      // connections the driver never finished opening) must not keep the engine from stopping.
      await withDeadline(
        new Promise<void>((resolve) => (metrics ? metrics.server.close(() => resolve()) : resolve())),
        1000,
      );
      metrics?.server.closeAllConnections();
      await new Promise<void>((resolve) => {
        server.tryShutdown(() => resolve());
        // Long polls would hold a graceful shutdown for up to a minute: cut them after a grace period.
        setTimeout(() => server.forceShutdown(), 2000).unref();
      });
      matching.stop();
      const drained = await withDeadline(history.stop(), STOP_DRAIN_MS);
      if (!drained) log(`stopping: work still in flight after ${STOP_DRAIN_MS} ms was abandoned`);
      const closed = await withDeadline(persistence.close(), STOP_CLOSE_MS);
      if (!closed) log(`stopping: the store's connections did not close within ${STOP_CLOSE_MS} ms`);
    },
  };
}
