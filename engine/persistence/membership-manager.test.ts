import { randomUUID } from 'node:crypto';
import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import { describe, expect, it } from 'vitest';
import { StoreUnavailableError } from './errors.js';
import { createPersistence, InvariantViolationError, MemberAddressError, memberEndpoint } from './manager.js';
import { createMemoryStores, MemoryDatabase } from './memory/index.js';
import type { MemberRow, Stores } from './store.js';

const FAST_RETRY = { retry: { attempts: 3, initialBackoffMs: 1, maxBackoffMs: 1 } };

function member(changes: Partial<MemberRow> = {}): MemberRow {
  const now = Date.now();
  return {
    hostId: randomUUID(),
    rpcAddress: '127.0.0.1',
    rpcPort: 7233,
    role: 2,
    sessionStartMs: now,
    lastHeartbeatMs: now,
    ...changes,
  };
}

describe('membership manager', () => {
  it('writes the IP a host name resolves to (Temporal keeps an inet), the same IP for every reader', async () => {
    const p = createPersistence(createMemoryStores(), FAST_RETRY);
    const row = member({ rpcAddress: 'localhost' });
    await p.membership.upsertMember(row, 60_000);
    const [listed] = await p.membership.listMembers(60_000);
    expect(listed?.rpcAddress).toBe((await lookup('localhost')).address);
    expect(isIP(listed?.rpcAddress ?? '')).not.toBe(0);
    // A bracketed IPv6 literal is an address already: stored without the brackets.
    await p.membership.upsertMember({ ...row, rpcAddress: '[::1]' }, 60_000);
    expect((await p.membership.listMembers(60_000))[0]?.rpcAddress).toBe('::1');
  });

  it('refuses a name that does not resolve with a stable code, naming it, and writes nothing', async () => {
    const p = createPersistence(createMemoryStores(), FAST_RETRY);
    const err = await p.membership
      .upsertMember(member({ rpcAddress: 'no-such-member.invalid' }), 60_000)
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(MemberAddressError);
    expect((err as MemberAddressError).code).toBe('MEMBER_ADDRESS_UNRESOLVED');
    expect((err as Error).message).toContain('"no-such-member.invalid"');
    expect(await p.membership.listMembers(60_000)).toEqual([]);
  });

  it('refuses a row no store should hold before it reaches the store', async () => {
    const stores = createMemoryStores();
    const p = createPersistence(stores, FAST_RETRY);
    await expect(p.membership.upsertMember(member({ hostId: 'engine-1' }), 60_000)).rejects.toThrow(/not a UUID/);
    await expect(p.membership.upsertMember(member({ rpcPort: 70_000 }), 60_000)).rejects.toThrow(/not a TCP port/);
    await expect(p.membership.upsertMember(member(), 0)).rejects.toBeInstanceOf(InvariantViolationError);
    await expect(p.membership.listMembers(-1)).rejects.toBeInstanceOf(InvariantViolationError);
    expect(stores.metrics.counts()['membership.upsert']).toBeUndefined();
  });

  it('lets engines that share one memory database see each other, and counts the statement classes', async () => {
    const db = new MemoryDatabase();
    const one = createPersistence(createMemoryStores(db), FAST_RETRY);
    const two = createPersistence(createMemoryStores(db), FAST_RETRY);
    const a = member();
    const b = member({ rpcPort: 7234 });
    await one.membership.upsertMember(a, 60_000);
    await two.membership.upsertMember(b, 60_000);
    const seen = (await one.membership.listMembers(60_000)).map((r) => r.hostId).sort();
    expect(seen).toEqual([a.hostId, b.hostId].sort());
    await two.membership.removeMember(a.hostId);
    expect((await one.membership.listMembers(60_000)).map((r) => r.hostId)).toEqual([b.hostId]);
    expect(one.metrics.counts()['membership.upsert']?.count).toBe(1);
    expect(one.metrics.counts()['membership.list']?.count).toBe(2);
    expect(two.metrics.counts()['membership.remove']?.count).toBe(1);
  });

  it('retries a heartbeat that certainly did not apply, as every manager call', async () => {
    // A fault on demand (a replica down for one call), which a real store cannot produce here.
    const stores: Stores = createMemoryStores();
    const real = stores.membership.upsertMember.bind(stores.membership);
    let calls = 0;
    stores.membership.upsertMember = (...args) => {
      calls += 1;
      return calls === 1 ? Promise.reject(new StoreUnavailableError('replica down')) : real(...args);
    };
    const p = createPersistence(stores, FAST_RETRY);
    const row = member();
    await p.membership.upsertMember(row, 60_000);
    expect(calls).toBe(2);
    expect(await p.membership.listMembers(60_000)).toEqual([row]);
  });

  it('gives the endpoint to dial, an IPv6 address in brackets', () => {
    expect(memberEndpoint({ rpcAddress: '10.0.0.7', rpcPort: 7233 })).toBe('10.0.0.7:7233');
    expect(memberEndpoint({ rpcAddress: 'fd00::7', rpcPort: 7233 })).toBe('[fd00::7]:7233');
  });
});
