/**
 * Faults that make sense for a single-primary SQL store, on a real PostgreSQL this file starts (it is restarted and
 * its connections are killed): connections terminated by the server mid-transaction, COMMITs in flight included
 * (pg_terminate_backend, as an administrator or a failover would); PostgreSQL restarted mid-run; the engine
 * SIGKILLed mid-run and started again on the same database. `stampede engine` runs as a child process, the
 * harness as the CLI, and `stampede verify` reads PostgreSQL straight afterwards. What must hold: nothing lost,
 * nothing stuck, no INTERNAL answers, verify clean.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort, spawnEngine, type EngineProcess } from './helpers/engine-process.js';
import { freshPostgres } from './helpers/postgres.js';
import { describeStuck, engineBugs, harness, readResult, verifySummary } from './helpers/store-runs.js';
import { stampede } from './helpers/cli.js';
import { startPostgres, type TestPostgres } from './support/postgres-server.js';
import type { ResultV1 } from '../result/schema.js';

const SHARDS = 4;
let server: TestPostgres;
let work: string;
const engines: EngineProcess[] = [];

beforeAll(async () => {
  work = mkdtempSync(path.join(os.tmpdir(), 'stampede-pgfaults-'));
  // fsync on and commit_siblings 0, so that a commit_delay set during a fault makes every COMMIT linger (below).
  server = await startPostgres({ fsync: true, settings: { commit_siblings: '0' } });
}, 60_000);

afterAll(async () => {
  for (const e of engines) await e.stop(1000).catch(() => undefined);
  await server?.stop();
  rmSync(work, { recursive: true, force: true });
}, 60_000);

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function engineOn(url: string, port = 0): Promise<EngineProcess> {
  const e = await spawnEngine([
    '--store',
    'postgres',
    '--postgres-url',
    url,
    '--shards',
    String(SHARDS),
    '--port',
    String(port),
    '--verbose',
  ]);
  engines.push(e);
  return e;
}

/**
 * Resolves once the run's load has reached the store (60 workflows written, 2 s of it), so that a fault lands mid-run and not
 * in the harness's start-up checks (which take longer than a fixed sleep on a loaded machine).
 */
async function underLoad(url: string): Promise<void> {
  const db = new pg.Client({ connectionString: url });
  await db.connect();
  try {
    const until = Date.now() + 60_000;
    while (Date.now() < until) {
      const r = await db.query<{ n: string }>('SELECT count(*) AS n FROM executions');
      if (Number(r.rows[0]?.n ?? 0) >= 60) return;
      await sleep(100);
    }
    throw new Error('the run wrote no load to the store within 60 s');
  } finally {
    await db.end();
  }
}

/** hello at 20/s for 8 s against `target`, with `faults` alongside; then the run's checks and verify from the store. */
async function runWithFaults(
  url: string,
  name: string,
  target: () => string,
  faults: () => Promise<void>,
  tail: () => string,
  drainTimeout = '60s',
): Promise<ResultV1> {
  const out = path.join(work, name);
  const run = harness(target(), out, [
    '--scenario',
    'hello',
    '--rate',
    '30',
    '--duration',
    '8s',
    '--drain-timeout',
    drainTimeout,
  ]);
  await faults();
  const r = await run;
  const result = readResult(out, r);
  expect(result.verification?.started, r.stdout).toBeGreaterThan(0);
  console.log(`${name}: ${r.stdout.split('\n').find((l) => l.startsWith('workflows:')) ?? ''}`);
  expect(result.verification?.lost).toBe(0);
  expect(engineBugs(result), tail()).toEqual([]);
  expect(result.verification?.stuck, `${r.stdout}\n${await describeStuck(target(), result)}\n${tail()}`).toBe(0);
  const v = await stampede(['verify', out, '--postgres-url', url, '--store', 'postgres', '--shards', String(SHARDS)], {
    timeoutMs: 60_000,
  });
  const s = verifySummary(v);
  console.log(`${name}, verify: ${s.line}`);
  expect(v.code, v.stdout + v.stderr).toBe(0);
  expect(s.stuck).toBe(0);
  expect(s.problems).toBe(0);
  expect(s.workflows).toBeGreaterThanOrEqual(result.verification?.started ?? Infinity);
  return result;
}

