/**
 * The composition root: picks the store backend, wires persistence, history, matching, visibility and the
 * gRPC frontend, and starts serving. The only module that knows which backend is in use.
 */
import { randomUUID } from 'node:crypto';
import * as grpc from '@grpc/grpc-js';
import { ScaledClock, type Clock } from './clock.js';
import { addWorkflowService } from './api/frontend-server.js';
import type { Frontend } from './api/handler.js';
import { NamespaceRegistry } from './api/namespaces.js';
import { addAdminService } from './admin/admin-service.js';
import type { EngineStats } from './admin/stats-types.js';
import { HistoryService } from './history/history-service.js';
import { MatchingService } from './matching/matching-service.js';
import { createPersistence, type Persistence } from './persistence/manager.js';
import { createMemoryStores } from './persistence/memory/index.js';
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
  stats(): Promise<EngineStats>;
  stop(): Promise<void>;
}

function openStores(o: EngineOptions): Promise<Stores> {
  if (o.store === 'memory') return Promise.resolve(createMemoryStores());
  return Promise.reject(new EngineOptionsError([`store ${o.store} is not available in this build`]));
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
  const persistence: Persistence = createPersistence(stores);
  const visibility = new VisibilityStore();
  const matching = new MatchingService(persistence.tasks, {
    maxBufferedTasks: 1000,
    ackIntervalMs: 10_000,
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
      transferAckIntervalMs: 30_000,
      timerAckIntervalMs: 30_000,
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
  await namespaces.ensure('default', o.defaultRetentionMs);
  await history.start();

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
  });
  addWorkflowService(server, fe, {
    rpc: (method, code, latencyUs) =>
      rpcStats.record(method, grpc.status[code] ?? String(code), code === grpc.status.OK, latencyUs),
  });
  const stats = (): Promise<EngineStats> => {
    const mem = process.memoryUsage();
    const cpu = process.cpuUsage();
    return Promise.resolve({
      version: 1,
      engineId: id,
      store: stores.backend,
      numShards: o.numShards,
      shardIOConcurrency: o.shardIOConcurrency,
      timeScale: clock.timeScale,
      uptimeMs: Date.now() - startedAt,
      rpc: rpcStats.snapshot(),
      history: history.stats(),
      matching: matching.stats(),
      visibilityRecords: visibility.size(),
      persistence: {},
      process: { rssBytes: mem.rss, heapUsedBytes: mem.heapUsed, cpuUserUs: cpu.user, cpuSystemUs: cpu.system },
    });
  };
  addAdminService(server, stats);

  const port = await new Promise<number>((resolve, reject) => {
    server.bindAsync(`${o.host}:${o.port}`, grpc.ServerCredentials.createInsecure(), (err, p) =>
      err ? reject(err) : resolve(p),
    );
  });
  log(`stampede engine ${id} serving on ${o.host}:${port} (store ${stores.backend}, ${o.numShards} shards)`);

  let stopped = false;
  return {
    id,
    host: o.host,
    port,
    address: `${o.host}:${port}`,
    clock,
    stats,
    async stop() {
      if (stopped) return;
      stopped = true;
      await new Promise<void>((resolve) => {
        server.tryShutdown(() => resolve());
        // Long polls would hold a graceful shutdown for up to a minute: cut them after a grace period.
        setTimeout(() => server.forceShutdown(), 2000).unref();
      });
      matching.stop();
      await history.stop();
      await persistence.close();
    },
  };
}
