/**
 * The membership manager: what the cluster's membership controller calls to heartbeat, read the live set and
 * leave. It checks a row before it reaches a backend and writes an IP address, as Temporal's inet column holds:
 * an advertised host name is resolved here (once per name), so every backend stores and answers the same address
 * and every member dials what the name meant to the member that advertised it.
 */
import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import { checkInvariant } from './errors.js';
import type { MemberRow, MembershipStore, Stores } from './store.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** An advertised address that names no host: a configuration mistake, reported once with the name. */
export class MemberAddressError extends Error {
  readonly code = 'MEMBER_ADDRESS_UNRESOLVED';
  constructor(name: string, cause: unknown) {
    const why = cause instanceof Error && 'code' in cause ? String(cause.code) : String(cause);
    super(`the member address ${JSON.stringify(name)} does not resolve to an IP address (${why})`, { cause });
    this.name = 'MemberAddressError';
  }
}

/** `host:port` to dial a member at (an IPv6 address in brackets). */
export function memberEndpoint(row: Pick<MemberRow, 'rpcAddress' | 'rpcPort'>): string {
  return isIP(row.rpcAddress) === 6 ? `[${row.rpcAddress}]:${row.rpcPort}` : `${row.rpcAddress}:${row.rpcPort}`;
}

export class DefaultMembershipManager implements MembershipStore {
  /** Names already resolved (a heartbeat a second must not cost a DNS query a second). */
  private readonly resolved = new Map<string, string>();

  constructor(private readonly stores: Stores) {}

  async upsertMember(row: MemberRow, ttlMs: number): Promise<void> {
    checkInvariant(UUID.test(row.hostId), `member host id ${row.hostId} is not a UUID`);
    checkInvariant(
      Number.isInteger(row.rpcPort) && row.rpcPort > 0 && row.rpcPort < 65_536,
      `member port ${row.rpcPort} is not a TCP port`,
    );
    checkInvariant(Number.isFinite(ttlMs) && ttlMs > 0, `member row TTL ${ttlMs} ms is not a positive duration`);
    checkInvariant(
      Number.isFinite(row.sessionStartMs) && Number.isFinite(row.lastHeartbeatMs),
      'member times must be epoch milliseconds',
    );
    const rpcAddress = await this.resolve(row.rpcAddress);
    return this.stores.membership.upsertMember({ ...row, rpcAddress }, ttlMs);
  }

  listMembers(heartbeatWithinMs: number): Promise<MemberRow[]> {
    checkInvariant(heartbeatWithinMs >= 0, `heartbeat window ${heartbeatWithinMs} ms is not a duration`);
    return this.stores.membership.listMembers(heartbeatWithinMs);
  }

  removeMember(hostId: string): Promise<void> {
    checkInvariant(UUID.test(hostId), `member host id ${hostId} is not a UUID`);
    return this.stores.membership.removeMember(hostId);
  }

  private async resolve(address: string): Promise<string> {
    const host = address.replace(/^\[(.*)\]$/, '$1');
    if (isIP(host) !== 0) return host;
    const known = this.resolved.get(host);
    if (known !== undefined) return known;
    let ip: string;
    try {
      ip = (await lookup(host)).address;
    } catch (err) {
      throw new MemberAddressError(host, err);
    }
    this.resolved.set(host, ip);
    return ip;
  }
}
