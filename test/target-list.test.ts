/**
 * `--target` as a list of engine members and `--routing`: a run through three members of an engine cluster (three
 * engines in this process on one shared memory store, a real cluster: membership, shard ownership, forwarding)
 * verifies clean with either routing and records the targets, the routing and the ring; a run through two
 * addresses of one engine outside a cluster spreads over both connections; and over two independent engines the
 * routed client keeps every call about a workflow on the member that has it. (A run over independent engines is
 * not a cluster: their lists and counts would each see half, so only the client is driven there.)
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { EngineAdminClient } from '../bench/client/admin-client.js';
import { RoutedClient } from '../bench/client/routed-client.js';
import { startEngine, type Engine } from '../engine/index.js';
import { createMemoryStores } from '../engine/persistence/memory/index.js';
import type { ResultV1 } from '../result/schema.js';
import { stampede, type CliResult } from './helpers/cli.js';
import { testEngine, type TestEngine } from './helpers/engine.js';
import { freePort } from './helpers/engine-process.js';

const dir = mkdtempSync(join(tmpdir(), 'stampede-targets-'));
let a: TestEngine;
let b: TestEngine;

beforeAll(async () => {
  [a, b] = await Promise.all([testEngine(), testEngine()]);
});
afterAll(async () => {
  await Promise.all([a.close(), b.close()]);
  rmSync(dir, { recursive: true, force: true });
});

function ok(r: CliResult): void {
  expect(r.code, `${r.stdout}\n${r.stderr}`).toBe(0);
}

function read(out: string): ResultV1 {
  return JSON.parse(readFileSync(join(dir, out, 'result.json'), 'utf8')) as ResultV1;
}

const RUN = ['run', '--scenario', 'hello', '--rate', '20', '--duration', '2s', '--warmup', '0s', '--quiet'];

describe('--target list over an engine cluster', () => {
  let members: Engine[] = [];
  beforeAll(async () => {
    // One Stores object for all three: the cluster's membership and shards live in the store they share.
    const stores = createMemoryStores();
    for (let i = 0; i < 3; i++)
      members.push(await startEngine({ port: 0, numShards: 8, cluster: true, stores, membershipHeartbeatMs: 200 }));
    // Every member in the ring before the runs (vi.waitFor: expect.poll is for tests, not hooks).
    const admin = new EngineAdminClient(members[0]?.address ?? '');
    try {
      await vi.waitFor(
        async () => {
          if ((await admin.describeCluster()).members.length !== 3) throw new Error('the ring has not all 3 members');
        },
        { timeout: 15_000, interval: 100 },
      );
    } finally {
      admin.close();
    }
  });
  afterAll(async () => {
    for (const m of members.reverse()) await m.stop();
    members = [];
  });

  it.each(['spread', 'owner'] as const)('a %s run through every member verifies clean', async (routing) => {
    const targets = members.map((m) => m.address);
    const out = `cluster-${routing}`;
    const args = ['--target', targets.join(','), '--routing', routing, '--workflow-pollers', '3'];
    ok(await stampede([...RUN, ...args, '--activity-pollers', '3', '--out', join(dir, out)], { timeoutMs: 90_000 }));
    const r = read(out);
    expect(r.verification).toMatchObject({ status: 'passed', started: 40, lost: 0, stuck: 0 });
    expect(r.target).toMatchObject({ targets, routing, cluster: { clustered: true, numShards: 8 } });
    expect(r.target.cluster?.members.map((m) => m.address).sort()).toEqual([...targets].sort());
    // The engine's counters are every member's added up: a hello workflow is several transactions wherever it ran
    // (one member's share alone would be about a third).
    expect(r.contention?.transactions ?? 0).toBeGreaterThanOrEqual(4 * 40);
  });
});

describe('--target list', () => {
  it('spreads a run over the listed members, verifies it, and records the targets, routing and ring', async () => {
    const port = a.engine.port;
    const targets = [`127.0.0.1:${port}`, `localhost:${port}`];
    ok(await stampede([...RUN, '--target', targets.join(','), '--out', join(dir, 'spread')], { timeoutMs: 90_000 }));
    const r = read('spread');
    expect(r.verification.status).toBe('passed');
    expect(r.verification.lost).toBe(0);
    expect(r.target.targets).toEqual(targets);
    expect(r.target.address).toBe(targets.join(','));
    expect(r.target.routing).toBe('spread');
    expect(r.options['targets']).toEqual(targets);
    // One engine outside a cluster: its ring is itself.
    expect(r.target.cluster).toMatchObject({ clustered: false, numShards: 4 });
    expect(r.target.cluster?.members).toHaveLength(1);
  });

  it("routes to each shard's owner from the engine's ring and records it", async () => {
    ok(
      await stampede([...RUN, '--target', a.engine.address, '--routing', 'owner', '--out', join(dir, 'owner')], {
        timeoutMs: 90_000,
      }),
    );
    const r = read('owner');
    expect(r.verification.status).toBe('passed');
    expect(r.target.routing).toBe('owner');
    expect(r.verification.started).toBeGreaterThan(30);
    expect(r.target.cluster).toMatchObject({ clustered: false, numShards: 4 });
  });

  it('refuses a repeated target and too few poll loops for the members, in one line each', async () => {
    const dup = await stampede(['run', '--target', `${a.engine.address},${a.engine.address}`]);
    expect(dup.code).toBe(2);
    expect(dup.stderr.trim()).toBe(`stampede: --target lists ${a.engine.address} twice`);
    const few = await stampede([
      'run',
      '--target',
      `${a.engine.address},${b.engine.address},localhost:${b.engine.port}`,
      '--pollers',
      '1',
      '--workflow-pollers',
      '2',
      '--activity-pollers',
      '3',
    ]);
    expect(few.code).toBe(2);
    expect(few.stderr).toContain('--pollers × --workflow-pollers (1 × 2) must be at least the 3 targets');
  });
});

describe('a run whose every start fails', () => {
  it('fails verification instead of passing with nothing to account for', async () => {
    // An engine that refuses every start: its blob-size limit is below any start's input payload.
    const refusing = await testEngine({ limits: { blobSizeWarnBytes: 1, blobSizeErrorBytes: 1 } });
    try {
      const r = await stampede([...RUN, '--target', refusing.engine.address, '--out', join(dir, 'refused')], {
        timeoutMs: 90_000,
      });
      expect(r.code, `${r.stdout}\n${r.stderr}`).toBe(1);
      const result = read('refused');
      expect(result.verification.started).toBe(0);
      expect(result.verification.status).toBe('failed');
      expect(result.verification.notes.join('\n')).toMatch(/no workflow started: all \d+ start\(s\) failed/);
      expect(result.verdict).toBe('fail');
    } finally {
      await refusing.close();
    }
  });
});

describe('RoutedClient over two independent engines', () => {
  it("keeps each workflow's calls on one member and spreads the workflows over both", async () => {
    const client = new RoutedClient([a.engine.address, b.engine.address], { routing: 'spread', namespace: 'default' });
    try {
      await client.waitForReady(10_000);
      const prefix = `spread-${randomUUID().slice(0, 8)}-`;
      const ids = Array.from({ length: 40 }, (_, i) => `${prefix}${i}`);
      for (const workflowId of ids) {
        await client.call('StartWorkflowExecution', {
          namespace: 'default',
          workflowId,
          workflowType: { name: 'hello' },
          taskQueue: { name: 'routed-client-test' },
          requestId: randomUUID(),
        });
        // A signal finds its workflow only on the member that started it.
        await client.call('SignalWorkflowExecution', {
          namespace: 'default',
          workflowExecution: { workflowId },
          signalName: 'ping',
          requestId: randomUUID(),
        });
      }
      const count = async (t: TestEngine): Promise<number> =>
        Number(
          (
            await t.client.call('CountWorkflowExecutions', {
              namespace: 'default',
              query: `WorkflowId STARTS_WITH "${prefix}"`,
            })
          ).count,
        );
      await expect.poll(async () => (await count(a)) + (await count(b))).toBe(40);
      expect(await count(a)).toBeGreaterThan(5);
      expect(await count(b)).toBeGreaterThan(5);
    } finally {
      client.close();
    }
  });

  it('sends a call about no single workflow to the next member when one cannot be reached', async () => {
    // A port nobody listens on: a member killed mid-run, still in the user's --target list.
    const dead = `127.0.0.1:${await freePort()}`;
    const client = new RoutedClient([dead, a.engine.address], { routing: 'spread', namespace: 'default' });
    try {
      // Twice, so that one of the two calls starts its turn at the dead member.
      for (let i = 0; i < 2; i++) {
        const ns = await client.call('DescribeNamespace', { namespace: 'default' }, { timeoutMs: 10_000 });
        expect(ns.namespaceInfo?.name).toBe('default');
      }
    } finally {
      client.close();
    }
  });
});
