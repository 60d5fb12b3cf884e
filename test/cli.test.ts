/** The CLI as users meet it: help, usage errors (one clear message, exit 2), and a short real run. */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { ResultV1 } from '../result/schema.js';
import { stampede } from './helpers/cli.js';

const dirs: string[] = [];
function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'stampede-cli-'));
  dirs.push(d);
  return d;
}

afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

describe('help', () => {
  it('lists the commands', async () => {
    const r = await stampede(['--help']);
    expect(r.code).toBe(0);
    for (const cmd of ['run', 'engine', 'scenarios']) expect(r.stdout).toContain(`stampede ${cmd}`);
  });

  it('documents every run option, the scenario options and examples', async () => {
    const r = await stampede(['run', '--help']);
    expect(r.code).toBe(0);
    for (const flag of [
      '--scenario',
      '--rate',
      '--duration',
      '--warmup',
      '--iterations',
      '--executor',
      '--starters',
      '--pollers',
      '--target',
      '--store',
      '--time-scale',
      '--out',
      '--segment',
    ]) {
      expect(r.stdout).toContain(flag);
    }
    expect(r.stdout).toContain('Scenario hello options');
    expect(r.stdout).toContain('--payload-bytes');
    expect(r.stdout).toContain('Examples:');
  });
});

describe('usage errors', () => {
  it.each([
    [['run', '--rate', '-5'], /--rate must be a positive number/],
    [['run', '--bogus', '3'], /unknown option --bogus/],
    [['run', '--duration', 'soon'], /--duration must be a positive duration/],
    [['run', '--scenario', 'nope'], /unknown scenario nope/],
    [['run', '--executor', 'fast'], /--executor must be one of/],
    [['frobnicate'], /Unknown argument: frobnicate/],
    [['run', '--segment', '1/2'], /--segment 1\/2 needs --run-tag/],
    [['run', '--start-at', '2020-01-01T00:00:00Z'], /--start-at 2020-01-01T00:00:00Z has passed/],
    [['run', '--start-at', '2030-01-01 10:00'], /--start-at must be an ISO-8601 instant with its zone/],
    [['engine', '--cluster'], /a cluster needs a store its members share/],
    [
      ['engine', '--cluster', '--store', 'cassandra', '--contact-points', '127.0.0.1:1', '--membership-ttl-ms', '100'],
      /membership-ttl-ms must be at least three heartbeats/,
    ],
    [
      ['engine', '--cluster', '--store', 'cassandra', '--contact-points', '127.0.0.1:1', '--host', '0.0.0.0'],
      /needs --advertise-address/,
    ],
  ])('%j exits 2 with a clear message and no stack trace', async (args, message) => {
    const r = await stampede(args);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(message);
    expect(r.stderr).not.toMatch(/\n\s+at /);
    expect(r.stdout).toBe('');
  });

  it('a run that cannot start says why in one line and leaves no results folder behind', async () => {
    const out = join(tempDir(), 'never');
    const r = await stampede(['run', '--store', 'cassandra', '--contact-points', '127.0.0.1:1', '--out', out]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('cannot connect to Cassandra at 127.0.0.1:1');
    expect(r.stderr).not.toMatch(/\n\s+at /);
    expect(existsSync(out)).toBe(false);
  });

  it('reports every problem at once', async () => {
    const r = await stampede(['run', '--rate', '0', '--duration', 'abc', '--starters', '-1']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('3 problems');
  });
});

describe('a short hello run', () => {
  it('writes result.json, the interval log and report.html, with every started workflow completed', async () => {
    const out = tempDir();
    const r = await stampede(
      ['run', '--scenario', 'hello', '--rate', '40', '--duration', '3s', '--warmup', '1s', '--out', out],
      { timeoutMs: 90_000 },
    );
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('verdict: PASS');
    for (const f of ['result.json', 'intervals.hlog', 'report.html']) expect(existsSync(join(out, f))).toBe(true);
    const result = JSON.parse(readFileSync(join(out, 'result.json'), 'utf8')) as ResultV1;
    expect(result.schema).toBe('stampede.result');
    expect(result.version).toBe(1);
    const started = result.verification.started;
    expect(started).toBe(160);
    expect(result.verification.byStatus).toEqual({ Completed: started });
    expect(result.counters.workflows_closed).toBe(started);
    // Every start is counted in the interval it completed in: all of them over the run's intervals, and the measured
    // phase holds about 3 s of them (a start scheduled in the warm-up that completes after it counts as measured).
    const perInterval = result.intervals.map((iv) => iv.ops.start_workflow?.count ?? 0);
    expect(perInterval.reduce((a, b) => a + b, 0)).toBe(started);
    expect(result.operations.start_workflow?.count).toBeGreaterThanOrEqual(100);
    expect(result.operations.start_workflow?.count).toBeLessThanOrEqual(started);
    expect(result.operations.start_workflow?.response?.p99Us).toBeGreaterThan(0);
    expect(result.metrics.workflow_e2e?.n).toBeGreaterThan(0);
    expect(readFileSync(join(out, 'report.html'), 'utf8')).toContain('vegaEmbed');
  });
});
