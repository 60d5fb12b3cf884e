// TEMPORARY until issue-21m lands the store's MembershipStore (same shape, engine/persistence/store.ts).
export interface MemberRow {
  hostId: string;
  rpcAddress: string;
  rpcPort: number;
  role: number;
  sessionStartMs: number;
  lastHeartbeatMs: number;
}
export interface MembershipStore {
  upsertMember(row: MemberRow, ttlMs: number): Promise<void>;
  listMembers(heartbeatWithinMs: number): Promise<MemberRow[]>;
  removeMember(hostId: string): Promise<void>;
}
/** In one process only. */
export class LocalMembershipStore implements MembershipStore {
  private readonly rows = new Map<string, { row: MemberRow; expires: number }>();
  upsertMember(row: MemberRow, ttlMs: number): Promise<void> {
    this.rows.set(row.hostId, { row: { ...row }, expires: Date.now() + ttlMs });
    return Promise.resolve();
  }
  listMembers(within: number): Promise<MemberRow[]> {
    const now = Date.now();
    return Promise.resolve(
      [...this.rows.values()]
        .filter((r) => r.expires > now && r.row.lastHeartbeatMs >= now - within)
        .map((r) => ({ ...r.row })),
    );
  }
  removeMember(hostId: string): Promise<void> {
    this.rows.delete(hostId);
    return Promise.resolve();
  }
}
