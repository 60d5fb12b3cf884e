/**
 * One member of an engine cluster: several engine processes over one store, each owning a share of the history
 * shards and task queues (rendezvous over the live members, ring.ts), each accepting any request and sending it to
 * the owner. The pieces: membership through the store (membership.ts); a reconcile loop that lets go of what the
 * member no longer owns before taking what it now owns (acquisition stays fenced by the shard's range id); routing
 * of frontend requests (routes.ts), of history calls between shards and of tasks to their queue's owner over the
 * member service (member-service.ts); List/Count gathered from every member; the scheduler on one member.
 */
import type * as grpc from '@grpc/grpc-js';
import { NotOwnerError, UnavailableError } from '../errors.js';
import { ShardOwnershipLostError } from '../persistence/errors.js';
import { ForwardedStatusError, NOT_OWNER_HEADER } from '../frontend/status.js';
import type { CallContext, RequestRouter } from '../frontend/handler.js';
import type { NamespaceRegistry } from '../frontend/namespace-registry.js';
import {
  OPERATOR_SERVICE,
  operatorServiceDefinition,
  workflowServiceDefinition,
} from '../frontend/service-definition.js';
import type { HistoryClient } from '../history/history-client.js';
import type { HistoryService } from '../history/history-service.js';
import type { MatchingClient } from '../history/context.js';
import type { MatchingService } from '../matching/matching-service.js';
import type { Scheduler } from '../schedules/scheduler.js';
import { RpcStats } from '../stats.js';
import { shardFor } from '../util/hash.js';
import {
  countOfGathered,
  pageOfGathered,
  type QueryScope,
  type VisibilityQueries,
  type VisibilityRecord,
  type VisibilityStore,
} from '../visibility/visibility-store.js';
import { MemberClient, type MemberOps } from './member-service.js';
import { Membership, type Member } from './membership.js';
import type { MembershipStore } from '../persistence/store.js';
import { ownerOf, shardOwner, shardsOf, taskQueueOwner } from './ring.js';
import { NAMESPACE_CHANGES, routeOf, type Route } from './routes.js';

export interface ClusterOptions {
  self: Member;
  numShards: number;
  heartbeatMs: number;
  ttlMs: number;
}

/** The services of this member that the others reach through the member service. */
export interface LocalServices {
  history: HistoryService;
  localHistory: HistoryClient;
  matching: MatchingService;
  visibility: VisibilityStore;
  namespaces: NamespaceRegistry;
  scheduler: Scheduler | undefined;
}

export interface ClusterStats {
  members: number;
  shardsOwned: number;
  forwarded: { frontend: number; history: number; matching: number; visibility: number };
  /** Calls retried because what they were about was moving between members. */
  rerouted: number;
  shardsAcquired: number;
  shardsReleased: number;
  /** Time from a change of the live set to owning every shard the new set gives this member (last change). */
  lastReconcileMs: number | undefined;
  /** Latency of calls sent to other members, per kind (frontend method, history or matching operation). */
  forwardLatency: ReturnType<RpcStats['snapshot']>;
}

/** How long a call about something in motion between members keeps trying its new owner. */
const REROUTE_BUDGET_MS = 30_000;
/** Deadline of a member-to-member call with no caller deadline (a history task's cross-shard call). */
const INTERNAL_DEADLINE_MS = 30_000;
/** How long List/Count wait for every shard's records to be held by some member (shards in motion). */
const GATHER_BUDGET_MS = 10_000;
/** One member's answer to a gathered List/Count. */
interface VisibilityPart {
  shards: number[];
  records: VisibilityRecord[];
}
/** A newcomer waits this many heartbeats before taking shards, so that their owners have let them go. */
const JOIN_GRACE_HEARTBEATS = 2;

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms).unref());

/** A gRPC status error as grpc-js reports one (a forwarded call's failure). */
function isStatusError(err: unknown): err is grpc.ServiceError {
  return err instanceof Error && typeof (err as Partial<grpc.ServiceError>).code === 'number';
}

