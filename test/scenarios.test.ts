/**
 * Every scenario end to end through the CLI, on the memory store, on Cassandra and on PostgreSQL: the run passes its
 * verification (every workflow accounted for, sampled histories well-formed, the scenario's invariants hold)
 * and the result carries the workflow-level metrics the scenario is about.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { ResultV1 } from '../result/schema.js';
import { stampede } from './helpers/cli.js';
import { BACKENDS, freshKeyspace, testCluster } from './helpers/engine.js';
import { freshPostgres } from './helpers/postgres.js';

const dir = mkdtempSync(join(tmpdir(), 'stampede-scenarios-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function storeArgs(backend: string): Promise<string[]> {
  if (backend === 'memory') return ['--store', 'memory'];
  if (backend === 'postgres') return ['--store', 'postgres', '--postgres-url', await freshPostgres('scenario')];
  const c = testCluster();
  return [
    '--store',
    'cassandra',
    '--contact-points',
    c.contactPoints.join(','),
    '--local-data-center',
    c.localDataCenter,
    '--keyspace',
    await freshKeyspace('scenario'),
  ];
}

async function run(scenario: string, backend: string, args: string[]): Promise<{ result: ResultV1; stdout: string }> {
  const out = join(dir, `${scenario}-${backend}`);
  const r = await stampede(
    [
      'run',
      '--scenario',
      scenario,
      '--warmup',
      '0s',
      '--duration',
      '2s',
      '--out',
      out,
      '--no-report',
      ...(await storeArgs(backend)),
      ...args,
    ],
    { timeoutMs: 150_000 },
  );
  expect(r.code, `${r.stdout}\n${r.stderr}`).toBe(0);
  const result = JSON.parse(readFileSync(join(out, 'result.json'), 'utf8')) as ResultV1;
  expect(result.verification.status, result.verification.notes.join('\n')).toBe('passed');
  expect(result.verification.problems).toBe(0);
  expect(result.verification.lost).toBe(0);
  expect(result.verification.historiesChecked).toBeGreaterThan(0);
  return { result, stdout: r.stdout };
}

function metric(r: ResultV1, name: string): number {
  return r.metrics[name]?.n ?? 0;
}

describe.each([...BACKENDS, 'postgres'])('scenarios on %s', (backend) => {
  // Cassandra 2.1 on a shared 2-core machine commits a few hundred transactions a second: lower rates there.
  const slow = backend === 'cassandra';

  it('hello: one activity per workflow, all completed', async () => {
    const { result } = await run('hello', backend, ['--rate', slow ? '10' : '40']);
    expect(result.verification.byStatus.Completed).toBe(result.verification.started);
    for (const m of ['workflow_e2e', 'workflow_task_schedule_to_start', 'activity_schedule_to_start'])
      expect(metric(result, m), m).toBeGreaterThan(0);
  });

  it('subscription: 3 cycles of 30 days each in seconds, charges exactly once per cycle, cancels honoured', async () => {
    const { result } = await run('subscription', backend, [
      '--rate',
      slow ? '5' : '20',
      '--cycles',
      '3',
      '--period',
      '30d',
      '--cancel-rate',
      '0.5',
      '--failure-rate',
      '0.3',
    ]);
    // The scenario picked a time scale that makes a 30-day period about a second of real time.
    expect(result.target.timeScale).toBeGreaterThan(1e6);
    const e2e = result.metrics.workflow_e2e;
    expect(e2e?.n).toBe(result.verification.started);
    // Every subscription ran its three (virtual) months in well under a minute of real time.
    expect(e2e?.maxUs).toBeLessThan(30_000_000);
    expect(metric(result, 'timer_lateness')).toBeGreaterThan(0);
    expect(metric(result, 'timer_lateness_virtual')).toBe(metric(result, 'timer_lateness'));
    // Charges failed and were retried by the server; cancels were sent and handled.
    expect(result.counters.activities_failed).toBeGreaterThan(0);
    expect((result.counters.cancels_sent ?? 0) + (result.counters.cancels_after_close ?? 0)).toBeGreaterThan(0);
    expect(metric(result, 'signal_to_handled')).toBe(result.counters.cancels_sent ?? 0);
  });

  it('timers: every timer fired or was cancelled, lateness measured in real and virtual time', async () => {
    const { result } = await run('timers', backend, [
      '--rate',
      slow ? '4' : '20',
      '--timers',
      '10',
      '--delay',
      '1s',
      // Timers spread over 1.8 s: the first fires long before the last, so some are still pending to be cancelled
      // even when the machine is slow to turn the first firing's workflow task around.
      '--jitter',
      '900ms',
    ]);
    const started = result.verification.started;
    expect(result.verification.byStatus.Completed).toBe(started);
    // Every timer either fired (and was measured) or was cancelled: 10 per workflow.
    const fired = metric(result, 'timer_lateness');
    expect(fired).toBeGreaterThan(0);
    expect(fired).toBeLessThan(started * 10);
    expect(metric(result, 'timer_lateness_virtual')).toBe(fired);
  });

  it('signal-storm: every signal counted by its workflow; contention shows in the result as numbers', async () => {
    const { result, stdout } = await run('signal-storm', backend, [
      '--rate',
      slow ? '60' : '200',
      '--workflows',
      '2',
      '--continue-after',
      '50',
    ]);
    const sent = result.counters.signals_sent ?? 0;
    expect(sent).toBe(result.operations.signal_with_start?.count);
    expect(metric(result, 'signal_to_handled')).toBe(sent);
    // Runs continued as new to bound history. Signals can arrive faster than a workflow task turns around, and
    // the server refuses a continue-as-new while signals wait (UnhandledCommand) until a gap comes: in a short
    // run the refusals may be all the result shows (a 3 s run on memory: 22 continued, 322 refused).
    const continued = result.verification.byStatus.ContinuedAsNew ?? 0;
    const refused = result.counters.workflow_tasks_unhandled_command ?? 0;
    expect(continued + refused).toBeGreaterThan(0);
    // Two workflow chains, each closed once by the finish signal.
    expect(result.verification.byStatus.Completed).toBe(2);
    const c = result.contention;
    expect(c).toBeDefined();
    expect(c?.transactions).toBeGreaterThan(sent);
    expect(typeof c?.conflicts).toBe('number');
    expect(c?.lwt.applied).toBeGreaterThan(0);
    // Fan-in onto two executions: updates queued behind each other and signals were buffered during tasks.
    expect((c?.lockWaits ?? 0) + (c?.bufferedEvents ?? 0)).toBeGreaterThan(0);
    expect(stdout).toMatch(
      /engine: \d+ transactions; \d+ conflicts retried; \d+ lock waits on one run; \d+ buffered events/,
    );
  });

  it('loyalty: points equal the sum of purchases sent, coupons match, queries answered', async () => {
    const { result } = await run('loyalty', backend, [
      '--rate',
      slow ? '10' : '40',
      '--customers',
      '5',
      '--max-points',
      '100',
      '--threshold',
      '100',
      '--continue-after',
      '3',
      '--query-ratio',
      '0.3',
    ]);
    expect(result.operations.query_workflow?.count).toBeGreaterThan(0);
    expect(result.verification.byStatus.Completed).toBe(5);
    // Each customer's run continues as new after 3 purchases; while purchase signals wait the server refuses it
    // (UnhandledCommand) until a gap comes, so on a busy machine a 2 s run may show only the refusals.
    const continued = result.verification.byStatus.ContinuedAsNew ?? 0;
    expect(continued + (result.counters.workflow_tasks_unhandled_command ?? 0)).toBeGreaterThan(0);
    expect(result.counters.activities_completed).toBeGreaterThan(0); // coupons issued
    expect(metric(result, 'signal_to_handled')).toBeGreaterThan(0);
  });

  it('children: every child started on its own shard, recorded by its parent, none left running', async () => {
    const { result } = await run('children', backend, [
      '--rate',
      slow ? '3' : '10',
      '--children',
      '3',
      '--detached',
      '1',
      '--policy',
      'request-cancel',
      // Detached children outlast their parents (a slow store makes a parent take seconds): the policy ends them.
      '--linger',
      '10m',
    ]);
    const started = result.verification.started;
    // Each parent and its three children completed; each detached child was cancelled by the policy.
    expect(result.verification.byStatus.Completed).toBe(started * 4);
    expect(result.verification.byStatus.Canceled).toBe(started);
    expect(result.counters.children_started).toBe(started * 4);
    expect(metric(result, 'child_start_to_started')).toBe(started * 4);
    expect(metric(result, 'workflow_e2e')).toBe(started);
    // The go signals crossed to the children.
    expect(result.counters.signals_handled).toBe(started * 3);
  });

  it('updates: accepted ones completed once and applied, rejected ones never, latency to each stage', async () => {
    const { result } = await run('updates', backend, [
      '--rate',
      slow ? '15' : '50',
      '--workflows',
      '2',
      '--reject-ratio',
      '0.3',
      '--continue-after',
      '15',
    ]);
    const c = result.counters;
    expect(c.updates_accepted).toBeGreaterThan(0);
    expect(c.updates_rejected).toBeGreaterThan(0);
    expect(c.updates_completed).toBe(c.updates_accepted);
    expect((c.updates_accepted ?? 0) + (c.updates_rejected ?? 0)).toBe(result.operations.update_workflow?.count);
    expect(metric(result, 'update_to_accepted')).toBe(c.updates_accepted);
    expect(metric(result, 'update_to_completed')).toBe(c.updates_completed);
    // Two long-lived workflows, started by their first update, closed by the finish signal.
    expect(result.verification.byStatus.Completed).toBe(2);
  });

  it('schedules: cron chains fire together, each slot once, lateness within the stated threshold', async () => {
    // A loose lateness limit: this asserts the gate is stated and evaluated, not how fast a shared machine is (the
    // test below shows a run failing by it).
    const { result } = await run('schedules', backend, [
      '--rate',
      slow ? '4' : '10',
      '--fires',
      '2',
      '--late-after',
      '20s',
    ]);
    const started = result.verification.started;
    // Each chain: one completed firing and a last one that cancels itself (ending the chain).
    expect(result.verification.byStatus.Completed).toBe(started);
    expect(result.verification.byStatus.Canceled).toBe(started);
    expect(metric(result, 'schedule_lateness')).toBe(started * 2);
    expect(result.target.timeScale).toBe(60);
    expect(result.verification.notes.join('\n')).toMatch(/scenario threshold p99\(schedule_lateness\)<=20000ms: held/);
  });

  it('throughput-stress: each workflow did everything and its result matches what its starter sent', async () => {
    const { result } = await run('throughput-stress', backend, ['--rate', slow ? '2' : '8']);
    const started = result.verification.started;
    expect(result.verification.byStatus.ContinuedAsNew).toBe(started);
    // The second run and the completing child of each workflow; the other child cancelled by its parent.
    expect(result.verification.byStatus.Completed).toBe(started * 2);
    expect(result.verification.byStatus.Canceled).toBe(started);
    expect(result.counters.updates_completed).toBe(started);
    expect(result.counters.signals_handled).toBe(started * 2);
    expect(result.operations.query_workflow?.count).toBe(started);
  });

  it('mixed: every component ran at one total rate and passed its own checks', async () => {
    const { result } = await run('mixed', backend, ['--rate', slow ? '15' : '50', '--seed', '7']);
    const picks = Object.keys(result.counters).filter((k) => k.startsWith('mixed_'));
    expect(picks.length).toBeGreaterThanOrEqual(4);
    expect(metric(result, 'timer_lateness')).toBeGreaterThan(0);
    expect(metric(result, 'signal_to_handled')).toBeGreaterThan(0);
    expect(metric(result, 'workflow_e2e')).toBeGreaterThan(0);
  });
});

describe('scenario options', () => {
  it('invalid options give one clear error listing every problem', async () => {
    const r = await stampede([
      'run',
      '--scenario',
      'loyalty',
      '--custmers',
      '3',
      '--threshold',
      '-5',
      '--query-ratio',
      '2',
      '--rate',
      '0',
    ]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('4 problems');
    expect(r.stderr).toContain('unknown option --custmers (did you mean --customers?)');
    expect(r.stderr).toContain('--threshold must be within [1, inf], got -5');
    expect(r.stderr).toContain('--query-ratio must be a ratio in [0, 1], got 2');
    expect(r.stderr).toContain('--rate must be a positive number');
    expect(r.stderr).not.toMatch(/\n\s+at /); // no stack trace
  });

  it('schedules fails the run when more firings are late than the threshold allows', async () => {
    const out = join(dir, 'schedules-late');
    // Nothing fires within 1 µs of its due time: every firing is late, and the stated threshold fails the run.
    const r = await stampede(
      [
        'run',
        '--scenario',
        'schedules',
        '--rate',
        '5',
        '--duration',
        '1s',
        '--warmup',
        '0s',
        '--fires',
        '1',
        '--late-after',
        '1us',
        '--out',
        out,
        '--no-report',
        '--store',
        'memory',
      ],
      { timeoutMs: 60_000 },
    );
    expect(r.code).toBe(1);
    const result = JSON.parse(readFileSync(join(out, 'result.json'), 'utf8')) as ResultV1;
    expect(result.verdict).toBe('fail');
    expect(result.verification.notes.join('\n')).toMatch(
      /scenario threshold p99\(schedule_lateness\)<=0.001ms: FAILED/,
    );
  });

  it('mixed rejects unknown components in its weights', async () => {
    const r = await stampede(['run', '--scenario', 'mixed', '--weights', 'hello:1,nope:2']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('"nope:2" is not <scenario>:<weight>');
  });
});
