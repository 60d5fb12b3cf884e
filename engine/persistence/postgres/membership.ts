/**
 * Cluster membership on PostgreSQL: Temporal's SQL `cluster_membership`, whose rows do not expire by themselves:
 * each carries `record_expiry`, readers skip expired rows, and expired rows are pruned (Temporal's
 * PruneClusterMembership). Unlike Temporal, which computes record_expiry on the writer's clock and compares it with
 * the reader's, expiry here is the database's clock at both ends (as Cassandra's TTL is the server's), so members
 * whose clocks disagree still agree on who has expired. The heartbeat filter is the reader's clock, as asked.
 */
import type { MemberRow, MembershipStore } from '../store.js';
import type { PgContext } from './context.js';
import { msFromTs, num, tsFromMs } from './values.js';

/** Temporal's membership_partition: one value, every member. */
const PARTITION = 0;
/** The database's clock as a TIMESTAMP in UTC (the columns are TIMESTAMP without time zone, as Temporal's). */
const DB_NOW = `(now() AT TIME ZONE 'UTC')`;

type Row = {
  host_id: string;
  rpc_address: string;
  rpc_port: number;
  role: number;
  session_start: number;
  last_heartbeat: number;
};

export class PgMembershipStore implements MembershipStore {
  constructor(private readonly cx: PgContext) {}

  async upsertMember(row: MemberRow, ttlMs: number): Promise<void> {
    await this.cx.query(
      'membership.upsert',
      `INSERT INTO cluster_membership (membership_partition, host_id, rpc_address, rpc_port, role, session_start, last_heartbeat, record_expiry)
VALUES ($1, $2, $3, $4, $5, ${tsFromMs(6)}, ${tsFromMs(7)}, ${DB_NOW} + $8::float8 * INTERVAL '1 millisecond')
ON CONFLICT (membership_partition, host_id) DO UPDATE SET rpc_address = EXCLUDED.rpc_address, rpc_port = EXCLUDED.rpc_port, role = EXCLUDED.role, session_start = EXCLUDED.session_start, last_heartbeat = EXCLUDED.last_heartbeat, record_expiry = EXCLUDED.record_expiry`,
      [PARTITION, row.hostId, row.rpcAddress, row.rpcPort, row.role, row.sessionStartMs, row.lastHeartbeatMs, ttlMs],
    );
    // Housekeeping in its own statement (not a CTE of the upsert): two members pruning while each upserts its own
    // row could otherwise lock rows in opposite orders and deadlock.
    await this.cx.query(
      'membership.prune',
      `DELETE FROM cluster_membership WHERE membership_partition = $1 AND record_expiry < ${DB_NOW}`,
      [PARTITION],
    );
  }

  async listMembers(heartbeatWithinMs: number): Promise<MemberRow[]> {
    // An unbounded window (Infinity) reads every unexpired row: the epoch is before any heartbeat.
    const since = Number.isFinite(heartbeatWithinMs) ? Date.now() - heartbeatWithinMs : 0;
    const r = await this.cx.query<Row>(
      'membership.list',
      `SELECT host_id, rpc_address, rpc_port, role, ${msFromTs('session_start')} AS session_start, ${msFromTs('last_heartbeat')} AS last_heartbeat
FROM cluster_membership WHERE membership_partition = $1 AND record_expiry > ${DB_NOW} AND last_heartbeat > ${tsFromMs(2)}`,
      [PARTITION, since],
    );
    return r.rows.map((x) => ({
      hostId: x.host_id,
      rpcAddress: x.rpc_address,
      rpcPort: num(x.rpc_port),
      role: num(x.role),
      sessionStartMs: num(x.session_start),
      lastHeartbeatMs: num(x.last_heartbeat),
    }));
  }

  async removeMember(hostId: string): Promise<void> {
    await this.cx.query(
      'membership.remove',
      'DELETE FROM cluster_membership WHERE membership_partition = $1 AND host_id = $2',
      [PARTITION, hostId],
    );
  }
}