export class EngineCluster implements RequestRouter {
  readonly membership: Membership;
  private local: LocalServices | undefined;
  private members: readonly Member[];
  private ids: string[];
  private readonly clients = new Map<string, MemberClient>();
  private reconciling: Promise<void> = Promise.resolve();
  private readonly forwardStats = new RpcStats();
  private readonly forwarded = { frontend: 0, history: 0, matching: 0, visibility: 0 };
  private rerouted = 0;
  private lastReconcileMs: number | undefined;
  private schedulerRunning = false;
  private namespaceTimer: NodeJS.Timeout | undefined;
  private reconcileTimer: NodeJS.Timeout | undefined;
  private reconcileQueued = false;
  private stopped = false;

  constructor(
    store: MembershipStore,
    private readonly opts: ClusterOptions,
    private readonly log: (line: string) => void,
  ) {
    this.members = [opts.self];
    this.ids = [opts.self.hostId];
    this.membership = new Membership(
      store,
      opts.self,
      { heartbeatMs: opts.heartbeatMs, ttlMs: opts.ttlMs },
      (members) => this.onMembers(members),
      log,
    );
  }

  get self(): Member {
    return this.opts.self;
  }

  get live(): readonly Member[] {
    return this.members;
  }

  /** Joins: writes this member's row, reads the others', and takes this member's share of the shards. */
  async start(local: LocalServices): Promise<void> {
    this.local = local;
    local.matching.ownQueues((k) => taskQueueOwner(k.namespaceId, k.name, k.type, this.ids) === this.opts.self.hostId);
    await this.membership.join();
    const others = this.members.length > 1;
    // The first view: a member that finds others waits for them to see it and let its share go.
    if (others) await sleep(this.opts.heartbeatMs * JOIN_GRACE_HEARTBEATS);
    this.onMembers(this.membership.live);
    await this.reconciling;
    // Every heartbeat, not only on a change: a shard whose acquisition failed (its previous owner still held it, the
    // store refused) is tried again, and one lost to another engine outside the ring's say is taken back.
    this.reconcileTimer = setInterval(() => {
      if (!this.reconcileQueued) {
        this.reconcileQueued = true;
        this.reconciling = this.reconciling.then(() => {
          this.reconcileQueued = false;
          return this.reconcile(Date.now(), false);
        });
      }
    }, this.opts.heartbeatMs).unref();
    // Namespaces and search attributes another member registered: re-read as Temporal's namespace cache does.
    this.namespaceTimer = setInterval(() => {
      void local.namespaces.refresh().catch(() => undefined);
    }, 10_000).unref();
  }

  private onMembers(members: readonly Member[]): void {
    const before = new Set(this.ids);
    this.members = members;
    this.ids = members.map((m) => m.hostId);
    const joined = members.filter((m) => !before.has(m.hostId)).map((m) => m.address);
    const left = [...before].filter((id) => !this.ids.includes(id));
    if (joined.length + left.length > 0 && this.local)
      this.log(
        `cluster: ${members.length} members${joined.length ? `, joined ${joined.join(', ')}` : ''}${left.length ? `, left ${left.length}` : ''}`,
      );
    for (const id of left) {
      this.clients.get(id)?.close();
      this.clients.delete(id);
    }
    if (!this.local) return;
    const changedAt = Date.now();
    this.reconciling = this.reconciling.then(() => this.reconcile(changedAt));
  }

  /** Lets go of what this member no longer owns, then takes what it owns now. */
  private async reconcile(changedAt: number, viewChanged = true): Promise<void> {
    const local = this.local;
    if (!local || this.stopped) return;
    const ids = this.ids;
    const self = this.opts.self.hostId;
    const want = new Set(shardsOf(self, ids, this.opts.numShards));
    const have = local.history.ownedShardIds();
    await Promise.all(have.filter((id) => !want.has(id)).map((id) => local.history.releaseShard(id)));
    local.matching.dropWhere((k) => taskQueueOwner(k.namespaceId, k.name, k.type, ids) !== self);
    await this.reconcileScheduler(ids);
    const missing = [...want].filter((id) => !have.includes(id));
    // A few at a time: each acquisition is a read and a conditional write, and loads the shard's queues.
    for (let i = 0; i < missing.length && !this.stopped; i += 8) {
      await Promise.all(
        missing.slice(i, i + 8).map((id) =>
          local.history.acquireShard(id).catch((err: unknown) => {
            this.log(`cluster: shard ${id}: acquisition failed (${String(err)}); retried at the next change`);
          }),
        ),
      );
    }
    if (missing.length > 0 && viewChanged) this.lastReconcileMs = Date.now() - changedAt;
    if (viewChanged || missing.length > 0)
      this.log(`cluster: owns ${local.history.ownedShardIds().length} of ${this.opts.numShards} shards`);
  }

