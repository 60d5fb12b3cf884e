/**
 * `npm run bench:cluster` — a benchmark, not a test: how the engine cluster scales on one store. For N = 1, 2, 4
 * members (`--members`) on one Cassandra keyspace (a fresh one per N), each member held to the same CPU share by a
 * cgroup v1 CFS quota (`--cpu-per-member`, cores), a hello run offers more than the members can carry
 * (`--rate-per-member` × N) and measures what they complete. For N > 1 it runs twice, `--routing spread` (any
 * member, which forwards to the owner) and `--routing owner` (straight to the shard's owner), to price the forward
 * hop. Prints, per N and routing: throughput — the engine work done, transactions/s ÷ transactions per workflow (what
 * CPU-bound members carry, whatever the backlog), beside the workflows that closed in the window —, efficiency =
 * thr(N) ÷ (N × thr(1)), engine CPU
 * per transaction (every member's CPU ÷ every member's transactions), CPU per member, start latency, the quota's
 * throttling and verification; then the forward hop's cost (spread against owner, side by side).
 *
 * Without root or a cgroup v1 cpu hierarchy it says so and runs without quotas (the members then share the cores,
 * and the ratios show contention as much as scaling). Needs a Cassandra: STAMPEDE_TEST_CASSANDRA or
 * --contact-points (default 127.0.0.1:9042). Builds first (npm script), drives the built CLI.
 *
 *   npm run bench:cluster [-- --members 1,2,4] [--rate-per-member 150] [--cpu-per-member 0.25] [--duration 20s]
 *                          [--warmup 5s] [--shards 16] [--json scaling.json] [--no-quota]
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import cassandra from 'cassandra-driver';
import { EngineAdminClient } from '../../bench/client/admin-client.js';
import { completedRate } from '../../bench/capacity/measure.js';
import type { ResultV1 } from '../../result/schema.js';
import { cgroupV1Unavailable, CpuQuotaGroup } from './cgroup-v1.js';

const BIN = fileURLToPath(new URL('../../bin/stampede.js', import.meta.url));
const STOP_MS = 20_000;

const USAGE = `usage: npm run bench:cluster [-- --members 1,2,4] [--rate-per-member 30] [--cpu-per-member 0.25]
         [--duration 20s] [--warmup 5s] [--shards 16] [--contact-points host:port] [--local-data-center dc1]
         [--base-port 17600] [--json file] [--no-quota]
`;

function parseFlags() {
  try {
    return parseArgs({ options: OPTIONS }).values;
  } catch (err) {
    process.stderr.write(`bench:cluster: ${err instanceof Error ? err.message : String(err)}\n${USAGE}`);
    process.exit(2);
  }
}

if (process.argv.includes('--help') || process.argv.includes('-h')) {
  process.stdout.write(USAGE);
  process.exit(0);
}

const OPTIONS = {
  members: { type: 'string', default: '1,2,4' },
  // A little above what a member carries at the default quota (~13 ms of engine CPU per hello workflow): enough
  // to saturate it, not so much that the backlog swamps the measurement.
  'rate-per-member': { type: 'string', default: '30' },
  'cpu-per-member': { type: 'string', default: '0.25' },
  duration: { type: 'string', default: '20s' },
  warmup: { type: 'string', default: '5s' },
  shards: { type: 'string', default: '16' },
  'contact-points': { type: 'string', default: process.env.STAMPEDE_TEST_CASSANDRA ?? '127.0.0.1:9042' },
  'local-data-center': { type: 'string', default: 'dc1' },
  'base-port': { type: 'string', default: '17600' },
  json: { type: 'string' },
  'no-quota': { type: 'boolean', default: false },
} as const;
const flags = parseFlags();

const memberCounts = flags.members.split(',').map(Number);
const ratePerMember = Number(flags['rate-per-member']);
const cpuPerMember = Number(flags['cpu-per-member']);
const basePort = Number(flags['base-port']);
if (memberCounts.some((n) => !Number.isInteger(n) || n < 1) || !(ratePerMember > 0) || !(cpuPerMember > 0)) {
  process.stderr.write('bench:cluster: --members must be positive integers, the rates and cores positive\n');
  process.exit(2);
}
const noQuotaWhy = flags['no-quota'] ? '--no-quota' : cgroupV1Unavailable();
const store = ['--store', 'cassandra', '--contact-points', flags['contact-points']];
const dcFlags = ['--local-data-center', flags['local-data-center']];

interface Row {
  members: number;
  routing: 'spread' | 'owner';
  offeredPerSec: number;
  /** Engine transactions/s ÷ transactions per workflow: workflows' worth of work the members did per second. */
  throughputPerSec: number;
  /** Workflows that closed per second in the measured window (below the throughput while a backlog builds). */
  closedPerSec: number;
  efficiency: number | null;
  engineCpuMsPerTransaction: number | null;
  engineCoresPerMember: number | null;
  transactionsPerWorkflow: number | null;
  startP50Ms: number | null;
  startP99Ms: number | null;
  throttledShare: number | null;
  verification: string;
  n: number;
}

