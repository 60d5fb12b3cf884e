/**
 * Membership through the store, as Temporal's cluster_membership table: each member writes its row (host id, RPC
 * address, role, session start, last heartbeat) with a TTL and refreshes it every heartbeat; the live set is the rows
 * whose heartbeat is recent. No consensus of our own: the store is the one place members agree on, and shard
 * ownership stays fenced by the shard's range id whatever two members briefly believe.
 */
import { memberEndpoint } from '../persistence/manager.js';
import type { MemberRow, MembershipStore } from '../persistence/store.js';

/** Temporal's role numbers (persistence.ServiceType); a stampede engine member is all services in one, listed as history. */
export const HISTORY_ROLE = 2;

export interface Member {
  hostId: string;
  /** host:port of its gRPC port (frontend and the member service). */
  address: string;
  sessionStartMs: number;
}

export interface MembershipOptions {
  heartbeatMs: number;
  /** A member whose heartbeat is older than this is gone (its row also expires after it). */
  ttlMs: number;
}

function rowOf(m: Member, nowMs: number): MemberRow {
  const i = m.address.lastIndexOf(':');
  return {
    hostId: m.hostId,
    rpcAddress: m.address.slice(0, i).replace(/^\[|\]$/g, ''),
    rpcPort: Number(m.address.slice(i + 1)),
    role: HISTORY_ROLE,
    sessionStartMs: m.sessionStartMs,
    lastHeartbeatMs: nowMs,
  };
}

function memberOf(r: MemberRow): Member {
  return { hostId: r.hostId, address: memberEndpoint(r), sessionStartMs: r.sessionStartMs };
}

/** The live members, sorted by host id, with this one in it (it is alive whatever the store last said). */
export class Membership {
  private members: Member[];
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;
  private ticking: Promise<void> | undefined;

  constructor(
    private readonly store: MembershipStore,
    /** This member (its address may be filled in once the port is bound, before join). */
    readonly self: Member,
    private readonly opts: MembershipOptions,
    /** Called with the new live set whenever it changes (member ids joined or left). */
    private readonly onChange: (members: readonly Member[]) => void,
    private readonly log: (line: string) => void,
  ) {
    this.members = [self];
  }

  get live(): readonly Member[] {
    return this.members;
  }

  /** Writes this member's row and reads the live set once (the caller then reconciles), then heartbeats. */
  async join(): Promise<void> {
    await this.store.upsertMember(rowOf(this.self, Date.now()), this.opts.ttlMs);
    await this.refresh();
    this.schedule();
  }

  private schedule(): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      this.ticking = this.tick().finally(() => {
        this.ticking = undefined;
        this.schedule();
      });
    }, this.opts.heartbeatMs);
    this.timer.unref();
  }

  private async tick(): Promise<void> {
    try {
      await this.store.upsertMember(rowOf(this.self, Date.now()), this.opts.ttlMs);
      await this.refresh();
    } catch (err) {
      // The store is down or slow: keep the last view (the shards stay fenced by range id meanwhile).
      this.log(`membership: heartbeat failed: ${String(err)}`);
    }
  }

  private async refresh(): Promise<void> {
    const rows = await this.store.listMembers(this.opts.ttlMs);
    const byId = new Map<string, Member>();
    for (const r of rows) if (r.role === HISTORY_ROLE) byId.set(r.hostId, memberOf(r));
    byId.set(this.self.hostId, this.self);
    const next = [...byId.values()].sort((a, b) => (a.hostId < b.hostId ? -1 : a.hostId > b.hostId ? 1 : 0));
    const changed = next.length !== this.members.length || next.some((m, i) => m.hostId !== this.members[i]?.hostId);
    this.members = next;
    if (changed) this.onChange(next);
  }

  /** Stops heartbeating and removes this member's row, so that the others take its shards at once. */
  async leave(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.ticking;
    await this.store.removeMember(this.self.hostId);
  }

  /** Stops heartbeating without a word (the row expires): what a killed member does, for tests. */
  halt(): void {
    this.stopped = true;
    clearTimeout(this.timer);
  }
}
