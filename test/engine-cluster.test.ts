/**
 * An engine cluster in one process: three members over one memory store (the members share its database and its
 * membership table), each on its own loopback gRPC port. The real SDK's worker polls one member and its client
 * talks to another, so every workflow's requests, tasks and cross-shard calls travel between members. The
 * multi-process cluster on the real Cassandra, with a member killed and one added mid-run, is in
 * test/cluster-cassandra.test.ts.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Client } from '@temporalio/client';
import type { NativeConnection, Worker } from '@temporalio/worker';
import { startEngine, type Engine } from '../engine/index.js';
import { createMemoryStores } from '../engine/persistence/memory/index.js';
import { EngineAdminClient } from '../bench/client/admin-client.js';
import { eventTypes, historyProblems } from './helpers/history.js';
import { sdkClient, sdkWarnings, sdkWorker } from './helpers/sdk.js';
import { freshPostgres } from './helpers/postgres.js';
import type * as workflows from './temporal-sdk/workflows.js';

// Enough shards that rendezvous gives each of three members some (with 16, one member in ~200 runs would get none).
const SHARDS = 32;
const TQ = 'cluster-tq';

describe('three engines on one store', () => {
  const stores = createMemoryStores();
  const members: Engine[] = [];
  let worker: Worker;
  let running: Promise<void>;
  let workerConnection: NativeConnection;
  let client: Client;
  let closeClient: () => Promise<void>;

  const member = () =>
    startEngine({
      port: 0,
      stores,
      cluster: true,
      numShards: SHARDS,
      membershipHeartbeatMs: 200,
      membershipTtlMs: 1200,
      ...(process.env.CLUSTER_DEBUG
        ? { log: (l: string) => console.log(new Date().toISOString().slice(11, 23), l) }
        : {}),
    });

  async function owned(): Promise<number[]> {
    return Promise.all(members.map(async (m) => (await m.stats()).history.shardsOwned));
  }

  async function until(what: string, ok: () => Promise<boolean>, ms = 15_000): Promise<void> {
    const end = Date.now() + ms;
    while (!(await ok())) {
      if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  beforeAll(async () => {
    for (let i = 0; i < 3; i++) members.push(await member());
    await until('every shard owned once', async () => (await owned()).reduce((a, b) => a + b, 0) === SHARDS);
    ({ worker, connection: workerConnection } = await sdkWorker(members[0]!.address, TQ));
    running = worker.run();
    const c = await sdkClient(members[1]!.address);
    client = c.client;
    closeClient = () => c.connection.close();
  }, 120_000);

  afterAll(async () => {
    worker?.shutdown();
    await running;
    await workerConnection?.close();
    await closeClient?.();
    for (const m of members) await m.stop();
  });

  it('splits the shards between the members, each owning a share', async () => {
    const shares = await owned();
    expect(shares.reduce((a, b) => a + b, 0)).toBe(SHARDS);
    for (const s of shares) expect(s).toBeGreaterThan(0);
    const view = await new EngineAdminClient(members[2]!.address).describeCluster();
    expect(view.clustered).toBe(true);
    expect(view.members.map((m) => m.address).sort()).toEqual(members.map((m) => m.address).sort());
  });

  it('runs workflows with activities, children, signals and queries across members', async () => {
    const ids = Array.from({ length: 12 }, (_, i) => `cluster-${i}-${randomUUID().slice(0, 6)}`);
    const results = await Promise.all(
      ids.map((id) =>
        client.workflow.execute<typeof workflows.greeting>('greeting', { taskQueue: TQ, workflowId: id, args: [id] }),
      ),
    );
    expect(results).toEqual(ids.map((id) => `hello, ${id}`));

    const parentId = `parent-${randomUUID().slice(0, 6)}`;
    const parent = await client.workflow.execute<typeof workflows.parentOfGreeting>('parentOfGreeting', {
      taskQueue: TQ,
      workflowId: parentId,
      args: [`${parentId}-child`],
    });
    expect(parent).toBe(`hello, child | parent=${parentId} root=${parentId}`);
    const events = (await client.workflow.getHandle(parentId).fetchHistory()).events ?? [];
    expect(historyProblems(events, { closed: true })).toEqual([]);
    expect(eventTypes(events)).toContain('CHILD_WORKFLOW_EXECUTION_COMPLETED');

    const acc = await client.workflow.start<typeof workflows.accumulate>('accumulate', {
      taskQueue: TQ,
      workflowId: `acc-${randomUUID().slice(0, 6)}`,
      args: [3],
    });
    for (const n of [1, 2, 3]) await acc.signal('add', n);
    expect(await acc.result()).toBe(6);
    expect(await acc.query('total')).toBe(6);
    expect(sdkWarnings()).toEqual([]);
    // The requests crossed members: the client's and worker's member forwarded to the owners.
    const stats = await Promise.all(members.map((m) => m.stats()));
    const sum = (k: 'frontend' | 'history' | 'matching') =>
      stats.reduce((a, s) => a + (s.cluster?.forwarded[k] ?? 0), 0);
    expect(sum('frontend')).toBeGreaterThan(0);
    expect(sum('history')).toBeGreaterThan(0);
    expect(sum('matching')).toBeGreaterThan(0);
  }, 60_000);

  it('lists and counts every member’s workflows from any member', async () => {
    const id = `listed-${randomUUID().slice(0, 6)}`;
    await client.workflow.execute<typeof workflows.greeting>('greeting', {
      taskQueue: TQ,
      workflowId: id,
      args: ['x'],
    });
    for (const m of members) {
      const { client: c, connection } = await sdkClient(m.address);
      try {
        await until('the run listed', async () => {
          const n = await c.workflow.count(`WorkflowId = '${id}'`);
          return n.count === 1;
        });
        const all = await c.workflow.count('');
        expect(all.count).toBeGreaterThanOrEqual(16);
      } finally {
        await connection.close();
      }
    }
  }, 60_000);

  it('hands a leaving member’s shards to the others and keeps serving', async () => {
    const leaving = members.pop()!;
    await leaving.stop();
    await until('the two left own every shard', async () => (await owned()).reduce((a, b) => a + b, 0) === SHARDS);
    const ids = Array.from({ length: 8 }, (_, i) => `after-${i}-${randomUUID().slice(0, 6)}`);
    if (process.env.CLUSTER_DEBUG) console.log(new Date().toISOString().slice(11, 23), 'test: running after the leave');
    const results = await Promise.all(
      ids.map((id) =>
        client.workflow.execute<typeof workflows.greeting>('greeting', { taskQueue: TQ, workflowId: id, args: [id] }),
      ),
    );
    expect(results).toEqual(ids.map((id) => `hello, ${id}`));
    if (process.env.CLUSTER_DEBUG) console.log(new Date().toISOString().slice(11, 23), 'test: ran after the leave');
    // A newcomer takes its share back from the two.
    members.push(await member());
    await until('three members own every shard', async () => {
      const shares = await owned();
      return shares.reduce((a, b) => a + b, 0) === SHARDS && shares.every((s) => s > 0);
    });
    if (process.env.CLUSTER_DEBUG) console.log(new Date().toISOString().slice(11, 23), 'test: newcomer in');
    const late = `late-${randomUUID().slice(0, 6)}`;
    expect(
      await client.workflow.execute<typeof workflows.greeting>('greeting', {
        taskQueue: TQ,
        workflowId: late,
        args: [late],
      }),
    ).toBe(`hello, ${late}`);
  }, 90_000);
});

describe('two engines on one PostgreSQL database', () => {
  const members: Engine[] = [];
  let url = '';
  afterAll(async () => {
    for (const m of members) await m.stop();
  });

  it('share its shards, forward to each other and list each other’s workflows', async () => {
    url = await freshPostgres('cluster');
    for (let i = 0; i < 2; i++)
      members.push(
        await startEngine({
          port: 0,
          store: 'postgres',
          postgres: { url, poolSize: 8 },
          cluster: true,
          numShards: SHARDS,
          membershipHeartbeatMs: 200,
          membershipTtlMs: 1200,
        }),
      );
    const shares = async () => Promise.all(members.map(async (m) => (await m.stats()).history.shardsOwned));
    const end = Date.now() + 20_000;
    while ((await shares()).reduce((a, b) => a + b, 0) !== SHARDS || (await shares()).some((s) => s === 0)) {
      if (Date.now() > end) throw new Error(`shards never split: ${(await shares()).join(', ')}`);
      await new Promise((r) => setTimeout(r, 100));
    }
    const { worker, connection } = await sdkWorker(members[0]!.address, 'cluster-pg');
    const running = worker.run();
    const c = await sdkClient(members[1]!.address);
    try {
      const ids = Array.from({ length: 8 }, (_, i) => `pg-${i}-${randomUUID().slice(0, 6)}`);
      const results = await Promise.all(
        ids.map((id) =>
          c.client.workflow.execute<typeof workflows.greeting>('greeting', {
            taskQueue: 'cluster-pg',
            workflowId: id,
            args: [id],
          }),
        ),
      );
      expect(results).toEqual(ids.map((id) => `hello, ${id}`));
      // PostgreSQL keeps visibility in the database: every member answers for every workflow.
      const counted = await c.client.workflow.count(`TaskQueue = 'cluster-pg'`);
      expect(counted.count).toBe(ids.length);
      const stats = await Promise.all(members.map((m) => m.stats()));
      expect(stats.reduce((a, s) => a + (s.cluster?.forwarded.frontend ?? 0), 0)).toBeGreaterThan(0);
    } finally {
      worker.shutdown();
      await running;
      await connection.close();
      await c.connection.close();
    }
  }, 120_000);
});