  private async reconcileScheduler(ids: string[]): Promise<void> {
    const scheduler = this.local?.scheduler;
    if (!scheduler || !this.local) return;
    const lead = ownerOf('schedules', ids) === this.opts.self.hostId;
    if (lead && !this.schedulerRunning) {
      this.schedulerRunning = true;
      const namespaces = await this.local.namespaces.list();
      await scheduler.start(namespaces.map((n) => n.id));
    } else if (!lead && this.schedulerRunning) {
      this.schedulerRunning = false;
      scheduler.suspend();
    }
  }

  private client(m: Member): MemberClient {
    let c = this.clients.get(m.hostId);
    if (!c) {
      c = new MemberClient(m.address);
      this.clients.set(m.hostId, c);
    }
    return c;
  }

  private member(hostId: string | undefined): Member {
    const m = this.members.find((x) => x.hostId === hostId);
    if (!m) throw new UnavailableError('the cluster has no live members');
    return m;
  }

  ownerOfShard(shardId: number): Member {
    return this.member(shardOwner(shardId, this.ids));
  }

  ownerOfWorkflow(namespaceId: string, workflowId: string): Member {
    return this.ownerOfShard(shardFor(namespaceId, workflowId, this.opts.numShards));
  }

  ownerOfQueue(namespaceId: string, name: string, type: 'workflow' | 'activity'): Member {
    return this.member(taskQueueOwner(namespaceId, name, type, this.ids));
  }

  private isSelf(m: Member): boolean {
    return m.hostId === this.opts.self.hostId;
  }

  /**
   * Runs `fn` against the current owner, again with the new owner while what it is about moves between members (the
   * old owner answers NotOwner, or is gone from the live set), within a budget.
   */
  private async withOwner<T>(owner: () => Member, fn: (m: Member) => Promise<T>, deadlineMs?: number): Promise<T> {
    const until = Math.min(deadlineMs ?? Infinity, Date.now() + REROUTE_BUDGET_MS);
    for (let attempt = 1; ; attempt++) {
      const m = owner();
      try {
        return await fn(m);
      } catch (err) {
        const moving =
          err instanceof NotOwnerError ||
          err instanceof ShardOwnershipLostError ||
          (isStatusError(err) && err.metadata?.get(NOT_OWNER_HEADER).length > 0) ||
          // The member went away: the live set drops it within the membership TTL, and its work moves.
          ((err instanceof UnavailableError || (isStatusError(err) && err.code === 14)) && !this.isLive(m));
        const unreachable =
          (err instanceof UnavailableError && /unreachable/.test(err.message)) ||
          (isStatusError(err) && err.code === 14 && !err.metadata?.get('grpc-status-details-bin').length);
        if (!(moving || (unreachable && !this.isSelf(m))) || Date.now() + 100 >= until) throw err;
        this.rerouted += 1;
        await sleep(Math.min(50 * 2 ** (attempt - 1), 1000));
      }
    }
  }

  private isLive(m: Member): boolean {
    return this.ids.includes(m.hostId);
  }

  private timed<T>(kind: string, p: Promise<T>): Promise<T> {
    const started = performance.now();
    const done = (ok: boolean): void =>
      this.forwardStats.record(kind, ok ? 'OK' : 'ERROR', ok, Math.round((performance.now() - started) * 1000));
    return p.then(
      (v) => {
        done(true);
        return v;
      },
      (err: unknown) => {
        done(false);
        throw err;
      },
    );
  }

  /** A member operation, here or on `m`. */
  private run<T>(m: Member, op: string, args: unknown[], local: () => Promise<T>, deadlineMs?: number): Promise<T> {
    if (this.isSelf(m)) return local();
    const kind = op.slice(0, op.indexOf('.'));
    if (kind === 'history' || kind === 'matching' || kind === 'visibility') this.forwarded[kind] += 1;
    return this.timed(op, this.client(m).call(op, args, deadlineMs ?? Date.now() + INTERNAL_DEADLINE_MS) as Promise<T>);
  }