function cli(args: string[]): { code: number | null; out: string } {
  const r = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  return { code: r.status, out: `${r.stdout}${r.stderr}` };
}

/** The engine's CPU (every member added up) over the run's measured phase, in cores. */
function engineCores(r: ResultV1): number | null {
  const main = r.intervals.filter((iv) => iv.phase === 'main' && iv.engine);
  const a = main[0]?.engine;
  const b = main.at(-1)?.engine;
  const first = main[0];
  const last = main.at(-1);
  if (!a || !b || !first || !last || last.endMs <= first.endMs) return null;
  return (b.cpuUserUs + b.cpuSystemUs - a.cpuUserUs - a.cpuSystemUs) / 1000 / (last.endMs - first.endMs);
}

function transactionsPerSec(r: ResultV1): number | null {
  const main = r.intervals.filter((iv) => iv.phase === 'main' && iv.engine);
  const first = main[0];
  const last = main.at(-1);
  if (!first?.engine || !last?.engine || last.endMs <= first.endMs) return null;
  return ((last.engine.transactions - first.engine.transactions) * 1000) / (last.endMs - first.endMs);
}

async function waitForRing(address: string, n: number, timeoutMs: number): Promise<void> {
  const admin = new EngineAdminClient(address);
  const until = Date.now() + timeoutMs;
  try {
    for (;;) {
      const members = await admin.describeCluster(2_000).then(
        (v) => v.members.length,
        () => 0,
      );
      if (members === n) return;
      if (Date.now() > until) throw new Error(`the ring at ${address} has ${members} of ${n} members`);
      await new Promise((r) => setTimeout(r, 250));
    }
  } finally {
    admin.close();
  }
}

function stop(children: ChildProcess[]): Promise<void> {
  return Promise.all(
    children.map(
      (c) =>
        new Promise<void>((resolve) => {
          if (c.exitCode !== null || c.signalCode !== null) return resolve();
          const kill = setTimeout(() => c.kill('SIGKILL'), STOP_MS);
          c.once('exit', () => {
            clearTimeout(kill);
            resolve();
          });
          c.kill('SIGTERM');
        }),
    ),
  ).then(() => undefined);
}

async function measure(n: number, dir: string): Promise<Row[]> {
  const keyspace = `stampede_scale_${n}_${randomUUID().replace(/-/g, '').slice(0, 8)}`;
  const schema = cli(['schema', 'create', ...store, ...dcFlags, '--keyspace', keyspace, '--replication-factor', '1']);
  if (schema.code !== 0) throw new Error(`schema create failed:\n${schema.out}`);
  const groups: CpuQuotaGroup[] = [];
  const children: ChildProcess[] = [];
  const rows: Row[] = [];
  try {
    for (let i = 0; i < n; i++) {
      const port = basePort + i;
      const child = spawn(
        process.execPath,
        [
          BIN,
          'engine',
          ...store,
          ...dcFlags,
          '--keyspace',
          keyspace,
          '--shards',
          flags.shards,
          '--cluster',
          '--port',
          String(port),
        ],
        { stdio: ['ignore', 'ignore', 'inherit'] },
      );
      children.push(child);
      if (!noQuotaWhy && child.pid !== undefined) {
        const g = new CpuQuotaGroup(`stampede-member-${i}`, cpuPerMember);
        groups.push(g);
        g.add(child.pid);
      }
    }
    const targets = children.map((_, i) => `127.0.0.1:${basePort + i}`);
    await waitForRing(targets[0] ?? '', n, 90_000);
    for (const routing of n === 1 ? (['spread'] as const) : (['spread', 'owner'] as const)) {
      const out = join(dir, `n${n}-${routing}`);
      const before = groups.map((g) => g.throttling());
      const run = cli([
        'run',
        '--target',
        targets.join(','),
        '--routing',
        routing,
        '--scenario',
        'hello',
        '--rate',
        String(ratePerMember * n),
        '--duration',
        flags.duration,
        '--warmup',
        flags.warmup,
        '--workflow-pollers',
        String(4 * n),
        '--activity-pollers',
        String(4 * n),
        '--no-report',
        '--quiet',
        '--out',
        out,
      ]);
      let r: ResultV1;
      try {
        r = JSON.parse(readFileSync(join(out, 'result.json'), 'utf8')) as ResultV1;
      } catch {
        throw new Error(`N=${n} ${routing}: no result (exit ${String(run.code)}):\n${run.out}`);
      }
      const after = groups.map((g) => g.throttling());
      const periods = after.reduce((x, a, i) => x + a.periods - (before[i]?.periods ?? 0), 0);
      const throttled = after.reduce((x, a, i) => x + a.throttledPeriods - (before[i]?.throttledPeriods ?? 0), 0);
      const cores = engineCores(r);
      const txPerSec = transactionsPerSec(r);
      const start = r.operations['start_workflow']?.service;
      const txPerWorkflow =
        r.contention && r.verification.started > 0 ? r.contention.transactions / r.verification.started : null;
      rows.push({
        members: n,
        routing,
        offeredPerSec: ratePerMember * n,
        throughputPerSec: txPerSec !== null && txPerWorkflow ? txPerSec / txPerWorkflow : 0,
        closedPerSec: completedRate(r),
        efficiency: null,
        engineCpuMsPerTransaction: cores !== null && txPerSec ? (cores * 1000) / txPerSec : null,
        engineCoresPerMember: cores !== null ? cores / n : null,
        transactionsPerWorkflow: txPerWorkflow,
        startP50Ms: start ? start.p50Us / 1000 : null,
        startP99Ms: start ? start.p99Us / 1000 : null,
        throttledShare: periods > 0 ? throttled / periods : null,
        verification: `${r.verification.status} (${r.verification.started} started, ${r.verification.lost} lost)`,
        n: r.verification.started,
      });
      process.stderr.write(`N=${n} ${routing}: ${rows.at(-1)?.throughputPerSec.toFixed(1)} workflows/s of work\n`);
    }
  } finally {
    await stop(children);
    for (const g of groups) g.remove();
    const client = new cassandra.Client({
      contactPoints: flags['contact-points'].split(','),
      localDataCenter: flags['local-data-center'],
    });
    await client
      .execute(`DROP KEYSPACE IF EXISTS ${keyspace}`)
      .catch(() => undefined)
      .finally(() => client.shutdown());
  }
  return rows;
}

