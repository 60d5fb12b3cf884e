/**
 * `npm run bench:perf` — a benchmark, not a test: every performance figure of stampede beside its ceiling,
 * measured in the same run on the same machine, as a table (and as JSON with --json, for tracking):
 *
 *   - engine RPC throughput (hello, memory store) vs a bare grpc-js unary echo            target >= 0.6
 *   - harness client CPU per StartWorkflowExecution vs a bare grpc-js client               target <= 1.2
 *   - engine LWT update rate on Cassandra vs the same statements issued directly           target >= 0.7
 *   - workflows/s for hello and subscription (memory store), eager execution on and off, with RPCs per workflow;
 *     their ceiling: the echo rate divided by the RPCs a workflow needs
 *
 * Absolute numbers drift on a shared machine; ratios measured side by side do much less. The Cassandra row uses
 * STAMPEDE_TEST_CASSANDRA when set, else starts the bundled Cassandra 2.1, else says it was skipped.
 *
 *   npm run bench:perf [-- --quick] [--json perf.json] [--baseline tools/perf/bench-perf.json] [--only rpc,cpu,lwt,wf]
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, totalmem, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { format } from 'prettier';
import { measureEngineVsEcho, median } from './engine-throughput.js';
import { ENGINE_DEFAULTS } from '../../engine/index.js';
import { startFakeTarget } from '../../test/support/fake-target.js';
import { testCassandra } from '../../test/support/cassandra-server.js';
import { bare, harness } from './generator-cpu.js';
import { measureLwt } from './lwt-throughput.js';
import { measureWorkflowThroughput } from './workflow-throughput.js';

export const PERF_SCHEMA = 'stampede.perf';

export interface PerfRow {
  id: string;
  figure: string;
  value: number | null;
  unit: string;
  ceiling: number | null;
  ceilingLabel: string;
  ratio: number | null;
  /** `>= 0.6` or `<= 1.2`; absent when the row has no target. */
  target?: { op: '>=' | '<='; value: number };
  pass: boolean | null;
  /** Samples behind the figure (calls, transactions, workflows) and behind the ceiling. */
  n: number;
  ceilingN: number;
  note: string;
}

export interface PerfResult {
  schema: typeof PERF_SCHEMA;
  version: 1;
  createdAt: string;
  gitSha: string | undefined;
  machine: { cpuModel: string; cores: number; node: string; totalMemoryGiB: number; loadAvgStart: number[] };
  rows: PerfRow[];
}

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

function row(r: Omit<PerfRow, 'pass'>): PerfRow {
  const pass =
    r.target && r.ratio !== null
      ? r.target.op === '>='
        ? r.ratio >= r.target.value
        : r.ratio <= r.target.value
      : null;
  return { ...r, pass };
}

function skipped(id: string, figure: string, target: PerfRow['target'], why: string): PerfRow {
  return {
    id,
    figure,
    value: null,
    unit: '',
    ceiling: null,
    ceilingLabel: '',
    ratio: null,
    ...(target ? { target } : {}),
    pass: null,
    n: 0,
    ceilingN: 0,
    note: `skipped: ${why}`,
  };
}

const fmt = (v: number | null, digits = 0): string => (v === null ? '-' : v.toFixed(digits));

export function formatTable(r: PerfResult): string {
  const lines = [
    `stampede bench:perf — ${r.machine.cores} × ${r.machine.cpuModel}, node ${r.machine.node}, ${r.machine.totalMemoryGiB} GiB; load average at start ${r.machine.loadAvgStart.map((x) => x.toFixed(2)).join(' ')}`,
    '',
    `${'figure'.padEnd(52)} ${'value'.padStart(10)} ${'ceiling'.padStart(10)} ${'ratio'.padStart(7)} ${'target'.padStart(8)}  ${'N (figure / ceiling)'.padEnd(22)} note`,
  ];
  for (const x of r.rows) {
    const target = x.target ? `${x.target.op} ${x.target.value}` : '';
    const verdict = x.pass === null ? '' : x.pass ? ' ok' : ' MISS';
    const digits = x.unit.startsWith('µs') ? 1 : 0;
    lines.push(
      `${x.figure.padEnd(52)} ${fmt(x.value, digits).padStart(10)} ${fmt(x.ceiling, digits).padStart(10)} ${fmt(x.ratio, 3).padStart(7)} ${(target + verdict).padStart(8)}  ${`${x.n} / ${x.ceilingN}`.padEnd(22)} ${x.unit}${x.ceilingLabel ? `; ceiling: ${x.ceilingLabel}` : ''}${x.note ? `; ${x.note}` : ''}`,
    );
  }
  return lines.join('\n');
}