  // ---- frontend routing ----------------------------------------------------------------------------------

  async dispatch(
    service: string,
    method: string,
    request: object,
    call: CallContext,
    forwarded: boolean,
    local: () => Promise<object>,
  ): Promise<object> {
    const route = routeOf(method, request);
    if (!route) {
      const response = await local();
      if (NAMESPACE_CHANGES.has(method)) await this.broadcastNamespaceChange();
      return response;
    }
    const owner = await this.ownerOf(route);
    if (forwarded) {
      // Sent here as the owner: if that is no longer so, the sender tries the new owner.
      if (!this.isSelf(owner())) throw new NotOwnerError(`${describe(route)} is owned by another member now`);
      return local();
    }
    const def = (service === OPERATOR_SERVICE ? operatorServiceDefinition : workflowServiceDefinition)[method];
    if (!def) return local();
    const deadlineMs = call.deadlineMs ?? Date.now() + 60_000;
    return this.withOwner(
      owner,
      async (m) => {
        if (this.isSelf(m)) return local();
        this.forwarded.frontend += 1;
        return this.timed(
          method,
          this.client(m).forward(def as grpc.MethodDefinition<object, object>, request, deadlineMs, (cancel) =>
            call.onCancel(cancel),
          ),
        );
      },
      deadlineMs,
    ).catch((err: unknown) => {
      // The owner's answer (withOwner retried only "not the owner" and unreachable members): passed on as it came.
      throw isStatusError(err) ? new ForwardedStatusError(err) : err;
    });
  }

  private async ownerOf(route: Route): Promise<() => Member> {
    if (route.kind === 'schedules') return () => this.member(ownerOf('schedules', this.ids));
    const local = this.local;
    if (!local) throw new UnavailableError('this member has not joined its cluster yet');
    const namespaceId =
      route.kind === 'workflow' && route.namespaceId
        ? route.namespaceId
        : (await local.namespaces.byNameOrThrow(route.namespace)).id;
    if (route.kind === 'workflow') return () => this.ownerOfWorkflow(namespaceId, route.workflowId);
    return () => this.ownerOfQueue(namespaceId, route.name, route.type);
  }

  private async broadcastNamespaceChange(): Promise<void> {
    await Promise.all(
      this.members
        .filter((m) => !this.isSelf(m))
        .map((m) =>
          this.client(m)
            .call('namespaces.refresh', [], Date.now() + 5000)
            .catch((err: unknown) => this.log(`cluster: ${m.address} did not re-read namespaces: ${String(err)}`)),
        ),
    );
  }

  // ---- history and matching clients ------------------------------------------------------------------------

  /** The history client of this member: each call runs on the owner of the shard it is about. */
  historyClient(local: HistoryClient): HistoryClient {
    const on =
      <A extends unknown[], R>(
        op: keyof HistoryClient,
        fn: (...args: A) => Promise<R>,
        key: (args: NoInfer<A>) => { namespaceId: string; workflowId: string },
      ) =>
      (...args: A): Promise<R> => {
        const { namespaceId, workflowId } = key(args);
        return this.withOwner(
          () => this.ownerOfWorkflow(namespaceId, workflowId),
          (m) => this.run(m, `history.${op}`, args, () => fn(...args)),
        );
      };
    return {
      startWorkflow: on(
        'startWorkflow',
        (p) => local.startWorkflow(p),
        ([p]) => ({
          namespaceId: p.namespace.id,
          workflowId: p.workflowId,
        }),
      ),
      scheduleFirstWorkflowTask: on(
        'scheduleFirstWorkflowTask',
        (k) => local.scheduleFirstWorkflowTask(k),
        ([k]) => k,
      ),
      recordChildExecutionCompleted: on(
        'recordChildExecutionCompleted',
        (r) => local.recordChildExecutionCompleted(r),
        ([r]) => ({ namespaceId: r.parent.namespaceId, workflowId: r.parent.workflowId }),
      ),
      signalWorkflow: on(
        'signalWorkflow',
        (p) => local.signalWorkflow(p),
        ([p]) => p,
      ),
      removeSignalMutableState: on(
        'removeSignalMutableState',
        (k, id: string) => local.removeSignalMutableState(k, id),
        ([k]) => k,
      ),
      requestCancelWorkflow: on(
        'requestCancelWorkflow',
        (p) => local.requestCancelWorkflow(p),
        ([p]) => p,
      ),
      terminateWorkflow: on(
        'terminateWorkflow',
        (p) => local.terminateWorkflow(p),
        ([p]) => p,
      ),
      recordWorkflowTaskStarted: on(
        'recordWorkflowTaskStarted',
        (t, poll) => local.recordWorkflowTaskStarted(t, poll),
        ([t]) => t,
      ),
      recordActivityTaskStarted: on(
        'recordActivityTaskStarted',
        (t, poll) => local.recordActivityTaskStarted(t, poll),
        ([t]) => t,
      ),
    };
  }

