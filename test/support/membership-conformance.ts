/**
 * The membership conformance suite: Temporal's `cluster_membership` semantics every backend must keep — a row per
 * member, refreshed in place, filtered by heartbeat age on the reader's clock, gone once its TTL passes without a
 * refresh, and removed on a graceful leave. Tests share the store (one keyspace / database) with other suites and
 * with each other, so each looks only at the host ids it wrote.
 */
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import type { MemberRow, Stores } from '../../engine/persistence/store.js';

function member(changes: Partial<MemberRow> = {}): MemberRow {
  const now = Date.now();
  return {
    hostId: randomUUID(),
    rpcAddress: '127.0.0.1',
    // Above 32767: Temporal's smallint column would not hold it; ours must.
    rpcPort: 40_123,
    role: 2,
    sessionStartMs: now - 5000,
    lastHeartbeatMs: now,
    ...changes,
  };
}

async function mine(s: Stores, hostIds: string[], withinMs = 60_000): Promise<MemberRow[]> {
  const rows = await s.membership.listMembers(withinMs);
  return rows
    .filter((r) => hostIds.includes(r.hostId))
    .sort((a, b) => hostIds.indexOf(a.hostId) - hostIds.indexOf(b.hostId));
}

export function membershipConformance(backend: string, open: () => Promise<Stores>): void {
  describe(`membership conformance: ${backend}`, () => {
    it('lists what was upserted, refreshes a row in place, and removes it on leave', async () => {
      const s = await open();
      const a = member();
      const b = member({ rpcAddress: '::1', rpcPort: 7233, role: 3 });
      await s.membership.upsertMember(a, 60_000);
      await s.membership.upsertMember(b, 60_000);
      expect(await mine(s, [a.hostId, b.hostId])).toEqual([a, b]);

      // A heartbeat rewrites the same row: newer heartbeat, same session, no second row for the host.
      const a2 = { ...a, lastHeartbeatMs: a.lastHeartbeatMs + 1000 };
      await s.membership.upsertMember(a2, 60_000);
      expect(await mine(s, [a.hostId, b.hostId])).toEqual([a2, b]);

      await s.membership.removeMember(a.hostId);
      expect(await mine(s, [a.hostId, b.hostId])).toEqual([b]);
      // Leaving twice, or a host that never joined, is not an error.
      await s.membership.removeMember(a.hostId);
      await s.membership.removeMember(randomUUID());
      await s.membership.removeMember(b.hostId);
      expect(await mine(s, [a.hostId, b.hostId])).toEqual([]);
    });

    it('filters by heartbeat age on the reader’s clock', async () => {
      const s = await open();
      const now = Date.now();
      const fresh = member({ lastHeartbeatMs: now - 1000 });
      const stale = member({ lastHeartbeatMs: now - 30_000 });
      await s.membership.upsertMember(fresh, 60_000);
      await s.membership.upsertMember(stale, 60_000);
      const ids = [fresh.hostId, stale.hostId];
      expect((await mine(s, ids, 10_000)).map((r) => r.hostId)).toEqual([fresh.hostId]);
      expect((await mine(s, ids, 60_000)).map((r) => r.hostId)).toEqual(ids);
      expect((await mine(s, ids, Infinity)).map((r) => r.hostId)).toEqual(ids);
      for (const id of ids) await s.membership.removeMember(id);
    });

    it('expires a row its TTL after the last write, unless a heartbeat refreshed it', async () => {
      const s = await open();
      const lapsing = member();
      const renewed = member();
      const t0 = Date.now();
      await s.membership.upsertMember(lapsing, 1000);
      await s.membership.upsertMember(renewed, 1000);
      expect((await mine(s, [lapsing.hostId, renewed.hostId])).length).toBe(2);
      await sleep(400);
      await s.membership.upsertMember({ ...renewed, lastHeartbeatMs: Date.now() }, 5000);
      // Cassandra's TTL counts whole seconds: a 1 s row is gone between 1 and 2 s after its write.
      let left = await mine(s, [lapsing.hostId, renewed.hostId]);
      while (left.some((r) => r.hostId === lapsing.hostId) && Date.now() - t0 < 3500) {
        await sleep(100);
        left = await mine(s, [lapsing.hostId, renewed.hostId]);
      }
      const goneAfterMs = Date.now() - t0;
      expect(left.map((r) => r.hostId)).toEqual([renewed.hostId]);
      expect(goneAfterMs).toBeGreaterThanOrEqual(1000);
      await s.membership.removeMember(renewed.hostId);
    });
  });
}