const f = (v: number | null, digits = 1): string => (v === null ? '-' : v.toFixed(digits));

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'stampede-cluster-scaling-'));
  process.stderr.write(
    noQuotaWhy
      ? `bench:cluster: no CPU quotas (${noQuotaWhy}): the members share the machine's cores\n`
      : `bench:cluster: each member held to ${cpuPerMember} cores (cgroup v1 cpu.cfs_quota_us)\n`,
  );
  const rows: Row[] = [];
  try {
    for (const n of memberCounts) rows.push(...(await measure(n, dir)));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  const base = rows.find((r) => r.members === 1 && r.routing === 'spread')?.throughputPerSec;
  for (const r of rows) r.efficiency = base ? r.throughputPerSec / (r.members * base) : null;
  const lines = [
    `members routing offered/s  thr/s closed/s  efficiency  engine-CPU-ms/tx  cores/member  tx/wf  start-p50-ms  start-p99-ms  throttled  verification`,
    ...rows.map(
      (r) =>
        `${String(r.members).padStart(7)} ${r.routing.padEnd(7)} ${String(r.offeredPerSec).padStart(9)} ${f(r.throughputPerSec).padStart(6)} ${f(r.closedPerSec).padStart(8)} ${f(r.efficiency, 2).padStart(11)} ${f(r.engineCpuMsPerTransaction, 2).padStart(17)} ${f(r.engineCoresPerMember, 2).padStart(13)} ${f(r.transactionsPerWorkflow, 1).padStart(6)} ${f(r.startP50Ms).padStart(13)} ${f(r.startP99Ms).padStart(13)} ${r.throttledShare === null ? '        -' : `${(r.throttledShare * 100).toFixed(0).padStart(8)}%`}  ${r.verification}`,
    ),
    '',
    'forward hop (spread = any member, which forwards; owner = straight to the shard owner):',
    ...memberCounts
      .filter((n) => n > 1)
      .map((n) => {
        const s = rows.find((r) => r.members === n && r.routing === 'spread');
        const o = rows.find((r) => r.members === n && r.routing === 'owner');
        if (!s || !o) return `  N=${n}: not measured`;
        return `  N=${n}: throughput owner/spread ${f(o.throughputPerSec / s.throughputPerSec, 2)}; engine CPU per transaction spread − owner ${f((s.engineCpuMsPerTransaction ?? NaN) - (o.engineCpuMsPerTransaction ?? NaN), 3)} ms; start p50 spread − owner ${f((s.startP50Ms ?? NaN) - (o.startP50Ms ?? NaN), 2)} ms`;
      }),
    '',
    `config: hello, ${ratePerMember}/s offered per member, ${flags.shards} shards, warm-up ${flags.warmup} + ${flags.duration}, ${noQuotaWhy ? `no quota (${noQuotaWhy})` : `${cpuPerMember} cores per member`}, store cassandra at ${flags['contact-points']}; N per row = workflows started`,
  ];
  process.stdout.write(`${lines.join('\n')}\n`);
  if (flags.json)
    writeFileSync(flags.json, `${JSON.stringify({ rows, quota: noQuotaWhy ?? cpuPerMember }, null, 2)}\n`);
}

main().catch((err: unknown) => {
  process.stderr.write(`bench:cluster: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