  /** The matching client history uses: each task goes to the member that owns its queue. */
  matchingClient(local: MatchingService): MatchingClient {
    return {
      addTask: (namespaceId, taskQueue, type, kind, task) =>
        this.withOwner(
          () => this.ownerOfQueue(namespaceId, taskQueue, type),
          (m) =>
            this.run(m, 'matching.addTask', [namespaceId, taskQueue, type, kind, task], () =>
              this.ownedQueue(namespaceId, taskQueue, type, () =>
                local.addTask(namespaceId, taskQueue, type, kind, task),
              ),
            ),
        ),
      offerQueryTask: (namespaceId, taskQueue, kind, task, timeoutMs) =>
        this.withOwner(
          () => this.ownerOfQueue(namespaceId, taskQueue, 'workflow'),
          (m) =>
            this.run(
              m,
              'matching.offerQueryTask',
              [namespaceId, taskQueue, kind, task, timeoutMs],
              () =>
                this.ownedQueue(namespaceId, taskQueue, 'workflow', () =>
                  local.offerQueryTask(namespaceId, taskQueue, kind, task, timeoutMs),
                ),
              Date.now() + timeoutMs + 5000,
            ),
        ),
    };
  }

  /** Runs `fn` on a queue this member owns by the current view; else NotOwner, for the caller to try the owner. */
  private ownedQueue<T>(
    namespaceId: string,
    name: string,
    type: 'workflow' | 'activity',
    fn: () => Promise<T>,
  ): Promise<T> {
    if (!this.isSelf(this.ownerOfQueue(namespaceId, name, type)))
      return Promise.reject(new NotOwnerError(`task queue ${name} (${type}) is owned by another member now`));
    return fn();
  }

  // ---- visibility ------------------------------------------------------------------------------------------

  /** List and Count over every member's index (each holds the records of the shards it owns). */
  visibility(local: VisibilityStore): VisibilityQueries {
    const gather = async (namespaceId: string, query: string, scope: QueryScope): Promise<VisibilityRecord[]> => {
      const until = Date.now() + GATHER_BUDGET_MS;
      for (;;) {
        const parts = await Promise.all(
          this.members.map((m) =>
            this.run<VisibilityPart>(m, 'visibility.select', [namespaceId, query, scope], () =>
              Promise.resolve(this.localPart(local, namespaceId, query, scope)),
            ).catch((err: unknown): VisibilityPart => {
              this.log(`cluster: visibility from ${m.address} failed: ${String(err)}`);
              return { shards: [], records: [] };
            }),
          ),
        );
        const covered = new Set(parts.flatMap((p) => p.shards));
        if (covered.size === this.opts.numShards) return parts.flatMap((p) => p.records);
        // A shard between owners (or one whose new owner is still reading its records back): ask again shortly.
        if (Date.now() > until)
          throw new UnavailableError(
            `visibility is incomplete: ${this.opts.numShards - covered.size} of ${this.opts.numShards} shards are moving between members`,
          );
        await sleep(200);
      }
    };
    return {
      list: async (namespaceId, query, scope, pageSize, offset) =>
        pageOfGathered(await gather(namespaceId, query, scope), query, scope, pageSize, offset),
      count: async (namespaceId, query, scope) =>
        countOfGathered(await gather(namespaceId, query, scope), query, scope),
    };
  }

