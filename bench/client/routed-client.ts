/**
 * A WorkflowService client over a list of engine members (`--target a:7233,b:7233`). Every call about one workflow
 * goes to one member, so its start, signals and task completions meet wherever the engine keeps it:
 * - `spread` (default): the member picked by a hash of the workflow id over the given targets. Load spreads evenly
 *   over the list; a cluster forwards what the member does not own to the owner (one hop), and independent engines
 *   each keep the workflows hashed to them.
 * - `owner`: the member owning the workflow's shard, from the engine's advertised ring (admin DescribeCluster),
 *   re-read every few seconds and at once when a member answers UNAVAILABLE. Members the ring names but the list did
 *   not are dialled too. No forward hop; a real Temporal frontend does not advertise its ring, so it is refused.
 * Calls about no single workflow (lists, counts, namespaces) take the targets in turn; polls are pinned to a member
 * by the caller (`pinned`), so that every member's queues are polled.
 */
import { EngineAdminClient } from './admin-client.js';
import { OwnerMap } from './owner-map.js';
import { workflowIdOf } from './route-key.js';
import {
  grpc,
  isServiceError,
  WorkflowServiceClient,
  type CallOptions,
  type ClientOptions,
  type Methods,
  type WorkflowCaller,
} from './workflow-service.js';
import { shardFor, type ClusterView } from '../../engine/index.js';

export const ROUTINGS = ['spread', 'owner'] as const;
export type Routing = (typeof ROUTINGS)[number];

/** How often `owner` routing re-reads the ring when nothing failed. */
export const RING_REFRESH_MS = 5_000;
const DESCRIBE_TIMEOUT_MS = 5_000;

export interface RoutedClientOptions extends ClientOptions {
  routing: Routing;
  /** The namespace whose id places workflows on shards (`owner` routing). */
  namespace: string;
}

/** The target a workflow id spreads to: the same hash the engine places workflows with, over the list. */
export function spreadTarget(workflowId: string, targets: readonly string[]): string {
  const t = targets[shardFor('', workflowId, targets.length) - 1];
  if (t === undefined) throw new Error('no targets to spread over');
  return t;
}

