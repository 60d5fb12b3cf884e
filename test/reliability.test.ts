/**
 * Faults made to happen on purpose, on a real Cassandra, and what survives them. One durable test Cassandra of its
 * own (batch commit log: it must keep its data across restart()), a CQL fault proxy in front of it for the engine
 * (test/support/cql-proxy.ts — a test double for faults a healthy single node cannot produce on demand: CAS write
 * timeouts whose write did or did not land), `stampede engine` as a child process (so it can be SIGKILLed), the
 * harness as the CLI against it, and `stampede verify` reading every workflow back straight from Cassandra (no
 * engine involved) after each fault.
 *
 * Every fault test ends with: every workflow the run started is in the store, closed, with a well-formed history
 * that agrees with its mutable state and the scenario's invariants — i.e. nothing lost, nothing duplicated.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import cassandra from 'cassandra-driver';
import { RowType } from '../engine/persistence/cassandra/constants.js';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { ResultV1 } from '../result/schema.js';
import { BIN, stampede, type CliResult } from './helpers/cli.js';
import { freePort, spawnEngine, type EngineProcess } from './helpers/engine-process.js';
import {
  createSchema as createStoreSchema,
  describeStuck,
  engineBugs,
  harness,
  readResult,
  verifyStore,
  verifySummary,
  type StoreAt,
} from './helpers/store-runs.js';
import { startCassandra, type TestCassandra } from './support/cassandra-server.js';
import { startCqlProxy, type CqlProxy } from './support/cql-proxy.js';

/** 10 virtual days per real second: a 10-day billing period is one second. */
const TIME_SCALE = 864_000;
const SHARDS = 4;

let cass: TestCassandra;
let proxy: CqlProxy;
let direct: string;
let work: string;
const children: EngineProcess[] = [];

/** `stampede engine --store cassandra` through the proxy, as a child process; resolves once it serves. */
async function startEngine(keyspace: string, port: number, extra: string[] = []): Promise<EngineProcess> {
  const e = await spawnEngine([
    '--store',
    'cassandra',
    '--contact-points',
    proxy.address,
    '--keyspace',
    keyspace,
    '--shards',
    String(SHARDS),
    '--time-scale',
    String(TIME_SCALE),
    '--port',
    String(port),
    '--verbose',
    ...extra,
  ]);
  children.push(e);
  return e;
}

async function stopEngine(e: EngineProcess): Promise<void> {
  await e.stop(15_000);
}

/** `stampede verify` from the store, read directly (not through the proxy). */
function verify(resultDir: string, keyspace: string, extra: string[] = []): Promise<CliResult> {
  return verifyStore(at(), resultDir, keyspace, SHARDS, extra);
}

function at(): StoreAt {
  return { contactPoint: direct, localDataCenter: cass.localDataCenter };
}

async function createSchema(keyspace: string): Promise<void> {
  await createStoreSchema(at(), keyspace);
}

/** The range id of every shard row (shard ids start at 1, as Temporal's do), read straight from Cassandra. */
async function shardRanges(keyspace: string): Promise<Map<number, number>> {
  const client = new cassandra.Client({ contactPoints: [direct], localDataCenter: cass.localDataCenter, keyspace });
  try {
    const out = new Map<number, number>();
    for (let shard = 0; shard <= SHARDS; shard++) {
      const rs = await client.execute(
        'SELECT range_id FROM executions WHERE shard_id = ? AND type = ?',
        [shard, RowType.Shard],
        { prepare: true },
      );
      const row = rs.first();
      if (row) out.set(shard, Number(row.get('range_id')));
    }
    return out;
  } finally {
    await client.shutdown();
  }
}

/** Errors the harness counted, by `${op}|${type}`, over all phases. */
function errorsByType(result: ResultV1): Record<string, number> {
  return result.errors;
}

const SUBSCRIPTION = ['--scenario', 'subscription', '--period', '10d', '--cycles', '3', '--cancel-rate', '0.2'];

