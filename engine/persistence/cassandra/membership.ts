/**
 * Cluster membership on Cassandra: Temporal's `cluster_membership` table, every member in one partition
 * (membership_partition 0), each row written `USING TTL` so a member that stops heartbeating disappears without
 * anyone deleting it. Temporal filters `last_heartbeat > ?` with ALLOW FILTERING over a secondary index; the
 * partition holds one row per member, so this store reads the partition and filters here instead: no index, which
 * also keeps the table valid on Astra DB (it accepts only SAI indexes, not Temporal's legacy ones).
 */
import type { MemberRow, MembershipStore } from '../store.js';
import type { CassandraContext } from './context.js';
import { MEMBERSHIP_PARTITION } from './constants.js';
import { asNumber, asString } from './values.js';

const COLUMNS = 'host_id, rpc_address, rpc_port, role, session_start, last_heartbeat';

const time = (v: unknown): number => (v instanceof Date ? v.getTime() : NaN);

export class CassandraMembershipStore implements MembershipStore {
  constructor(private readonly cx: CassandraContext) {}

  async upsertMember(row: MemberRow, ttlMs: number): Promise<void> {
    // TTLs are whole seconds counted from the server's current second (floored), so a TTL of n seconds may end
    // up to a second early: measured, a 1 s row was gone 866 ms after its write. One second more keeps a row
    // at least ttlMs (at most a second beyond), so a live member is never read as gone between two heartbeats.
    const ttlSeconds = Math.ceil(ttlMs / 1000) + 1;
    await this.cx.execute(
      'membership.upsert',
      `INSERT INTO cluster_membership (membership_partition, ${COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?) USING TTL ?`,
      [
        MEMBERSHIP_PARTITION,
        row.hostId,
        row.rpcAddress,
        row.rpcPort,
        row.role,
        new Date(row.sessionStartMs),
        new Date(row.lastHeartbeatMs),
        ttlSeconds,
      ],
      { write: true, conditional: false },
    );
  }

  async listMembers(heartbeatWithinMs: number): Promise<MemberRow[]> {
    const rs = await this.cx.execute(
      'membership.list',
      `SELECT ${COLUMNS} FROM cluster_membership WHERE membership_partition = ?`,
      [MEMBERSHIP_PARTITION],
      { write: false, conditional: false },
    );
    const since = Date.now() - heartbeatWithinMs;
    return rs.rows
      .map((r) => ({
        hostId: asString(r.get('host_id')),
        rpcAddress: asString(r.get('rpc_address')),
        rpcPort: asNumber(r.get('rpc_port')),
        role: asNumber(r.get('role')),
        sessionStartMs: time(r.get('session_start')),
        lastHeartbeatMs: time(r.get('last_heartbeat')),
      }))
      .filter((m) => m.lastHeartbeatMs > since);
  }

  async removeMember(hostId: string): Promise<void> {
    // role precedes host_id in the clustering key: find the host's row(s), then delete each by its full key.
    const rs = await this.cx.execute(
      'membership.get',
      'SELECT role, host_id FROM cluster_membership WHERE membership_partition = ?',
      [MEMBERSHIP_PARTITION],
      { write: false, conditional: false },
    );
    for (const r of rs.rows) {
      if (asString(r.get('host_id')) !== hostId) continue;
      await this.cx.execute(
        'membership.remove',
        'DELETE FROM cluster_membership WHERE membership_partition = ? AND role = ? AND host_id = ?',
        [MEMBERSHIP_PARTITION, r.get('role'), hostId],
        { write: true, conditional: false },
      );
    }
  }
}