/** Rows whose ratio moved the wrong way by more than `tolerance` (a share) against a baseline run. */
export function compareWithBaseline(current: PerfResult, baseline: PerfResult, tolerance: number): string[] {
  const problems: string[] = [];
  for (const b of baseline.rows) {
    const c = current.rows.find((x) => x.id === b.id);
    if (!c || c.ratio === null || b.ratio === null) continue;
    // Lower is better where the target is an upper bound (CPU cost); higher is better otherwise.
    const lowerIsBetter = b.target?.op === '<=';
    const worse = lowerIsBetter ? c.ratio > b.ratio * (1 + tolerance) : c.ratio < b.ratio * (1 - tolerance);
    if (worse)
      problems.push(`${b.id}: ratio ${c.ratio.toFixed(3)} vs baseline ${b.ratio.toFixed(3)} (tolerance ${tolerance})`);
  }
  return problems;
}

function gitSha(): string | undefined {
  try {
    return execFileSync('git', ['rev-parse', '--short', 'HEAD'], { encoding: 'utf8' }).trim();
  } catch {
    return undefined;
  }
}

async function engineRpcRows(quick: boolean): Promise<{ rows: PerfRow[]; echoRpcPerSec: number }> {
  const seconds = quick ? 6 : 12;
  const concurrency = 32;
  const rows: PerfRow[] = [];
  let echo = 0;
  for (const polling of [true, false]) {
    const r = await measureEngineVsEcho({ seconds, concurrency, payloadBytes: 16, polling, withoutTurnBudget: true });
    echo = Math.max(echo, r.echo.rpcPerSec);
    const spread = `median ${median(r.roundRatios).toFixed(2)}, range ${Math.min(...r.roundRatios).toFixed(2)}..${Math.max(...r.roundRatios).toFixed(2)}`;
    rows.push(
      row({
        id: polling ? 'engine-rpc' : 'engine-rpc-sequential',
        figure: polling ? 'engine RPC/s (hello, memory store)' : 'engine RPC/s (hello, every task via the backlog)',
        value: r.engine.rpcPerSec,
        unit: 'RPC/s',
        ceiling: r.echo.rpcPerSec,
        ceilingLabel: 'bare grpc-js unary echo',
        ratio: r.ratio,
        ...(polling ? { target: { op: '>=' as const, value: 0.6 } } : {}),
        n: r.engine.rpcs,
        ceilingN: r.echo.rpcs,
        note: `${concurrency} loops of 7 calls per workflow, ${polling ? 'polls sent ahead of their tasks (a worker keeps polls outstanding), the second workflow task from the sticky queue' : 'each poll only after the previous reply'}; ${seconds} s each in alternating 1.5 s rounds (round ratios ${spread}); ${ENGINE_DEFAULTS.requestsPerTurn} requests per event-loop turn`,
      }),
    );
    const u = r.unbudgeted;
    if (u)
      rows.push(
        row({
          id: polling ? 'engine-rpc-no-turn-budget' : 'engine-rpc-sequential-no-turn-budget',
          figure: 'same, no per-turn limit',
          value: u.engine.rpcPerSec,
          unit: 'RPC/s',
          ceiling: r.echo.rpcPerSec,
          ceilingLabel: 'bare grpc-js unary echo',
          ratio: u.ratio,
          n: u.engine.rpcs,
          ceilingN: r.echo.rpcs,
          note: `a second engine in the same alternation, the same echo rounds (round ratios median ${median(u.roundRatios).toFixed(2)}, range ${Math.min(...u.roundRatios).toFixed(2)}..${Math.max(...u.roundRatios).toFixed(2)}); requestsPerTurn: Infinity, every request of a turn handled before any reply leaves`,
        }),
      );
  }
  return { rows, echoRpcPerSec: echo };
}

