/**
 * Cluster membership in memory: a map in the MemoryDatabase, so several engines in one process that share one
 * database see each other. Expiry is this process's clock, as Cassandra's TTL is the server's.
 */
import type { MemberRow, MembershipStore } from '../store.js';
import type { MemoryDatabase } from './database.js';

export class MemoryMembershipStore implements MembershipStore {
  constructor(private readonly db: MemoryDatabase) {}

  upsertMember(row: MemberRow, ttlMs: number): Promise<void> {
    this.db.members.set(row.hostId, { row: { ...row }, expiresAtMs: Date.now() + ttlMs });
    return Promise.resolve();
  }

  listMembers(heartbeatWithinMs: number): Promise<MemberRow[]> {
    const now = Date.now();
    const out: MemberRow[] = [];
    for (const [hostId, m] of this.db.members) {
      // An expired row is gone, as a TTL'd Cassandra row is: drop it rather than keep it forever.
      if (m.expiresAtMs <= now) this.db.members.delete(hostId);
      else if (m.row.lastHeartbeatMs > now - heartbeatWithinMs) out.push({ ...m.row });
    }
    return Promise.resolve(out);
  }

  removeMember(hostId: string): Promise<void> {
    this.db.members.delete(hostId);
    return Promise.resolve();
  }
}
