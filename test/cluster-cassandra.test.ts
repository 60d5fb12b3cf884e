/**
 * An engine cluster as users run it: three `stampede engine --cluster` processes on the real test Cassandra, one
 * keyspace. The harness drives hello through one member (every member accepts every request and forwards it to the
 * owner); mid-run one member is SIGKILLed and a fourth joins. The run's verification and `stampede verify` straight
 * from the store must be clean, and the time for the survivors to re-own the dead member's shards is measured.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { EngineAdminClient } from '../bench/client/admin-client.js';
import { freshKeyspace, testCluster } from './helpers/engine.js';
import { spawnEngine, type EngineProcess } from './helpers/engine-process.js';
import {
  describeStuck,
  engineBugs,
  harness,
  readResult,
  verifyStore,
  verifySummary,
  type StoreAt,
} from './helpers/store-runs.js';

// Enough shards that rendezvous gives each of three members some (with 16, one member in ~200 runs would get none).
const SHARDS = 24;
const HEARTBEAT_MS = Number(process.env.STAMPEDE_CLUSTER_HEARTBEAT_MS ?? 500);
const TTL_MS = Number(process.env.STAMPEDE_CLUSTER_TTL_MS ?? 4000);

describe('an engine cluster on Cassandra', () => {
  const members: EngineProcess[] = [];
  afterAll(async () => {
    await Promise.all(members.map((m) => m.stop(5000)));
  });

  const c = testCluster();
  const at: StoreAt = { contactPoint: c.contactPoints[0]!, localDataCenter: c.localDataCenter };

  async function member(keyspace: string): Promise<EngineProcess> {
    const m = await spawnEngine([
      '--store',
      'cassandra',
      '--contact-points',
      at.contactPoint,
      '--local-data-center',
      at.localDataCenter,
      '--keyspace',
      keyspace,
      '--shards',
      String(SHARDS),
      '--cluster',
      '--membership-heartbeat-ms',
      String(HEARTBEAT_MS),
      '--membership-ttl-ms',
      String(TTL_MS),
      '--verbose',
    ]);
    members.push(m);
    return m;
  }

  async function shares(ms: EngineProcess[]): Promise<number[]> {
    return Promise.all(
      ms.map(async (m) => {
        const admin = new EngineAdminClient(m.address);
        try {
          return (await admin.stats(3000)).history.shardsOwned;
        } finally {
          admin.close();
        }
      }),
    );
  }

  async function until(what: string, ok: () => Promise<boolean>, ms = 30_000): Promise<number> {
    const started = Date.now();
    while (!(await ok().catch(() => false))) {
      if (Date.now() - started > ms) throw new Error(`timed out waiting for ${what}`);
      await new Promise((r) => setTimeout(r, 100));
    }
    return Date.now() - started;
  }

  const allOwned = (ms: EngineProcess[]) => async () => {
    const s = await shares(ms);
    return s.reduce((a, b) => a + b, 0) === SHARDS && s.every((n) => n > 0);
  };

  it('splits the shards, survives a member SIGKILLed and one joining mid-run, and verifies clean', async () => {
    const keyspace = await freshKeyspace('stampede_cluster');
    const [a, b, victim] = [await member(keyspace), await member(keyspace), await member(keyspace)];
    await until('three members owning every shard', allOwned([a, b, victim]));
    const split = await shares([a, b, victim]);
    console.log(`shards per member: ${split.join(', ')}`);

    const out = mkdtempSync(path.join(tmpdir(), 'stampede-cluster-'));
    // Through the list of members with owner routing: the harness reads the ring, and re-reads it when the killed
    // member stops answering.
    const targets = [a, b, victim].map((m) => m.address).join(',');
    const run = harness(targets, out, [
      '--scenario',
      'hello',
      '--rate',
      '15',
      '--duration',
      '16s',
      '--drain-timeout',
      '60s',
      '--routing',
      'owner',
      '--workflow-pollers',
      '3',
      '--activity-pollers',
      '3',
    ]);
    await new Promise((r) => setTimeout(r, 5000));
    victim.child.kill('SIGKILL');
    const killedAt = Date.now();
    const reownMs = await until('the survivors owning every shard', allOwned([a, b]));
    console.log(
      `re-owned the killed member's shards in ${reownMs} ms (TTL ${TTL_MS} ms, heartbeat ${HEARTBEAT_MS} ms)`,
    );
    expect(Date.now() - killedAt).toBeLessThan(30_000);
    const joiner = await member(keyspace);
    const joinMs = await until('the newcomer taking its share', allOwned([a, b, joiner]));
    console.log(
      `the newcomer owned its share ${joinMs} ms after serving: ${(await shares([a, b, joiner])).join(', ')}`,
    );

    const r = await run;
    const result = readResult(out, r);
    console.log(
      `run: exit ${r.code}; ${result.verification?.started} started, verification ${result.verification?.status}`,
    );
    if (result.verification?.status !== 'passed') {
      console.log(await describeStuck(a.address, result));
      for (const m of members)
        console.log(
          `${m.address}:\n${m
            .output()
            .split('\n')
            .filter((l) => /cluster|shard|fail|error/i.test(l))
            .slice(-60)
            .join('\n')}`,
        );
    }
    expect(engineBugs(result), a.tail()).toEqual([]);
    expect(result.verification?.status, r.stdout + r.stderr).toBe('passed');
    const v = await verifyStore(at, out, keyspace, SHARDS);
    const s = verifySummary(v);
    console.log(`verify: ${s.line}`);
    expect(v.code, v.stdout + v.stderr).toBe(0);
    expect(s.problems).toBe(0);
    expect(s.stuck).toBe(0);
    expect(s.workflows).toBeGreaterThanOrEqual(result.verification?.started ?? Infinity);

    // A signal storm through the members now live (the newcomer included), spread over them: every signal is a write
    // on one of four runs, whichever member it reaches.
    const storm = mkdtempSync(path.join(tmpdir(), 'stampede-cluster-storm-'));
    const live = [a, b, joiner].map((m) => m.address).join(',');
    const sr = await harness(live, storm, [
      '--scenario',
      'signal-storm',
      '--rate',
      '40',
      '--duration',
      '8s',
      '--workflow-pollers',
      '3',
      '--activity-pollers',
      '3',
    ]);
    const stormResult = readResult(storm, sr);
    console.log(`signal storm: exit ${sr.code}; verification ${stormResult.verification?.status}`);
    expect(engineBugs(stormResult)).toEqual([]);
    expect(stormResult.verification?.status, sr.stdout + sr.stderr).toBe('passed');
    const sv = await verifyStore(at, storm, keyspace, SHARDS);
    expect(sv.code, sv.stdout + sv.stderr).toBe(0);
  }, 300_000);
});