beforeAll(async () => {
  work = mkdtempSync(path.join(os.tmpdir(), 'stampede-reliability-'));
  cass = await startCassandra({ durable: true });
  direct = cass.contactPoints[0] ?? `${cass.host}:${cass.port}`;
  proxy = await startCqlProxy({ target: direct, seed: 0x5eed });
}, 180_000);

afterAll(async () => {
  for (const e of children) await stopEngine(e).catch(() => undefined);
  await proxy?.stop();
  await cass?.stop();
  rmSync(work, { recursive: true, force: true });
}, 60_000);

describe('faults survived, nothing lost', () => {
  it('CAS write timeouts with unknown outcome (write landed, and did not): the engine fences and re-acquires, nothing is lost or duplicated', async () => {
    await createSchema('rel_cas');
    const engine = await startEngine('rel_cas', 0);
    // The execution update batch (db_record_version fence) and the create batch: timeouts with writeType CAS,
    // half where Cassandra applied the write and only the reply was lost, half where nothing was written.
    const update = /IF db_record_version = \?/;
    const rules = [
      proxy.addRule({
        match: { query: update, opcode: 'BATCH' },
        action: { kind: 'write-timeout', when: 'after', writeType: 'CAS' },
        probability: 0.04,
        times: 8,
      }),
      proxy.addRule({
        match: { query: update, opcode: 'BATCH' },
        action: { kind: 'write-timeout', when: 'before', writeType: 'CAS' },
        probability: 0.04,
        times: 8,
      }),
      proxy.addRule({
        match: { query: 'IF NOT EXISTS', opcode: 'BATCH' },
        action: { kind: 'write-timeout', when: 'after', writeType: 'CAS' },
        probability: 0.05,
        times: 3,
      }),
    ];
    const out = path.join(work, 'cas');
    const r = await harness(engine.address, out, [
      ...SUBSCRIPTION,
      '--rate',
      '20',
      '--duration',
      '3s',
      '--drain-timeout',
      '60s',
    ]);
    for (const rule of rules) rule.remove();
    const injected = rules.map((x) => x.hits);
    const result = readResult(out, r);
    const lwt = result.contention?.lwt ?? {};
    console.log(
      `CAS faults injected (after, before, create-after): ${injected.join(', ')}; ` +
        `workflows started ${result.verification?.started}; LWT outcomes ${JSON.stringify(lwt)}; run: ${r.stdout.split('\n').find((l) => l.startsWith('workflows:')) ?? ''}`,
    );
    expect(injected[0]).toBeGreaterThan(0);
    expect(injected[1]).toBeGreaterThan(0);
    // The result counts them: every injected timeout is a CAS write timeout in the engine's LWT outcomes.
    expect(lwt.cas_timeout ?? 0).toBe(injected.reduce((a, b) => a + b, 0));
    expect(result.verification?.lost).toBe(0);
    expect(engineBugs(result), engine.tail()).toEqual([]);
    expect(r.code, `${r.stdout}${r.stderr}\n${await describeStuck(engine.address, result)}\n${engine.tail()}`).toBe(0);

    // Every unknown outcome fenced its shard: range id + 1 on the shard row (engine start took each to 1).
    const ranges = await shardRanges('rel_cas');
    const bumps = [...ranges.values()].reduce((a, b) => a + b, 0) - SHARDS;
    console.log(`shard range ids after the run: ${JSON.stringify(Object.fromEntries(ranges))}`);
    expect(bumps).toBeGreaterThanOrEqual(lwt.cas_timeout ?? 0);

    const v = await verify(out, 'rel_cas');
    const s = verifySummary(v);
    console.log(`verify after CAS timeouts: ${s.line}`);
    expect(v.code, v.stdout + v.stderr).toBe(0);
    expect(s.problems).toBe(0);
    // One run per customer: a duplicated start would show as a second run (or a second open run).
    expect(s.workflows).toBe(result.verification?.started);
    expect(s.runs).toBe(s.workflows);
    await stopEngine(engine);
  });

  it(
    'Cassandra stopped for 3 s mid-run and started again: the run goes on, errors are counted by type, nothing is lost',
    { timeout: 240_000 },
    async () => {
      await createSchema('rel_restart');
      const engine = await startEngine('rel_restart', 0);
      const out = path.join(work, 'restart');
      const began = Date.now();
      // Long enough that the run goes on well after the node is back: a restart takes 8-15 s on a busy machine.
      const run = harness(engine.address, out, [
        ...SUBSCRIPTION,
        '--rate',
        '10',
        '--duration',
        '30s',
        '--drain-timeout',
        '90s',
      ]);
      await new Promise((r) => setTimeout(r, 3000));
      const downAt = Date.now();
      await cass.restart(3000);
      const backAt = Date.now();
      console.log(`Cassandra was stopped, down 3 s and answering again after ${backAt - downAt} ms in all`);
      const r = await run;
      const result = readResult(out, r);
      const errors = errorsByType(result);
      console.log(
        `after the restart: workflows started ${result.verification?.started}, errors by type ${JSON.stringify(errors)}; ${r.stdout.split('\n').find((l) => l.startsWith('workflows:')) ?? ''}`,
      );
      // The outage was seen and counted by operation and type ...
      expect(Object.values(errors).reduce((a, b) => a + b, 0)).toBeGreaterThan(0);
      // ... the run kept starting workflows after it ...
      // (Interval offsets count from the run's start, a little after the process's: 'after' errs late.)
      const after = result.intervals.filter((i) => i.startMs > backAt - began + 2000 && i.phase === 'main');
      expect(
        after.reduce((n, i) => n + (i.ops.start_workflow?.count ?? 0), 0),
        engine.tail(80),
      ).toBeGreaterThan(0);
      // ... and every workflow it started completed.
      expect(result.verification?.lost).toBe(0);
      expect(engineBugs(result), engine.tail()).toEqual([]);
      expect(
        result.verification?.stuck,
        `${r.stdout}\n${await describeStuck(engine.address, result)}\n${engine.tail()}`,
      ).toBe(0);

      const v = await verify(out, 'rel_restart');
      const s = verifySummary(v);
      console.log(`verify after the Cassandra restart: ${s.line}`);
      expect(v.code, v.stdout + v.stderr).toBe(0);
      // A start whose reply was lost in the outage may exist without the harness counting it: never fewer.
      expect(s.workflows).toBeGreaterThanOrEqual(result.verification?.started ?? Infinity);
      expect(s.runs).toBe(s.workflows);
      await stopEngine(engine);
    },
  );

  it(
    'the engine killed with SIGKILL mid-run and restarted on the same keyspace: every workflow completes',
    { timeout: 240_000 },
    async () => {
      await createSchema('rel_kill');
      const port = await freePort();
      const first = await startEngine('rel_kill', port);
      const out = path.join(work, 'kill');
      const run = harness(`127.0.0.1:${port}`, out, [
        ...SUBSCRIPTION,
        '--rate',
        '10',
        '--duration',
        '8s',
        '--drain-timeout',
        '90s',
      ]);
      await new Promise((r) => setTimeout(r, 3000));
      first.child.kill('SIGKILL');
      expect((await first.exit).signal).toBe('SIGKILL');
      await new Promise((r) => setTimeout(r, 1000));
      const second = await startEngine('rel_kill', port);
      const r = await run;
      const result = readResult(out, r);
      console.log(
        `after SIGKILL: workflows started ${result.verification?.started}, errors by type ${JSON.stringify(errorsByType(result))}; ${r.stdout.split('\n').find((l) => l.startsWith('workflows:')) ?? ''}`,
      );
      expect(result.verification?.lost).toBe(0);
      expect(engineBugs(result)).toEqual([]);
      expect(
        result.verification?.stuck,
        `${r.stdout}\n${await describeStuck(second.address, result)}\n${second.tail()}`,
      ).toBe(0);

      const v = await verify(out, 'rel_kill');
      const s = verifySummary(v);
      console.log(`verify after SIGKILL and restart: ${s.line}`);
      expect(v.code, v.stdout + v.stderr).toBe(0);
      expect(s.workflows).toBeGreaterThanOrEqual(result.verification?.started ?? Infinity);
      expect(s.runs).toBe(s.workflows);
      await stopEngine(second);
    },
  );

  it('shard acquisition through CAS write timeouts (landed, and not): the engine starts and works; a start that fails exits', async () => {
    await createSchema('rel_acquire');
    // The shard row's own update (acquire, ack levels); the fences inside execution batches are not matched.
    const shardUpdate = /SET shard = \?, shard_encoding = \?, range_id = \?/;
    const rules = [
      proxy.addRule({
        match: { query: shardUpdate },
        action: { kind: 'write-timeout', when: 'after', writeType: 'CAS' },
        times: 2,
      }),
      proxy.addRule({
        match: { query: shardUpdate },
        action: { kind: 'write-timeout', when: 'before', writeType: 'CAS' },
        times: 2,
      }),
    ];
    const engine = await startEngine('rel_acquire', 0);
    for (const rule of rules) rule.remove();
    expect(rules.map((r) => r.hits)).toEqual([2, 2]);
    // Every shard is owned (range >= 1) and the engine runs workflows to completion on all of them.
    const ranges = await shardRanges('rel_acquire');
    expect([...ranges.entries()].filter(([id, range]) => id >= 1 && range >= 1)).toHaveLength(SHARDS);
    const out = path.join(work, 'acquire');
    const r = await harness(engine.address, out, ['--rate', '20', '--duration', '2s', '--drain-timeout', '30s']);
    const result = readResult(out, r);
    expect(result.verification?.lost).toBe(0);
    expect(r.code, `${r.stdout}${r.stderr}\n${engine.tail()}`).toBe(0);
    await stopEngine(engine);

    // A start that fails once the store is open (its port is taken) closes the store and exits with one line.
    const busy = net.createServer();
    const port = await new Promise<number>((resolve) =>
      busy.listen(0, '127.0.0.1', () => resolve((busy.address() as net.AddressInfo).port)),
    );
    try {
      await expect(startEngine('rel_acquire', port)).rejects.toThrow(
        new RegExp(
          `engine exited \\(1\\) before serving:[\\s\\S]*cannot listen on 127\\.0\\.0\\.1:${port}: the address is already in use`,
        ),
      );
    } finally {
      busy.close();
    }
  });

  it("two engines on one keyspace: the second takes the shards, none of the first's writes land, a worker on the second finishes every workflow", async () => {
    await createSchema('rel_take');
    const a = await startEngine('rel_take', 0);
    const out = path.join(work, 'take-a');
    // Long subscriptions (4 cycles of 10 days: ~4 s), no cancels: most are open when B takes over.
    const scenario = ['--scenario', 'subscription', '--period', '10d', '--cycles', '4', '--cancel-rate', '0'];
    const runA = harness(a.address, out, [...scenario, '--rate', '10', '--duration', '4s', '--drain-timeout', '3s']);
    await new Promise((r) => setTimeout(r, 2000));
    const rangesBefore = await shardRanges('rel_take');
    const b = await startEngine('rel_take', 0);
    const rangesAfter = await shardRanges('rel_take');
    for (const [shard, range] of rangesAfter) expect(range).toBeGreaterThan(rangesBefore.get(shard) ?? Infinity);
    const ra = await runA;
    const resultA = readResult(out, ra);
    const lwtA = resultA.contention?.lwt ?? {};
    console.log(
      `engine A after the takeover: LWT outcomes ${JSON.stringify(lwtA)}; errors ${JSON.stringify(errorsByType(resultA))}; ${ra.stdout.split('\n').find((l) => l.startsWith('workflows:')) ?? ''}`,
    );
    // A's writes after the takeover were refused by the shard fence (none landed: verify below checks the data).
    expect(lwtA.shard_ownership_lost ?? 0).toBeGreaterThan(0);
    // ... and its clients were told UNAVAILABLE (the shard is elsewhere), never INTERNAL.
    expect(engineBugs(resultA)).toEqual([]);
    // The shard rows still carry B's ranges: A never wrote them back.
    expect(await shardRanges('rel_take')).toEqual(rangesAfter);

    // Workers only, on B, for the same task queue: they finish what A's run started.
    const outB = path.join(work, 'take-b');
    const rb = await harness(b.address, outB, [
      ...scenario,
      '--starters',
      '0',
      '--duration',
      '15s',
      '--run-tag',
      resultA.runId,
    ]);
    expect(rb.code, rb.stdout + rb.stderr).toBe(0);
    const v = await verify(out, 'rel_take');
    const s = verifySummary(v);
    console.log(`verify after the takeover: ${s.line}`);
    expect(v.code, v.stdout + v.stderr).toBe(0);
    expect(s.workflows).toBeGreaterThanOrEqual(resultA.verification?.started ?? Infinity);
    expect(s.runs).toBe(s.workflows);
    await stopEngine(a);
    await stopEngine(b);
  });
});

