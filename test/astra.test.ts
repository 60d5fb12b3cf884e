/**
 * stampede against Astra DB, through the Astra stand-in (test/support/cql-proxy-astra.ts): a TEST DOUBLE for Astra
 * DB Serverless — the project's CQL proxy in front of the real test Cassandra with TLS + SNI, a generated secure
 * connect bundle, token authentication and Astra's guardrails (no CREATE KEYSPACE, UCS only, 50 KiB batches, a rate
 * limit). Everything else is real: the CLI, the engine, cassandra-driver's cloud path, Cassandra behind it.
 */
import { randomUUID } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import cassandra from 'cassandra-driver';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ResultV1 } from '../result/schema.js';
import { stampede } from './helpers/cli.js';
import { startEngine } from '../engine/server.js';
import { testCluster } from './helpers/engine.js';
import { startAstraStandIn, type AstraStandIn } from './support/cql-proxy-astra.js';

const TOKEN = `AstraCS:standIn${randomUUID().replace(/-/g, '')}:${randomUUID().replace(/-/g, '')}`;
const dir = mkdtempSync(join(tmpdir(), 'stampede-astra-'));
const keyspace = `astra_${randomUUID().replace(/-/g, '').slice(0, 12)}`;
const env = { ASTRA_DB_APPLICATION_TOKEN: TOKEN };
let astra: AstraStandIn;

beforeAll(async () => {
  const cluster = testCluster();
  astra = await startAstraStandIn({
    target: cluster.contactPoints[0] as string,
    localDataCenter: cluster.localDataCenter,
    token: TOKEN,
    dir,
    keyspace,
  });
  // What a user does in the Astra UI: the keyspace exists before stampede connects.
  const direct = new cassandra.Client({
    contactPoints: cluster.contactPoints,
    localDataCenter: cluster.localDataCenter,
  });
  try {
    await direct.execute(
      `CREATE KEYSPACE ${keyspace} WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 1}`,
    );
  } finally {
    await direct.shutdown();
  }
});

afterAll(async () => {
  await astra?.stop();
  rmSync(dir, { recursive: true, force: true });
});

function expectNoToken(text: string): void {
  expect(text).not.toContain(TOKEN);
  expect(text).not.toContain(TOKEN.split(':')[1]);
}

async function run(label: string, extra: string[]): Promise<{ result: ResultV1; out: string; stderr: string }> {
  const out = join(dir, label);
  const r = await stampede(
    [
      'run',
      '--scenario',
      'hello',
      '--store',
      'cassandra',
      '--astra-bundle',
      astra.bundle,
      '--keyspace',
      keyspace,
      '--shards',
      '4',
      '--warmup',
      '0s',
      '--out',
      out,
      '--label',
      label,
      ...extra,
    ],
    { env, timeoutMs: 110_000 },
  );
  expectNoToken(r.stdout + r.stderr);
  expect(existsSync(join(out, 'result.json')), `no result.json (exit ${r.code}): ${r.stderr.slice(-2000)}`).toBe(true);
  for (const f of readdirSync(out)) expectNoToken(readFileSync(join(out, f), 'utf8'));
  const result = JSON.parse(readFileSync(join(out, 'result.json'), 'utf8')) as ResultV1;
  return { result, out, stderr: r.stderr };
}

