/**
 * A run split over several generator processes (`--segment i/n`), as on several machines, against one engine:
 * each segment's workers poll a task queue of their own, so a workflow is closed by the process that started it and
 * its end-to-end latency is measured on one clock; `--start-at` starts every segment's schedule at one instant;
 * `merge` adds the parts up to the whole run, lines their intervals up on the engine's clock (a segment whose clock is
 * off by seconds — injected with STAMPEDE_CLOCK_SKEW_MS, since this machine has one clock — moves, its latencies do
 * not), and refuses parts that are not one run's.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ResultV1 } from '../result/schema.js';
import { stampede, type CliResult } from './helpers/cli.js';
import { testEngine, type TestEngine } from './helpers/engine.js';

const dir = mkdtempSync(join(tmpdir(), 'stampede-distributed-'));
let t: TestEngine;

beforeAll(async () => {
  t = await testEngine();
});
afterAll(async () => {
  await t.close();
  rmSync(dir, { recursive: true, force: true });
});

const RATE = ['--rate', '20', '--duration', '3s', '--warmup', '0s'];

function runArgs(out: string, extra: string[]): string[] {
  return [
    'run',
    '--scenario',
    'hello',
    '--target',
    t.engine.address,
    '--out',
    join(dir, out),
    '--quiet',
    ...RATE,
    ...extra,
  ];
}

function read(out: string): ResultV1 {
  return JSON.parse(readFileSync(join(dir, out, 'result.json'), 'utf8')) as ResultV1;
}

function ok(r: CliResult): void {
  expect(r.code, `${r.stdout}\n${r.stderr}`).toBe(0);
}

const e2eCount = (r: ResultV1): number => r.metrics['workflow_e2e']?.n ?? 0;

describe('distributed runs', () => {
  it('four segments in four processes add up to the whole run exactly, each closing only its own workflows', async () => {
    ok(await stampede(runArgs('whole', ['--run-tag', 'whole-run']), { timeoutMs: 90_000 }));
    const whole = read('whole');
    const segments = ['0/4', '1/4', '2/4', '3/4'];
    const runs = await Promise.all(
      segments.map((s, i) =>
        stampede(runArgs(`seg-${i}`, ['--segment', s, '--run-tag', 'four-way']), { timeoutMs: 120_000 }),
      ),
    );
    runs.forEach(ok);
    const parts = segments.map((_, i) => read(`seg-${i}`));
    // Each segment polled its own queue and closed only what it started: every end-to-end latency on one clock.
    expect(new Set(parts.map((p) => p.options['taskQueue'])).size).toBe(4);
    expect(parts.map((p) => p.options['taskQueue'])).toContain('stampede-hello-s2');
    for (const p of parts) {
      expect(p.counters['workflows_closed_foreign'] ?? 0).toBe(0);
      expect(e2eCount(p)).toBe(p.counters['workflows_closed']);
    }
    const m = await stampede([
      'merge',
      ...segments.map((_, i) => join(dir, `seg-${i}`)),
      '--out',
      join(dir, 'merged-4'),
    ]);
    ok(m);
    const merged = read('merged-4');
    for (const c of ['iterations', 'workflows_started', 'workflows_closed', 'activities_completed'])
      expect(merged.counters[c], c).toBe(whole.counters[c]);
    expect(e2eCount(merged)).toBe(e2eCount(whole));
    expect(merged.verification.started).toBe(whole.verification.started);
    expect(merged.verification.status).toBe('passed');
    // The four shared one seed, derived from their run tag.
    expect(new Set(parts.map((p) => p.options['seed'])).size).toBe(1);
  });

  it('a workflow closed by another process is counted, and its end-to-end latency is not measured across clocks', async () => {
    // Two processes on one queue (not segments): one only starts, the other only works.
    const queue = ['--task-queue', 'shared-queue', '--no-eager'];
    const [starter, workers] = await Promise.all([
      stampede(runArgs('starter-only', [...queue, '--pollers', '0', '--drain-timeout', '0s']), {
        timeoutMs: 90_000,
      }),
      stampede(
        [
          'run',
          '--scenario',
          'hello',
          '--target',
          t.engine.address,
          '--out',
          join(dir, 'workers-only'),
          '--quiet',
          '--starters',
          '0',
          '--duration',
          '8s',
          '--warmup',
          '0s',
          ...queue,
        ],
        { timeoutMs: 90_000 },
      ),
    ]);
    ok(workers);
    expect([0, 1]).toContain(starter.code);
    const w = read('workers-only');
    const started = read('starter-only').counters['workflows_started'] ?? 0;
    expect(started).toBeGreaterThan(0);
    expect(w.counters['workflows_closed_foreign']).toBe(w.counters['workflows_closed']);
    expect(w.counters['workflows_closed']).toBeGreaterThan(0);
    expect(e2eCount(w)).toBe(0);
  });

  it('segments start at one --start-at instant; a segment whose clock is 3 s ahead is moved on the engine clock, not measured wrong', async () => {
    const startAt = new Date(Math.ceil((Date.now() + 12_000) / 1000) * 1000).toISOString();
    const args = (i: number): string[] =>
      runArgs(`skew-${i}`, ['--segment', `${i}/2`, '--run-tag', 'skewed', '--start-at', startAt]);
    const [a, b] = await Promise.all([
      stampede(args(0), { timeoutMs: 90_000 }),
      stampede(args(1), { timeoutMs: 90_000, env: { STAMPEDE_CLOCK_SKEW_MS: '3000' } }),
    ]);
    ok(a);
    ok(b);
    const [s0, s1] = [read('skew-0'), read('skew-1')];
    expect(s0.timing.t0Ms).toBe(Date.parse(startAt));
    expect(s1.timing.t0Ms).toBe(Date.parse(startAt));
    // Each measured its clock against the engine's (this process's, unskewed).
    expect(Math.abs(s0.segment.clockOffset?.offsetMs ?? NaN)).toBeLessThan(100);
    expect(Math.abs((s1.segment.clockOffset?.offsetMs ?? NaN) + 3000)).toBeLessThan(100);
    expect(s1.segment.clockOffset?.uncertaintyMs).toBeLessThan(100);
    // Latencies are measured on one clock in each process: none carries the 3 s.
    for (const s of [s0, s1]) expect(s.metrics['workflow_e2e']?.maxUs).toBeLessThan(2_500_000);

    const m = await stampede(['merge', join(dir, 'skew-0'), join(dir, 'skew-1'), '--out', join(dir, 'merged-skew')]);
    ok(m);
    expect(m.stdout).toMatch(/segment 1 -\d+(\.\d+)? ms/);
    expect(m.stdout).toMatch(/segment 0 started its schedule 3\.0 s after the earliest .* moved 3 later/);
    const merged = read('merged-skew');
    expect(merged.metrics['workflow_e2e']?.maxUs).toBe(
      Math.max(s0.metrics['workflow_e2e']?.maxUs ?? 0, s1.metrics['workflow_e2e']?.maxUs ?? 0),
    );
    expect(merged.counters['workflows_started']).toBe(
      (s0.counters['workflows_started'] ?? 0) + (s1.counters['workflows_started'] ?? 0),
    );
    // On the engine's clock segment 1 ran 3 s earlier: merged interval k+3 holds segment 0's interval k.
    const starts = (r: ResultV1, index: number): number =>
      r.intervals.find((iv) => iv.index === index)?.ops['start_workflow']?.count ?? 0;
    for (const iv of s0.intervals)
      expect(starts(merged, iv.index + 3), `interval ${iv.index}`).toBe(
        starts(s0, iv.index) + starts(s1, iv.index + 3),
      );
    expect(merged.timing.t0Ms).toBeCloseTo(Date.parse(startAt) - 3000, -2);
    // The reports say it: each segment's card names its segment, queue and clock; the merge's names its parts.
    const html = (out: string): string => readFileSync(join(dir, out, 'report.html'), 'utf8');
    expect(html('skew-1')).toMatch(/1\/2 of the run, task queue stampede-hello-s1; engine clock -\d+/);
    expect(html('merged-skew')).toContain('clocks against the engine&#39;s: segment 0');
  });

  it('merge refuses parts of another run, a segment given twice and missing segments (unless --allow-partial)', async () => {
    const seg = (i: number): string => join(dir, `seg-${i}`);
    const other = await stampede(['merge', seg(0), join(dir, 'whole'), '--out', join(dir, 'refused')]);
    expect(other.code).toBe(2);
    expect(other.stderr.trim().split('\n')).toHaveLength(1);
    expect(other.stderr).toMatch(/is not a part of the same run .*runTag "whole-run", not "four-way"/);

    const twice = await stampede(['merge', seg(0), seg(1), seg(1), seg(2), seg(3), '--out', join(dir, 'refused')]);
    expect(twice.code).toBe(2);
    expect(twice.stderr).toMatch(/segment 1\/4 is given twice/);

    const missing = await stampede(['merge', seg(0), seg(2), '--out', join(dir, 'refused')]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/segments 1\/4, 3\/4 of run "four-way" are missing: .*--allow-partial/);

    const partial = await stampede(['merge', seg(0), seg(2), '--allow-partial', '--out', join(dir, 'partial')]);
    ok(partial);
    expect(partial.stderr).toMatch(/partial: segments 1\/4, 3\/4 missing/);
    const r = read('partial');
    expect(r.verdict).toBe('partial');
    expect(r.notes.join('\n')).toMatch(/segments 1\/4, 3\/4 missing/);
    expect(r.counters['workflows_started']).toBe(
      (read('seg-0').counters['workflows_started'] ?? 0) + (read('seg-2').counters['workflows_started'] ?? 0),
    );
  });
});
