/**
 * Measurement (not a test): statements per workflow on Cassandra for each scenario, beside hello's. One engine on a
 * fresh keyspace of the test Cassandra; each scenario runs through the CLI against it (`stampede run --target`) at
 * a low rate, with its drain, so everything its workflows cause is done; the engine's statement counters (the
 * `class` label of stampede_persistence_statements_total) over that run, divided by the workflows its starters
 * started (a children parent counts once with its children, a cron chain once with its firings). Background queue
 * work (task reads, range deletes) is included: it is part of what a workflow costs.
 *
 *   STAMPEDE_TEST_CASSANDRA=host:port node --import tsx tools/perf/scenario-statements.ts [rate] [duration]
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Connection } from '@temporalio/client';
import proto from '@temporalio/proto';
import { engineOnFreshKeyspace, statementCounts } from './statement-counts.js';

const SHARDS = 4;
const BIN = fileURLToPath(new URL('../../bin/stampede.js', import.meta.url));
const rate = process.argv[2] ?? '5';
const duration = process.argv[3] ?? '4s';

/** The scenarios measured, with the options they run with (small enough for a shared test Cassandra). */
const RUNS: [string, string[]][] = [
  ['hello', []],
  ['children', ['--children', '3', '--detached', '1']],
  ['updates', ['--workflows', '2', '--reject-ratio', '0.1', '--slow-ratio', '0.2']],
  ['schedules', ['--fires', '2']],
  ['throughput-stress', []],
];

const E = proto.temporal.api.enums.v1.EventType;
/**
 * Transactions another execution's transfer task causes, counted from the source's history (each lands on the
 * target's shard, another one unless both ids hash to the same): a child's start is a create on the child's shard and
 * its ChildWorkflowExecutionStarted on the parent's (2); an external signal or cancel request is delivered to the
 * target and acknowledged on the source (2); a child's close is recorded on its parent (1).
 */
const WEIGHT = new Map<number, number>([
  [E.EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_STARTED, 2],
  [E.EVENT_TYPE_EXTERNAL_WORKFLOW_EXECUTION_SIGNALED, 2],
  [E.EVENT_TYPE_EXTERNAL_WORKFLOW_EXECUTION_CANCEL_REQUESTED, 2],
  [E.EVENT_TYPE_START_CHILD_WORKFLOW_EXECUTION_FAILED, 1],
  [E.EVENT_TYPE_SIGNAL_EXTERNAL_WORKFLOW_EXECUTION_FAILED, 1],
  [E.EVENT_TYPE_REQUEST_CANCEL_EXTERNAL_WORKFLOW_EXECUTION_FAILED, 1],
  [E.EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_COMPLETED, 1],
  [E.EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_FAILED, 1],
  [E.EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_CANCELED, 1],
  [E.EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_TERMINATED, 1],
  [E.EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_TIMED_OUT, 1],
]);

/** Cross-execution transactions of a run's workflows, counted from their histories. */
async function crossExecution(address: string, prefix: string): Promise<number> {
  const conn = await Connection.connect({ address });
  let n = 0;
  try {
    const svc = conn.workflowService;
    let token: Uint8Array | undefined;
    do {
      const page = await svc.listWorkflowExecutions({
        namespace: 'default',
        query: `WorkflowId STARTS_WITH "${prefix}"`,
        pageSize: 1000,
        ...(token ? { nextPageToken: token } : {}),
      });
      for (const x of page.executions) {
        const h = await svc.getWorkflowExecutionHistory({ namespace: 'default', execution: x.execution });
        for (const e of h.history?.events ?? []) n += WEIGHT.get(e.eventType ?? 0) ?? 0;
      }
      token = page.nextPageToken?.length ? page.nextPageToken : undefined;
    } while (token);
  } finally {
    await conn.close();
  }
  return n;
}

function run(args: string[]): Promise<number | null> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [BIN, ...args], { stdio: ['ignore', 'ignore', 'inherit'] });
    child.on('exit', resolve);
  });
}

async function main(): Promise<void> {
  // Time scale 60: a schedules period (one virtual minute) is a second; the other scenarios have no durable waits.
  const { engine, cassandra: c } = await engineOnFreshKeyspace('stampede_scenmix', {
    numShards: SHARDS,
    timeScale: 60,
  });
  const dir = mkdtempSync(join(tmpdir(), 'stampede-scenmix-'));
  const table: Record<string, Record<string, number>> = {};
  const started: Record<string, number> = {};
  const cross: Record<string, number> = {};
  const updates: Record<string, number> = {};
  try {
    for (const [scenario, extra] of RUNS) {
      const before = statementCounts(engine);
      const out = join(dir, scenario);
      const code = await run([
        'run',
        '--scenario',
        scenario,
        '--target',
        engine.address,
        '--rate',
        rate,
        '--duration',
        duration,
        '--warmup',
        '0s',
        '--out',
        out,
        '--no-report',
        ...extra,
      ]);
      const result = JSON.parse(readFileSync(join(out, 'result.json'), 'utf8')) as {
        verification: { started: number; status: string };
        options: { runTag: string };
        counters: Record<string, number>;
      };
      if (code !== 0 || result.verification.status !== 'passed')
        throw new Error(`${scenario}: the run did not pass (exit ${code}, verification ${result.verification.status})`);
      await new Promise((r) => setTimeout(r, 2000)); // background queue work settles
      const after = statementCounts(engine);
      const n = result.verification.started;
      started[scenario] = n;
      cross[scenario] = (await crossExecution(engine.address, `${result.options.runTag}-`)) / n;
      updates[scenario] = (result.counters.updates_accepted ?? 0) + (result.counters.updates_rejected ?? 0);
      table[scenario] = Object.fromEntries(
        Object.entries(after)
          .map(([k, v]) => [k, Math.round(((v - (before[k] ?? 0)) / n) * 100) / 100] as const)
          .filter(([, v]) => v > 0),
      );
    }
  } finally {
    await engine.stop();
    await c.stop();
    rmSync(dir, { recursive: true, force: true });
  }
  const names = RUNS.map(([s]) => s);
  const classes = [...new Set(names.flatMap((s) => Object.keys(table[s] ?? {})))].sort();
  const w = 12;
  console.log(`statements per workflow on Cassandra, ${SHARDS} shards, rate ${rate}/s for ${duration}`);
  console.log(`${'class'.padEnd(34)}${names.map((s) => s.padStart(Math.max(w, s.length + 2))).join('')}`);
  const row = (label: string, f: (s: string) => string) =>
    console.log(`${label.padEnd(34)}${names.map((s) => f(s).padStart(Math.max(w, s.length + 2))).join('')}`);
  row('workflows (N)', (s) => String(started[s] ?? 0));
  for (const k of classes) row(k, (s) => String(table[s]?.[k] ?? 0));
  const sum = (s: string, f: (k: string) => boolean) =>
    Object.entries(table[s] ?? {})
      .filter(([k]) => f(k))
      .reduce((a, [, v]) => a + v, 0);
  row('total', (s) => sum(s, () => true).toFixed(2));
  // The conditional (LWT) batches: every execution create or update is one, fenced on the shard's range.
  row('conditional batches', (s) => sum(s, (k) => k === 'execution.create' || k === 'execution.update').toFixed(2));
  row('history inserts', (s) => sum(s, (k) => k.startsWith('history.append')).toFixed(2));
  row('cross-execution transactions', (s) => (cross[s] ?? 0).toFixed(2));
  row('updates sent per workflow', (s) => ((updates[s] ?? 0) / (started[s] || 1)).toFixed(2));
}

await main();