export class RoutedClient implements WorkflowCaller {
  private readonly members = new Map<string, WorkflowServiceClient>();
  private readonly admins = new Map<string, EngineAdminClient>();
  private turn = 0;
  private owners: OwnerMap | undefined;
  private namespaceId: string | undefined;
  private refreshing: Promise<void> | undefined;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    readonly targets: readonly string[],
    private readonly options: RoutedClientOptions,
  ) {
    if (targets.length === 0) throw new Error('a routed client needs at least one target');
  }

  get routing(): Routing {
    return this.options.routing;
  }

  /** The ring `owner` routing follows (undefined before `start`, or with `spread`). */
  get ring(): ClusterView | undefined {
    return this.owners?.view;
  }

  private member(address: string): WorkflowServiceClient {
    let c = this.members.get(address);
    if (!c) {
      c = new WorkflowServiceClient(address, this.options);
      this.members.set(address, c);
    }
    return c;
  }

  /** The client of target `i` (modulo the list): a poll loop stays on one member. */
  pinned(i: number): WorkflowServiceClient {
    return this.member(this.targets[i % this.targets.length] ?? '');
  }

  /** One client per target. */
  get all(): WorkflowServiceClient[] {
    return this.targets.map((t) => this.member(t));
  }

  /** The member a call goes to. */
  addressFor(request: unknown, routeKey?: string): string {
    const key = routeKey ?? workflowIdOf(request);
    if (key === undefined) return this.targets[this.turn++ % this.targets.length] ?? '';
    if (this.options.routing === 'owner') {
      const owner = this.owners?.addressFor(key);
      if (owner !== undefined) return owner;
    }
    return spreadTarget(key, this.targets);
  }

  call<M extends keyof Methods>(method: M, request: Methods[M][0], options: CallOptions = {}): Promise<Methods[M][1]> {
    if ((options.routeKey ?? workflowIdOf(request)) === undefined) return this.anyMember(method, request, options);
    const p = this.member(this.addressFor(request, options.routeKey)).call(method, request, options);
    if (this.options.routing !== 'owner') return p;
    return p.catch((err: unknown) => {
      // A member gone (or going): its shards are moving, so the next call should follow the new ring.
      if (isServiceError(err) && err.code === grpc.status.UNAVAILABLE) void this.refresh().catch(() => undefined);
      throw err;
    });
  }

  /**
   * A call about no single workflow (a list, a count, a namespace): the targets in turn, and the next one when a member
   * cannot be reached (a member killed mid-run must not fail the run's read-back; the call never reached it).
   */
  private async anyMember<M extends keyof Methods>(
    method: M,
    request: Methods[M][0],
    options: CallOptions,
  ): Promise<Methods[M][1]> {
    const first = this.turn++;
    for (let i = 0; ; i++) {
      const address = this.targets[(first + i) % this.targets.length] ?? '';
      try {
        return await this.member(address).call(method, request, options);
      } catch (err) {
        if (i + 1 >= this.targets.length || !unreachable(err)) throw err;
      }
    }
  }

  /** `owner`: reads the ring once (failing if no target advertises one) and keeps it fresh. */
  async start(): Promise<void> {
    if (this.options.routing !== 'owner') return;
    await this.refresh();
    this.timer = setInterval(() => void this.refresh().catch(() => undefined), RING_REFRESH_MS);
    this.timer.unref();
  }

  /** Re-reads the ring from the first target that answers (concurrent callers share one read). */
  refresh(): Promise<void> {
    this.refreshing ??= this.readRing().finally(() => (this.refreshing = undefined));
    return this.refreshing;
  }

  private async readRing(): Promise<void> {
    const failures: string[] = [];
    for (const address of this.targets) {
      try {
        this.namespaceId ??= await this.readNamespaceId(address);
        let admin = this.admins.get(address);
        if (!admin) {
          admin = new EngineAdminClient(address);
          this.admins.set(address, admin);
        }
        const view = await admin.describeCluster(DESCRIBE_TIMEOUT_MS);
        this.owners = new OwnerMap(view, this.namespaceId);
        return;
      } catch (err) {
        failures.push(`${address}: ${err instanceof Error ? err.message : String(err)}`);
      }
    }
    throw new Error(`no target advertises its ring (admin DescribeCluster): ${failures.join('; ')}`);
  }

  private async readNamespaceId(address: string): Promise<string> {
    const ns = await this.member(address).call(
      'DescribeNamespace',
      { namespace: this.options.namespace },
      { timeoutMs: DESCRIBE_TIMEOUT_MS },
    );
    const id = ns.namespaceInfo?.id;
    if (!id) throw new Error(`namespace ${this.options.namespace} has no id`);
    return id;
  }

  /** Resolves once every target's channel is connected (rejects naming the first that is not). */
  async waitForReady(timeoutMs: number): Promise<void> {
    await Promise.all(
      this.targets.map((t) =>
        this.member(t)
          .waitForReady(timeoutMs)
          .catch((err: unknown) => {
            throw new Error(`${t}: ${err instanceof Error ? err.message : String(err)}`);
          }),
      ),
    );
  }

  close(): void {
    if (this.timer) clearInterval(this.timer);
    for (const c of this.members.values()) c.close();
    for (const a of this.admins.values()) a.close();
  }
}

/** The call never reached an engine: no connection to the member (refused, or dropped before a reply). */
function unreachable(err: unknown): boolean {
  return (
    isServiceError(err) &&
    err.code === grpc.status.UNAVAILABLE &&
    /No connection established|ECONNREFUSED|Connection dropped|connect EHOSTUNREACH/i.test(err.details)
  );
}
