/**
 * The same runs on the memory store, Cassandra and PostgreSQL, side by side on this machine: for each scenario and
 * backend a `stampede engine` process (so its CPU is its own) driven by `stampede run --target` at one fixed rate,
 * then one overlaid report per scenario and a table of what each backend cost: statements and conditional writes
 * per workflow, CPU per workflow transaction of the engine and of the database (from /proc: the engine process, and
 * the database's processes — Cassandra's JVM, PostgreSQL's postmaster with its backends), and the p99s. With
 * `--capacity`, `stampede capacity` on hello for each backend too (an embedded engine, a time budget each).
 *
 *   STAMPEDE_TEST_CASSANDRA=host:port STAMPEDE_TEST_POSTGRES=postgres://... \
 *     node --import tsx tools/perf/backend-compare.ts [--rate 40] [--duration 30s] [--out results/compare] [--capacity]
 *
 * Without the variables it starts its own Cassandra 2.1 and PostgreSQL (test/support). PostgreSQL runs with fsync on
 * and synchronous_commit off: a commit is acknowledged before its WAL is flushed, as Cassandra's periodic commit log
 * acknowledges a write before its fsync, so neither backend pays a disk flush per transaction.
 */
import { spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, readlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import type { ResultV1 } from '../../result/schema.js';
import { BIN } from '../../test/helpers/cli.js';
import { spawnEngine } from '../../test/helpers/engine-process.js';
import { testCassandra } from '../../test/support/cassandra-server.js';
import { freshDatabase, startPostgres, type TestPostgres } from '../../test/support/postgres-server.js';

const { values: args } = parseArgs({
  options: {
    rate: { type: 'string', default: '40' },
    // Subscriptions cost about four times hello's transactions each: the same rate would overload one Cassandra node.
    'subscription-rate': { type: 'string', default: '10' },
    duration: { type: 'string', default: '30s' },
    out: { type: 'string', default: `results/compare-${new Date().toISOString().slice(0, 16).replace(/:/g, '')}` },
    scenarios: { type: 'string', default: 'hello,subscription' },
    capacity: { type: 'boolean', default: false },
    'capacity-budget': { type: 'string', default: '4m' },
  },
});

const TICKS = 100; // clock ticks per second of /proc/<pid>/stat (Linux's USER_HZ)

/** CPU seconds (user + system) of `pid` and every descendant of it still alive. */
function treeCpuSeconds(pid: number): number {
  const stat = new Map<number, { ppid: number; ticks: number }>();
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const s = readFileSync(`/proc/${d}/stat`, 'utf8');
      const f = s.slice(s.lastIndexOf(')') + 2).split(' ');
      stat.set(Number(d), { ppid: Number(f[1]), ticks: Number(f[11]) + Number(f[12]) });
    } catch {
      // gone meanwhile
    }
  }
  let ticks = 0;
  const todo = [pid];
  while (todo.length > 0) {
    const p = todo.pop()!;
    ticks += stat.get(p)?.ticks ?? 0;
    for (const [c, s] of stat) if (s.ppid === p) todo.push(c);
  }
  return ticks / TICKS;
}