async function clientCpuRow(quick: boolean): Promise<PerfRow> {
  const seconds = quick ? 5 : 10;
  const rate = 1000;
  const dir = mkdtempSync(join(tmpdir(), 'stampede-perf-cpu-'));
  const target = await startFakeTarget({ delayMs: 0 });
  try {
    await bare(target.address, 2, ['--concurrency', '32']);
    const b = await bare(target.address, seconds, ['--rate', String(rate)]);
    const h = await harness(target.address, seconds, rate, dir);
    const bareUs = b.cpuUs / b.calls;
    const harnessUs = h.cpuUs / h.calls;
    return row({
      id: 'client-cpu',
      figure: 'harness client CPU per start call',
      value: harnessUs,
      unit: 'µs CPU/call',
      ceiling: bareUs,
      ceilingLabel: 'bare grpc-js client, same call',
      ratio: harnessUs / bareUs,
      target: { op: '<=', value: 1.2 },
      n: h.calls,
      ceilingN: b.calls,
      note: `${rate}/s for ${seconds} s against an instant target; harness = whole process (coordinator + starter)`,
    });
  } finally {
    await target.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

async function lwtRows(quick: boolean): Promise<PerfRow[]> {
  const seconds = quick ? 4 : 8;
  const target = { op: '>=' as const, value: 0.7 };
  let c: Awaited<ReturnType<typeof testCassandra>>;
  try {
    c = await testCassandra();
  } catch (err) {
    const why = `no Cassandra (${err instanceof Error ? err.message.split('\n')[0] : String(err)})`;
    return [1, 4, 16].flatMap((s) => [
      skipped(`lwt-${s}`, `engine LWT updates/s on Cassandra, ${s} shard(s), update path in-process`, target, why),
      skipped(`lwt-grpc-${s}`, `engine LWT updates/s on Cassandra, ${s} shard(s), signals over gRPC`, undefined, why),
    ]);
  }
  try {
    const rows: PerfRow[] = [];
    for (const shards of [1, 4, 16]) {
      const r = await measureLwt(c.contactPoints, c.localDataCenter, shards, seconds);
      const spread = `median ${median(r.roundRatios).toFixed(2)}, range ${Math.min(...r.roundRatios).toFixed(2)}..${Math.max(...r.roundRatios).toFixed(2)}`;
      rows.push(
        row({
          id: `lwt-${shards}`,
          figure: `engine LWT updates/s on Cassandra ${c.releaseVersion}, ${shards} shard(s), update path in-process`,
          value: r.engine.perSec,
          unit: 'tx/s',
          ceiling: r.direct.perSec,
          ceilingLabel: 'same statements via cassandra-driver',
          ratio: r.ratio,
          target,
          n: r.engine.n,
          ceilingN: r.direct.n,
          note: `signals through the frontend handler on the engine's thread, as the direct loop runs on its own; shardIOConcurrency 1; ${seconds} s each in rotating 2 s rounds (round ratios ${spread}); p50 ${r.engine.p50Ms.toFixed(1)} vs ${r.direct.p50Ms.toFixed(1)} ms; CPU per tx: node ${r.cpu.engine.nodeMs.toFixed(2)} vs ${r.cpu.direct.nodeMs.toFixed(2)} ms, Cassandra ${r.cpu.engine.javaMs.toFixed(2)} vs ${r.cpu.direct.javaMs.toFixed(2)} ms`,
        }),
        row({
          id: `lwt-grpc-${shards}`,
          figure: `engine LWT updates/s on Cassandra ${c.releaseVersion}, ${shards} shard(s), signals over gRPC`,
          value: r.grpc.perSec,
          unit: 'tx/s',
          ceiling: r.direct.perSec,
          ceilingLabel: 'same statements via cassandra-driver',
          ratio: r.grpcRatio,
          n: r.grpc.n,
          ceilingN: r.direct.n,
          note: `SignalWorkflowExecution from a client thread over loopback, same rounds; p50 ${r.grpc.p50Ms.toFixed(1)} ms; CPU per tx: node ${r.cpu.grpc.nodeMs.toFixed(2)} ms (engine, client thread and HTTP/2 on both sides), Cassandra ${r.cpu.grpc.javaMs.toFixed(2)} ms`,
        }),
      );
    }
    return rows;
  } finally {
    await c.stop();
  }
}

async function workflowRows(quick: boolean, echoRpcPerSec: number | undefined): Promise<PerfRow[]> {
  const rows: PerfRow[] = [];
  for (const scenario of ['hello', 'subscription']) {
    const pair = await measureWorkflowThroughput({
      scenario,
      seconds: quick ? 5 : 10,
      warmupSeconds: quick ? 3 : 4,
      guessPerSec: scenario === 'hello' ? 300 : 150,
    });
    for (const s of [pair.eager, pair.noEager]) {
      const eager = s.eager;
      const ceiling = echoRpcPerSec === undefined ? null : echoRpcPerSec / s.rpcPerWorkflow;
      const methods = Object.entries(s.rpcByMethod)
        .filter(([m]) => m !== 'ShutdownWorker')
        .map(([m, n]) => `${m} ${(n / Math.max(1, s.workflows)).toFixed(2)}`)
        .join(' ');
      rows.push(
        row({
          id: `wf-${scenario}-${eager ? 'eager' : 'no-eager'}`,
          figure: `${scenario} workflows/s, eager ${eager ? 'on' : 'off'} (${s.rpcPerWorkflow.toFixed(2)} RPC/wf)`,
          value: s.perSec,
          unit: 'workflows/s',
          ceiling,
          ceilingLabel: 'echo RPC/s ÷ RPC per workflow',
          ratio: ceiling === null ? null : s.perSec / ceiling,
          n: s.workflows,
          ceilingN: 0,
          note: `both modes offered ${s.offeredPerSec}/s; CPU ${(s.cpuUsPerWorkflow / 1000).toFixed(2)} ms/wf; poller thread busy ${(100 * s.elu.poller).toFixed(0)} %; per workflow: ${methods}`,
        }),
      );
    }
  }
  return rows;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const quick = process.argv.includes('--quick');
  const only = new Set((arg('only') ?? 'rpc,cpu,lwt,wf').split(','));
  const result: PerfResult = {
    schema: PERF_SCHEMA,
    version: 1,
    createdAt: new Date().toISOString(),
    gitSha: gitSha(),
    machine: {
      cpuModel: cpus()[0]?.model ?? 'unknown',
      cores: cpus().length,
      node: process.version,
      totalMemoryGiB: Math.round(totalmem() / 2 ** 30),
      loadAvgStart: loadavg(),
    },
    rows: [],
  };
  let echo: number | undefined;
  if (only.has('rpc')) {
    const r = await engineRpcRows(quick);
    echo = r.echoRpcPerSec;
    result.rows.push(...r.rows);
  }
  if (only.has('cpu')) result.rows.push(await clientCpuRow(quick));
  if (only.has('lwt')) result.rows.push(...(await lwtRows(quick)));
  if (only.has('wf')) result.rows.push(...(await workflowRows(quick, echo)));
  console.log(formatTable(result));
  const json = arg('json');
  if (json) {
    mkdirSync(dirname(resolve(json)), { recursive: true });
    // Formatted as the repository's Prettier check expects, so a recorded table can be committed as is.
    writeFileSync(json, await format(JSON.stringify(result), { parser: 'json' }));
    console.log(`\nwritten: ${json}`);
  }
  const baseline = arg('baseline');
  if (baseline) {
    const b = JSON.parse(readFileSync(baseline, 'utf8')) as PerfResult;
    const tolerance = Number(arg('tolerance') ?? 0.5);
    const problems = compareWithBaseline(result, b, tolerance);
    console.log(
      problems.length === 0 ? `baseline ${baseline}: no ratio regressed beyond ${tolerance}` : problems.join('\n'),
    );
    if (problems.length > 0) process.exitCode = 99;
  }
}
