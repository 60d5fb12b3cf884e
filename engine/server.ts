/**
 * The composition root: picks the store backend, starts the services over it, and serves them: the gRPC frontend
 * (WorkflowService and the admin surface) and, when asked, Prometheus `/metrics`. The only module that knows which
 * backend is in use.
 */
import { serverOptions } from './frontend/transport.js';
import { guardConnections } from './frontend/connection-guard.js';
import { randomUUID } from 'node:crypto';
import type { Server as HttpServer } from 'node:http';
import * as grpc from '@grpc/grpc-js';
import { ScaledClock, type Clock } from './clock.js';
import { addWorkflowService, inProcessCaller, type RpcObserver } from './frontend/frontend-server.js';
import type { Frontend } from './frontend/handler.js';
import { addAdminService } from './admin/admin-service.js';
import { addMemberService } from './cluster/member-service.js';
import { LocalHistoryClient } from './history/history-client.js';
import { engineMetrics } from './admin/metrics-catalogue.js';
import { engineSample, engineStats } from './admin/snapshots.js';
import type { EngineSample, EngineStats } from './admin/stats-types.js';
import { startMetricsServer } from './admin/prometheus.js';
import { whileThrottled } from './persistence/decorators.js';
import { openBackend } from './persistence/open-stores.js';
import type { Stores } from './persistence/store.js';
import {
  ENGINE_DEFAULTS,
  EngineOptionsError,
  transportOf,
  validateEngineOptions,
  type EngineOptions,
} from './options.js';
import { abandonServices, startServices, type EngineServices } from './services.js';
import { Scheduler } from './schedules/scheduler.js';

const ENGINE_VERSION = '0.1.0';

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