describe('Astra DB through the stand-in', () => {
  it('schema create and verify through the bundle and token: UCS tables, no CREATE KEYSPACE, TLS with SNI; guardrails refuse the rest', async () => {
    const missing = await stampede(
      ['schema', 'create', '--astra-bundle', astra.bundle, '--keyspace', 'not_made_in_the_ui'],
      { env, timeoutMs: 60_000 },
    );
    expect(missing.code).not.toBe(0);
    expect(missing.stderr).toContain('create it in the Astra UI');
    expect(missing.stderr.trim().split('\n')).toHaveLength(1);

    const cassandraSchema = await stampede(
      ['schema', 'create', '--astra-bundle', astra.bundle, '--keyspace', keyspace, '--schema-target', 'ucs'],
      { env, timeoutMs: 60_000 },
    );
    expect(cassandraSchema.code, 'a Cassandra schema creates its keyspace, which Astra refuses').toBe(1);
    expect(cassandraSchema.stderr).toContain('Keyspaces cannot be created over CQL');
    expect(astra.stats.keyspacesRefused).toBe(1);

    const created = await stampede(['schema', 'create', '--astra-bundle', astra.bundle, '--keyspace', keyspace], {
      env,
      timeoutMs: 60_000,
    });
    expect(created.code, created.stderr).toBe(0);
    expect(created.stdout).toContain('Astra DB (UCS');
    expect(created.stdout).not.toContain('CREATE KEYSPACE');
    expect(astra.stats.compactionsRewritten).toBeGreaterThanOrEqual(6);
    const verified = await stampede(['schema', 'verify', '--astra-bundle', astra.bundle, '--keyspace', keyspace], {
      env,
      timeoutMs: 60_000,
    });
    expect(verified.code, verified.stderr).toBe(0);
    expect(astra.stats.authenticated).toBeGreaterThan(0);
    expect(astra.stats.badCredentials).toBe(0);
    // The driver named the node by its host id (SNI), as with Astra's proxy.
    expect([...astra.proxy.serverNames].some((n) => /^[0-9a-f-]{36}$/.test(n))).toBe(true);
    expectNoToken(missing.stdout + missing.stderr + created.stdout + created.stderr + verified.stdout);

    // Any other compaction is refused by the guardrail (the driver's cloud path, straight).
    const driver = new cassandra.Client({
      cloud: { secureConnectBundle: astra.bundle },
      credentials: { username: 'token', password: TOKEN },
    });
    try {
      await expect(
        driver.execute(
          `CREATE TABLE ${keyspace}.lcs (k int PRIMARY KEY) WITH compaction = { 'class': 'LeveledCompactionStrategy' }`,
        ),
      ).rejects.toThrow('only UnifiedCompactionStrategy');
    } finally {
      await driver.shutdown();
    }
    expect(astra.stats.compactionsRefused).toBe(1);

    const wrong = await stampede(['schema', 'verify', '--astra-bundle', astra.bundle, '--keyspace', keyspace], {
      env: { ASTRA_DB_APPLICATION_TOKEN: 'AstraCS:wrong:token' },
      timeoutMs: 60_000,
    });
    expect(wrong.code).not.toBe(0);
    expect(astra.stats.badCredentials).toBeGreaterThan(0);
  });

  it('a hello run through the bundle verifies, with the size of every logged batch per statement class', async () => {
    const { result } = await run('hello', ['--rate', '10', '--duration', '3s']);
    expect(result.verification.status, JSON.stringify(result.verification)).toBe('passed');
    expect(result.verification.started).toBeGreaterThan(10);
    const creates = result.engine?.persistence['execution.create'];
    expect(creates?.batchBytes, 'execution.create batches are sized').toBeDefined();
    expect(result.engine?.store).toBe('astra');
  });

  it("a payload past 5 KiB is warned about before the run, and the server's warnings are counted per class and shown in the report", async () => {
    const before = astra.stats.warningsSent;
    const { result, out, stderr } = await run('warned', ['--rate', '4', '--duration', '2s', '--payload-bytes', '8000']);
    expect(stderr).toContain(
      "--payload-bytes 8000 puts batches past the store's 5 KiB batch-size warning threshold (Astra DB guardrails)",
    );
    expect(astra.stats.warningsSent).toBeGreaterThan(before);
    const warned = Object.entries(result.engine?.persistence ?? {}).filter(([, s]) => (s.serverWarnings ?? 0) > 0);
    expect(warned.length, 'some statement class carries the warnings').toBeGreaterThan(0);
    const total = warned.reduce((n, [, s]) => n + (s.serverWarnings ?? 0), 0);
    expect(total).toBe(astra.stats.warningsSent - before);
    expect(warned[0]![1].serverWarningSamples?.[0]).toMatch(/exceeding specified threshold of 5\.000KiB/);
    expect(result.verification.status, JSON.stringify(result.verification)).toBe('passed');
    const html = readFileSync(join(out, 'report.html'), 'utf8');
    expect(html).toContain('Warnings from the store');
  });

  it('a payload past 50 KiB gets the batch-too-large class, not INTERNAL, and loses nothing acknowledged', async () => {
    const before = astra.stats.batchesTooLarge;
    const { result } = await run('large', ['--rate', '4', '--duration', '2s', '--payload-bytes', '60000']);
    expect(astra.stats.batchesTooLarge).toBeGreaterThan(before);
    const errors = Object.keys(result.errors);
    expect(
      errors.some((k) => k.endsWith('|UNAVAILABLE/BATCH_TOO_LARGE')),
      errors.join(', '),
    ).toBe(true);
    expect(errors.some((k) => k.includes('INTERNAL'))).toBe(false);
    const refused = Object.entries(result.engine?.persistence ?? {}).filter(([, s]) => (s.batchTooLarge ?? 0) > 0);
    expect(refused.map(([name]) => name)).toContain('history.append_new_branch');
    // Every start carried the 60 KB payload and was refused: nothing acknowledged, so nothing lost or stuck — and a run
    // that started nothing does not pass verification (it says why).
    expect(result.verification).toMatchObject({ started: 0, lost: 0, stuck: 0, problems: 0, status: 'failed' });
    expect(result.verification.notes.join(' ')).toMatch(/no workflow started: all \d+ start\(s\) failed/);
  });

  it('a throttled run counts throttled statements per interval and per class, and still verifies', async () => {
    astra.setRateLimit(40);
    try {
      const before = astra.stats.throttled;
      const { result } = await run('throttled', ['--rate', '10', '--duration', '3s']);
      expect(astra.stats.throttled).toBeGreaterThan(before);
      const perInterval = result.intervals.map((iv) =>
        Object.values(iv.engine?.statements ?? {}).reduce((n, s) => n + (s.throttled ?? 0), 0),
      );
      expect(Math.max(...perInterval)).toBeGreaterThan(0);
      const throttledClasses = Object.entries(result.engine?.persistence ?? {}).filter(
        ([, s]) => (s.throttled ?? 0) > 0,
      );
      expect(throttledClasses.length).toBeGreaterThan(0);
      expect(result.verification.status, JSON.stringify(result.verification)).toBe('passed');
    } finally {
      astra.setRateLimit(0);
    }
  });

  it('an engine starts through a rate limit that refuses its start-up burst: throttled set-up statements wait, they do not crash', async () => {
    // CI once saw the burst of a starting engine (release version, schema, schedules) refused by the stand-in's rate
    // limit and the run end in an unexpected error before it began. Eight statements a second refuses much of it.
    astra.setRateLimit(8);
    const before = astra.stats.throttled;
    try {
      const engine = await startEngine({
        port: 0,
        numShards: 4,
        store: 'cassandra',
        cassandra: {
          contactPoints: [],
          localDataCenter: 'dc1',
          keyspace,
          replicationFactor: 1,
          secureConnectBundle: astra.bundle,
          username: 'token',
          password: TOKEN,
        },
      });
      try {
        expect(astra.stats.throttled, 'the limit refused part of the start-up').toBeGreaterThan(before);
        astra.setRateLimit(0);
        const namespaces = await engine.invoke('ListNamespaces', {});
        expect(JSON.stringify(namespaces)).toContain('default');
      } finally {
        await engine.stop();
      }
    } finally {
      astra.setRateLimit(0);
    }
  }, 90_000);
});