describe('interrupted runs', () => {
  it('SIGINT mid-run: the harness drains briefly, writes a partial result.json and report, exits 130', async () => {
    const out = path.join(work, 'interrupted');
    const child = spawn(
      process.execPath,
      [BIN, 'run', '--scenario', 'hello', '--rate', '50', '--duration', '5m', '--warmup', '0s', '--out', out, '--json'],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let output = '';
    child.stdout.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr.on('data', (d: Buffer) => (output += d.toString()));
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    // Mid-run: once an interval has reported started workflows (a fixed wait is too short on a busy machine).
    const startedSoFar = (): number =>
      output
        .split('\n')
        .filter((l) => l.startsWith('{"type":"interval"'))
        .reduce(
          (n, l) => n + ((JSON.parse(l) as { ops: Record<string, { count: number }> }).ops.start_workflow?.count ?? 0),
          0,
        );
    await vi.waitFor(() => expect(startedSoFar()).toBeGreaterThan(0), { timeout: 60_000, interval: 200 });
    const began = Date.now();
    child.kill('SIGINT');
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    const code = await exited;
    clearTimeout(timer);
    console.log(`SIGINT: exit ${code} after ${Date.now() - began} ms`);
    expect(code, output).toBe(130);
    const result = readResult(out, { code, stdout: output, stderr: '' });
    expect(result.verdict).toBe('partial');
    expect(result.notes.join(' ')).toContain('interrupted: SIGINT');
    expect(result.operations.start_workflow?.count ?? 0).toBeGreaterThan(0);
    expect(existsSync(path.join(out, 'report.html'))).toBe(true);
    expect(existsSync(path.join(out, 'intervals.hlog'))).toBe(true);
  });
});

describe('bad input to the CLI gets a clear error, in bounded time', () => {
  it('an engine whose Cassandra accepts connections but never answers fails with one line, not a hang', async () => {
    const hung = await startCqlProxy({ target: direct });
    hung.setBlackhole(true);
    try {
      const began = Date.now();
      const r = await stampede(['engine', '--store', 'cassandra', '--contact-points', hung.address, '--port', '0'], {
        timeoutMs: 60_000,
      });
      console.log(`black-holed Cassandra: exit ${r.code} after ${Date.now() - began} ms: ${r.stderr.trim()}`);
      expect(r.code).not.toBe(0);
      expect(r.stderr).toMatch(/^stampede: /);
      expect(r.stderr).toContain(hung.address);
      expect(r.stderr).not.toMatch(/\n\s+at /);
    } finally {
      await hung.stop();
    }
  });

  it.each([
    [
      ['engine', '--store', 'cassandra', '--contact-points', '127.0.0.1:1', '--port', '0'],
      /cannot connect to Cassandra at 127\.0\.0\.1:1/,
    ],
    [
      ['schema', 'create', '--astra-bundle', '/no/such/bundle.zip'],
      /--astra-bundle: no file at \/no\/such\/bundle\.zip/,
    ],
    [['verify', '/no/such/result'], /cannot read \/no\/such\/result/],
    [['verify'], /give a result to verify, or --run-tag/],
  ])('stampede %j', async (args, message) => {
    const r = await stampede(args, { timeoutMs: 30_000, env: { ASTRA_DB_APPLICATION_TOKEN: '' } });
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(message);
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });
});