function openStores(o: EngineOptions): Promise<Stores> {
  if (o.stores) return Promise.resolve(o.stores);
  return (
    openBackend(o) ??
    Promise.reject(
      new EngineOptionsError([
        o.store === 'postgres'
          ? 'store postgres needs a connection URL (--postgres-url)'
          : 'store cassandra needs contact points or an Astra bundle',
      ]),
    )
  );
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

/** The gRPC server with the WorkflowService frontend and the admin surface on it (not yet bound). */
function grpcServer(s: EngineServices): { server: grpc.Server; invoke: Engine['invoke']; scheduler?: Scheduler } {
  const o = s.options;
  // The scheduler starts workflows through the frontend's own handlers (bound below, once `invoke` exists).
  let invoke: Engine['invoke'] = () => Promise.reject(new Error('the frontend is not ready'));
  const scheduler = s.persistence.schedules
    ? new Scheduler(
        s.persistence.schedules,
        s.clock,
        (method, request) => invoke(method, request),
        o.log ?? (() => undefined),
      )
    : undefined;
  const fe: Frontend = {
    ...(scheduler ? { schedules: scheduler } : {}),
    history: s.history,
    matching: s.matching,
    namespaces: s.namespaces,
    visibility: s.visibilityQueries,
    ...(s.cluster ? { router: s.cluster } : {}),
    durableVisibility: s.persistence.visibility,
    clock: s.clock,
    limits: { ...s.limits, counters: s.limitCounters },
    serverVersion: `stampede-${ENGINE_VERSION}`,
  };
  const server = new grpc.Server(serverOptions(transportOf(o), s.limits.maxMessageBytes));
  const rpcObserver: RpcObserver = {
    rpc: (method, code, latencyUs) =>
      s.rpcStats.record(method, grpc.status[code] ?? String(code), code === grpc.status.OK, latencyUs),
  };
  addWorkflowService(server, fe, rpcObserver, o.requestsPerTurn, o.log ? s.errors : undefined);
  addAdminService(
    server,
    () => Promise.resolve(engineStats(s)),
    () => engineSample(s),
    () =>
      s.cluster
        ? { clustered: true, self: s.cluster.self.hostId, numShards: o.numShards, members: [...s.cluster.live] }
        : {
            clustered: false,
            self: s.id,
            numShards: o.numShards,
            members: [{ hostId: s.id, address: `${o.host}:${o.port}`, sessionStartMs: s.startedAt }],
          },
  );
  if (s.cluster) addMemberService(server, s.cluster.ops());
  invoke = inProcessCaller(fe, rpcObserver);
  return { server, invoke, ...(scheduler ? { scheduler } : {}) };
}

/**
 * Takes what this engine runs once its port is bound: a cluster member joins (its share of the shards, the scheduler
 * if the ring gives it the schedules); a lone engine, which acquired every shard in startServices, starts the
 * scheduler.
 */
async function startOwnership(
  s: EngineServices,
  boundAddress: string,
  scheduler: Scheduler | undefined,
): Promise<void> {
  if (s.cluster) {
    s.cluster.self.address = s.options.advertiseAddress ?? boundAddress;
    await s.cluster.start({
      history: s.history,
      localHistory: new LocalHistoryClient(s.history),
      matching: s.matching,
      visibility: s.visibility,
      namespaces: s.namespaces,
      scheduler,
    });
  } else if (scheduler) {
    const namespaces = await whileThrottled(() => s.namespaces.list());
    await scheduler.start(namespaces.map((n) => n.id));
  }
}

export async function startEngine(options: Partial<EngineOptions> = {}): Promise<Engine> {
  const o: EngineOptions = { ...ENGINE_DEFAULTS, ...options };
  const problems = validateEngineOptions(o);
  if (problems.length > 0) throw new EngineOptionsError(problems);
  const id = `engine-${randomUUID().slice(0, 8)}`;
  const clock = o.clock ?? new ScaledClock(o.timeScale);
  const log = o.log ?? (() => undefined);

  const stores = await openStores(o);
  const services = await startServices(o, stores, clock, id, log);
  const { matching, history, persistence } = services;
  const { server, invoke, scheduler } = grpcServer(services);
  const port = await new Promise<number>((resolve, reject) => {
    server.bindAsync(`${o.host}:${o.port}`, grpc.ServerCredentials.createInsecure(), (err, p) =>
      err ? reject(err) : resolve(p),
    );
  }).catch((err: unknown) => abandonServices(services, bindError(o.host, o.port, err)));
  await startOwnership(services, `${o.host}:${port}`, scheduler).catch((err: unknown) => {
    server.forceShutdown();
    return abandonServices(services, err);
  });
  if (!guardConnections(server, transportOf(o), services.transportCounters))
    log(
      'transport: the listening servers of this grpc-js cannot be reached; no connection cap, handshake deadline or large-message gate',
    );
  log(
    `stampede engine ${id} serving on ${o.host}:${port} (store ${stores.backend}, ${o.numShards} shards${services.cluster ? `, cluster member ${services.cluster.self.address} of ${services.cluster.live.length}` : ''})`,
  );
  let metrics: { port: number; server: HttpServer } | undefined;
  if (o.metricsPort !== undefined) {
    const metricsPort = o.metricsPort;
    metrics = await startMetricsServer(o.host, metricsPort, engineMetrics(services)).catch((err: unknown) => {
      server.forceShutdown();
      return abandonServices(services, bindError(o.host, metricsPort, err));
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
    stats: () => Promise.resolve(engineStats(services)),
    sample: () => engineSample(services),
    invoke,
    async stop() {
      if (stopped) return;
      stopped = true;
      // A member leaves first (its row removed), so that the others take its shards without waiting out its TTL.
      await withDeadline(services.cluster?.stop() ?? Promise.resolve(), 2000);
      // Each step has a deadline, whatever the store is doing: a store that went away (or came back with
      // connections the driver never finished opening) must not keep the engine from stopping.
      await withDeadline(
        new Promise<void>((resolve) => (metrics ? metrics.server.close(() => resolve()) : resolve())),
        1000,
      );
      metrics?.server.closeAllConnections();
      await new Promise<void>((resolve) => {
        server.tryShutdown(() => resolve());
        // Long polls would hold a graceful shutdown for up to a minute: cut them after a grace period. (grpc-js may
        // not call tryShutdown's callback until the cut calls' handlers return, which a long poll does only at its
        // end: the stop goes on without waiting for it; matching.stop() below ends those polls.)
        setTimeout(() => {
          server.forceShutdown();
          resolve();
        }, 2000).unref();
      });
      scheduler?.stop();
      matching.stop();
      const drained = await withDeadline(history.stop(), STOP_DRAIN_MS);
      if (!drained) log(`stopping: work still in flight after ${STOP_DRAIN_MS} ms was abandoned`);
      services.errors.stop();
      const closed = await withDeadline(persistence.close(), STOP_CLOSE_MS);
      if (!closed) log(`stopping: the store's connections did not close within ${STOP_CLOSE_MS} ms`);
    },
  };
}