/** The process listening on a loopback TCP port (its socket inode in /proc/net/tcp, then whose fd holds it). */
function pidListeningOn(port: number): number {
  const hex = port.toString(16).toUpperCase().padStart(4, '0');
  const inodes = new Set<string>();
  for (const file of ['/proc/net/tcp', '/proc/net/tcp6']) {
    if (!existsSync(file)) continue;
    for (const line of readFileSync(file, 'utf8').split('\n').slice(1)) {
      const f = line.trim().split(/\s+/);
      if (f[1]?.endsWith(`:${hex}`) && f[3] === '0A') inodes.add(f[9] ?? '');
    }
  }
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    let fds: string[];
    try {
      fds = readdirSync(`/proc/${d}/fd`);
    } catch {
      continue;
    }
    for (const fd of fds) {
      try {
        const m = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${d}/fd/${fd}`));
        if (m && inodes.has(m[1]!)) return Number(d);
      } catch {
        // closed meanwhile
      }
    }
  }
  throw new Error(`no process listens on port ${port}`);
}

interface Backend {
  name: 'memory' | 'cassandra' | 'postgres';
  /** Store flags for `stampede engine` / `run` / `capacity`, with a fresh keyspace or database each time. */
  storeArgs(): Promise<string[]>;
  /** The database's root process, when there is one. */
  pid: number | undefined;
}

/** Runs the CLI; exit 1 (a run whose verification failed) is data when `failedRunIsData`, not an error. */
function stampede(argv: string[], failedRunIsData = false): string {
  const r = spawnSync(process.execPath, [BIN, ...argv], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  if (r.status !== 0 && !(failedRunIsData && r.status === 1))
    throw new Error(`stampede ${argv.join(' ')} exited ${r.status}:\n${r.stderr}`);
  return r.stdout;
}

async function backends(): Promise<{ list: Backend[]; stop: () => Promise<void> }> {
  const c = await testCassandra();
  const cassandraAddr = c.contactPoints[0]!;
  let pg: TestPostgres | undefined;
  let pgUrl = process.env.STAMPEDE_TEST_POSTGRES;
  if (!pgUrl) {
    pg = await startPostgres({ fsync: true, settings: { synchronous_commit: 'off' } });
    pgUrl = pg.url;
  }
  const pgPort = Number(new URL(pgUrl).port || 5432);
  const cassandraPort = Number(cassandraAddr.split(':')[1]);
  const list: Backend[] = [
    { name: 'memory', storeArgs: () => Promise.resolve(['--store', 'memory']), pid: undefined },
    {
      name: 'cassandra',
      storeArgs: () => {
        const keyspace = `stampede_cmp_${randomUUID().replace(/-/g, '').slice(0, 10)}`;
        stampede(['schema', 'create', '--contact-points', cassandraAddr, '--keyspace', keyspace]);
        return Promise.resolve(['--store', 'cassandra', '--contact-points', cassandraAddr, '--keyspace', keyspace]);
      },
      pid: pidListeningOn(cassandraPort),
    },
    {
      name: 'postgres',
      storeArgs: async () => {
        const url = await freshDatabase(pgUrl, 'stampede_cmp');
        stampede(['schema', 'create', '--store', 'postgres', '--postgres-url', url]);
        return ['--store', 'postgres', '--postgres-url', url];
      },
      pid: pidListeningOn(pgPort),
    },
  ];
  return { list, stop: async () => void (await pg?.stop(), await c.stop()) };
}

const rateOf = (scenario: string): string => (scenario === 'subscription' ? args['subscription-rate'] : args.rate);

interface Row {
  scenario: string;
  backend: string;
  workflows: number;
  statementsPerWf: number;
  conditionalPerWf: number;
  txPerWf: number;
  engineCpuMsPerTx: number;
  dbCpuMsPerTx: number;
  startP99Ms: number;
  e2eP99Ms: number;
  verification: string;
}

async function measure(scenario: string, b: Backend, out: string): Promise<Row> {
  const storeArgs = await b.storeArgs();
  const engineArgs = [...storeArgs, '--shards', '4'];
  // The scenario's own clock compression (subscription's 30-day sleeps) is the engine's to apply under --target.
  if (scenario === 'subscription') engineArgs.push('--time-scale', '86400');
  const engine = await spawnEngine(engineArgs);
  try {
    const enginePid = engine.child.pid!;
    const e0 = treeCpuSeconds(enginePid);
    const d0 = b.pid ? treeCpuSeconds(b.pid) : 0;
    const dir = join(out, `${scenario}-${b.name}`);
    const scenarioArgs = scenario === 'subscription' ? ['--period', '1d', '--cycles', '3'] : [];
    stampede(
      [
        'run',
        '--target',
        engine.address,
        '--scenario',
        scenario,
        ...scenarioArgs,
        '--rate',
        rateOf(scenario),
        '--duration',
        args.duration,
        '--warmup',
        '5s',
        '--out',
        dir,
        '--label',
        b.name,
        '--quiet',
      ],
      true,
    );
    const engineCpu = treeCpuSeconds(enginePid) - e0;
    const dbCpu = b.pid ? treeCpuSeconds(b.pid) - d0 : 0;
    const r = JSON.parse(readFileSync(join(dir, 'result.json'), 'utf8')) as ResultV1;
    const wf = r.verification.started;
    const st = Object.values(r.engine?.persistence ?? {});
    const statements = st.reduce((n, s) => n + s.count, 0);
    const conditional = st.reduce((n, s) => n + Object.values(s.outcomes ?? {}).reduce((a, x) => a + x, 0), 0);
    const tx = r.engine?.history.transactionsCommitted ?? 0;
    const p99 = (us: number | undefined): number => Math.round((us ?? 0) / 100) / 10;
    return {
      scenario,
      backend: b.name,
      workflows: wf,
      statementsPerWf: statements / wf,
      conditionalPerWf: conditional / wf,
      txPerWf: tx / wf,
      engineCpuMsPerTx: (engineCpu * 1000) / tx,
      dbCpuMsPerTx: (dbCpu * 1000) / tx,
      startP99Ms: p99(r.operations.start_workflow?.response?.p99Us),
      e2eP99Ms: p99(r.metrics.workflow_e2e?.p99Us),
      verification: r.verification.status,
    };
  } finally {
    await engine.stop();
  }
}

async function capacity(b: Backend, out: string): Promise<string> {
  const dir = join(out, `capacity-${b.name}`);
  stampede(
    [
      'capacity',
      ...(await b.storeArgs()),
      '--scenario',
      'hello',
      '--slo',
      'p99(workflow)<1s',
      '--from',
      '20',
      '--step-duration',
      '15s',
      '--warmup',
      '5s',
      '--budget',
      args['capacity-budget'],
      '--verify-sample',
      '0',
      '--out',
      dir,
      '--quiet',
    ],
    true,
  );
  const r = JSON.parse(readFileSync(join(dir, 'result.json'), 'utf8')) as {
    verdict: string;
    capacity: { acceptedRatePerSec: number; bottleneck?: { kind?: string }; stopReason?: string };
  };
  return `${r.capacity.acceptedRatePerSec.toFixed(1)}/s (${r.verdict}; ${r.capacity.stopReason ?? ''})`;
}

async function main(): Promise<void> {
  const out = args.out;
  mkdirSync(out, { recursive: true });
  const { list, stop } = await backends();
  const rows: Row[] = [];
  const lines: string[] = [];
  try {
    for (const scenario of args.scenarios.split(',')) {
      for (const b of list) {
        process.stdout.write(`${scenario} on ${b.name} ... `);
        const row = await measure(scenario, b, out);
        rows.push(row);
        process.stdout.write(`${row.workflows} workflows, verification ${row.verification}\n`);
      }
      const dirs = list.map((b) => join(out, `${scenario}-${b.name}`));
      stampede(['report', ...dirs, '-o', join(out, `${scenario}-compare.html`)]);
    }
    const f = (x: number, d = 2): string => x.toFixed(d);
    lines.push(
      `hello ${args.rate}/s, subscription ${args['subscription-rate']}/s (1-day period, 3 cycles, a day per second), ${args.duration} after 5 s warm-up; engine: stampede engine --shards 4 (own process); ${new Date().toISOString()}`,
      '',
      '| scenario | backend | workflows | statements / wf | conditional / wf | transactions / wf | engine CPU ms / tx | database CPU ms / tx | start p99 ms | workflow p99 ms | verification |',
      '|---|---|--:|--:|--:|--:|--:|--:|--:|--:|---|',
      ...rows.map(
        (r) =>
          `| ${r.scenario} | ${r.backend} | ${r.workflows} | ${f(r.statementsPerWf, 1)} | ${f(r.conditionalPerWf, 1)} | ${f(r.txPerWf, 1)} | ${f(r.engineCpuMsPerTx)} | ${r.backend === 'memory' ? '-' : f(r.dbCpuMsPerTx)} | ${r.startP99Ms} | ${r.e2eP99Ms} | ${r.verification} |`,
      ),
    );
    if (args.capacity) {
      lines.push('', '| backend | hello accepted rate (stampede capacity, p99(workflow)<1s) |', '|---|---|');
      for (const b of list) {
        process.stdout.write(`capacity on ${b.name} ...\n`);
        lines.push(`| ${b.name} | ${await capacity(b, out)} |`);
      }
    }
  } finally {
    await stop();
  }
  const text = `${lines.join('\n')}\n`;
  writeFileSync(join(out, 'compare.md'), text);
  process.stdout.write(`\n${text}\nreports: ${out}/*-compare.html\n`);
}

await main();