  /** This member's records for a query, with the shards they are complete for (records of other shards left out). */
  private localPart(local: VisibilityStore, namespaceId: string, query: string, scope: QueryScope): VisibilityPart {
    const shards = this.local?.history.visibilityShards() ?? [];
    const held = new Set(shards);
    const n = this.opts.numShards;
    const records = local
      .select(namespaceId, query, scope)
      .filter((r) => held.has(shardFor(r.namespaceId, r.workflowId, n)));
    return { shards, records };
  }

  // ---- what this member serves to the others -----------------------------------------------------------------

  ops(): MemberOps {
    const local = (): LocalServices => {
      if (!this.local) throw new UnavailableError('this member has not joined its cluster yet');
      return this.local;
    };
    const h = (): HistoryClient => local().localHistory;
    const m = (): MatchingService => local().matching;
    return {
      'history.startWorkflow': (p: Parameters<HistoryClient['startWorkflow']>[0]) => h().startWorkflow(p),
      'history.scheduleFirstWorkflowTask': (k: Parameters<HistoryClient['scheduleFirstWorkflowTask']>[0]) =>
        h().scheduleFirstWorkflowTask(k),
      'history.recordChildExecutionCompleted': (r: Parameters<HistoryClient['recordChildExecutionCompleted']>[0]) =>
        h().recordChildExecutionCompleted(r),
      'history.signalWorkflow': (p: Parameters<HistoryClient['signalWorkflow']>[0]) => h().signalWorkflow(p),
      'history.removeSignalMutableState': (k: Parameters<HistoryClient['removeSignalMutableState']>[0], id: string) =>
        h().removeSignalMutableState(k, id),
      'history.requestCancelWorkflow': (p: Parameters<HistoryClient['requestCancelWorkflow']>[0]) =>
        h().requestCancelWorkflow(p),
      'history.terminateWorkflow': (p: Parameters<HistoryClient['terminateWorkflow']>[0]) => h().terminateWorkflow(p),
      'history.recordWorkflowTaskStarted': (...a: Parameters<HistoryClient['recordWorkflowTaskStarted']>) =>
        h().recordWorkflowTaskStarted(...a),
      'history.recordActivityTaskStarted': (...a: Parameters<HistoryClient['recordActivityTaskStarted']>) =>
        h().recordActivityTaskStarted(...a),
      'matching.addTask': (...a: Parameters<MatchingClient['addTask']>) =>
        this.ownedQueue(a[0], a[1], a[2], () => m().addTask(...a)),
      'matching.offerQueryTask': (...a: Parameters<MatchingClient['offerQueryTask']>) =>
        this.ownedQueue(a[0], a[1], 'workflow', () => m().offerQueryTask(...a)),
      'visibility.select': (namespaceId: string, query: string, scope: QueryScope) =>
        Promise.resolve(this.localPart(local().visibility, namespaceId, query, scope)),
      'namespaces.refresh': () => local().namespaces.refresh(),
    };
  }

  stats(): ClusterStats {
    const h = this.local?.history.stats();
    return {
      members: this.members.length,
      shardsOwned: h?.shardsOwned ?? 0,
      forwarded: { ...this.forwarded },
      rerouted: this.rerouted,
      shardsAcquired: h?.shardsAcquired ?? 0,
      shardsReleased: h?.shardsReleased ?? 0,
      lastReconcileMs: this.lastReconcileMs,
      forwardLatency: this.forwardStats.snapshot(),
    };
  }

  /** Histograms of the calls sent to other members, by operation (for /metrics). */
  forwardEntries(): ReturnType<RpcStats['entries']> {
    return this.forwardStats.entries();
  }

  /** Leaves the cluster (its row removed, so that the others take its shards at once); the shards stop with history. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.namespaceTimer);
    clearInterval(this.reconcileTimer);
    await this.membership.leave().catch((err: unknown) => this.log(`cluster: leaving failed: ${String(err)}`));
    for (const c of this.clients.values()) c.close();
    this.clients.clear();
  }
}

function describe(route: Route): string {
  if (route.kind === 'workflow') return `workflow ${route.workflowId}`;
  if (route.kind === 'queue') return `task queue ${route.name}`;
  return 'the scheduler';
}