describe('PostgreSQL faults under a running engine', () => {
  it('connections terminated in a COMMIT: the commits stand, nothing lost', { timeout: 180_000 }, async () => {
    const url = await freshPostgres('terminate', server.url);
    const engine = await engineOn(url);
    const admin = new pg.Client({ connectionString: server.url });
    await admin.connect();
    let killed = 0;
    let result: ResultV1 | undefined;
    try {
      result = await runWithFaults(
        url,
        'terminate',
        () => engine.address,
        async () => {
          await sleep(2000);
          // Every COMMIT made to linger 50 ms (commit_delay), so that the engine's backends can be caught in one
          // and terminated there: the engine cannot know whether that transaction committed. Up to 3 times.
          await admin.query('ALTER SYSTEM SET commit_delay = 50000');
          await admin.query('SELECT pg_reload_conf()');
          const until = Date.now() + 15_000;
          while (killed < 3 && Date.now() < until) {
            const r = await admin.query<{ n: string }>(
              `SELECT count(pg_terminate_backend(pid)) AS n FROM pg_stat_activity WHERE application_name = 'stampede' AND pid <> pg_backend_pid() AND state = 'active' AND query = 'COMMIT'`,
            );
            const n = Number(r.rows[0]?.n ?? 0);
            killed += n;
            await sleep(n > 0 ? 1500 : 5);
          }
          await admin.query('ALTER SYSTEM RESET commit_delay');
          await admin.query('SELECT pg_reload_conf()');
        },
        () => engine.tail(),
      );
    } finally {
      await admin.end();
    }
    const outcomes = Object.entries(result?.engine?.persistence ?? {})
      .filter(([, v]) => v.outcomes !== undefined)
      .map(([k, v]) => `${k} ${JSON.stringify(v.outcomes ?? {})}`);
    console.log(`terminate: ${killed} backends terminated in a COMMIT; ${outcomes.join('; ')}`);
    expect(killed).toBeGreaterThan(0);
    // PostgreSQL finishes a COMMIT it has begun before it honours the termination: the transactions killed there
    // committed and said so, and the connection is gone after. Nothing counts as failed for no reason.
    expect(outcomes.join(' ')).not.toContain('"other"');
    await engine.stop(15_000);
  });

  it(
    'every busy backend terminated again and again under load: each recovery reloads matching, nothing stuck',
    { timeout: 180_000 },
    async () => {
      // Every few hundred ms, every engine backend not idle is terminated, for 6 s of the run: outage after outage,
      // each ending in a reload of the shards and of matching's task queues (MatchingService.reset) while pollers and
      // transfer tasks are waiting for a queue's lease. Before the fix, a poll caught there parked on the dropped
      // queue for its whole long poll and whole runs stalled with every workflow RUNNING (3 of 5 runs).
      const url = await freshPostgres('terminate_all', server.url);
      const engine = await engineOn(url);
      const admin = new pg.Client({ connectionString: server.url });
      await admin.connect();
      let killed = 0;
      try {
        await runWithFaults(
          url,
          'terminate-all',
          () => engine.address,
          async () => {
            let until = Infinity;
            const giveUp = Date.now() + 60_000;
            while (Date.now() < until && Date.now() < giveUp) {
              const r = await admin.query<{ n: string }>(
                `SELECT count(pg_terminate_backend(pid)) AS n FROM pg_stat_activity WHERE application_name = 'stampede' AND pid <> pg_backend_pid() AND state <> 'idle'`,
              );
              const n = Number(r.rows[0]?.n ?? 0);
              killed += n;
              // The 6 s start with the first backend caught busy (the harness may take a while to start its load).
              if (n > 0 && until === Infinity) until = Date.now() + 6000;
              await sleep(150);
            }
          },
          () => engine.tail(),
          // Half the engine's long poll (60 s): a poller stranded for a whole long poll shows as workflows stuck.
          '30s',
        );
      } finally {
        await admin.end();
      }
      console.log(`terminate-all: ${killed} backends terminated`);
      expect(killed).toBeGreaterThan(5);
      expect(engine.output()).toContain('reloading shards and task queues');
      await engine.stop(15_000);
    },
  );

  it(
    'PostgreSQL restarted mid-run (fast shutdown, 1 s down): the engine reloads, nothing lost',
    { timeout: 180_000 },
    async () => {
      const url = await freshPostgres('restart', server.url);
      const engine = await engineOn(url);
      await runWithFaults(
        url,
        'restart',
        () => engine.address,
        async () => {
          await underLoad(url);
          await server.restart(1000);
        },
        () => engine.tail(),
      );
      expect(engine.output()).toContain('reloading shards and task queues');
      await engine.stop(15_000);
    },
  );

  it(
    'the engine SIGKILLed mid-run and started again on the same database: every workflow completes',
    { timeout: 180_000 },
    async () => {
      const url = await freshPostgres('enginekill', server.url);
      const port = await freePort();
      let engine = await engineOn(url, port);
      await runWithFaults(
        url,
        'enginekill',
        () => `127.0.0.1:${port}`,
        async () => {
          await underLoad(url);
          engine.child.kill('SIGKILL');
          expect((await engine.exit).signal).toBe('SIGKILL');
          engine = await engineOn(url, port);
        },
        () => engine.tail(),
      );
      await engine.stop(15_000);
    },
  );
});
