/**
 * The generator measured against a target whose behaviour is known: a fixed delay must come back as the median;
 * a 1 s stall in the middle of a constant-rate run must show in the response-time tail while service time stays
 * low (no coordinated omission); the in-flight cap drops iterations and counts them; and every count in the
 * result matches what the target served.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as hdr from 'hdr-histogram-js';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { decodeHistogram, type Histogram } from '../result/histogram.js';
import type { ResultV1 } from '../result/schema.js';
import { stampede } from './helpers/cli.js';
import { startFakeTarget, type FakeTarget } from './support/fake-target.js';

const dir = mkdtempSync(join(tmpdir(), 'stampede-calibration-'));
let target: FakeTarget | undefined;

afterEach(async () => {
  await target?.stop();
  target = undefined;
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function run(name: string, args: string[]): Promise<ResultV1> {
  const out = join(dir, name);
  const r = await stampede(['run', '--scenario', 'hello', '--pollers', '0', '--out', out, '--quiet', ...args], {
    timeoutMs: 120_000,
  });
  expect(r.code, `${r.stdout}\n${r.stderr}`).toBe(0);
  return JSON.parse(readFileSync(join(out, 'result.json'), 'utf8')) as ResultV1;
}

describe('calibration against a known target', () => {
  it('a fixed 20 ms delay comes back as the median, and every start is counted once', async () => {
    target = await startFakeTarget({ delayMs: 20 });
    const r = await run('fixed', ['--target', target.address, '--rate', '100', '--duration', '3s', '--warmup', '1s']);
    const start = r.operations.start_workflow;
    expect(start?.response?.p50Us).toBeGreaterThanOrEqual(20_000);
    expect(start?.response?.p50Us).toBeLessThan(30_000);
    expect(start?.service.p50Us).toBeGreaterThanOrEqual(20_000);
    expect(start?.service.p50Us).toBeLessThan(30_000);
    // Everything the target served is in the result: measured phase in the operation, all phases in the counters.
    expect(r.counters.workflows_started).toBe(target.starts);
    expect(r.counters.workflows_started).toBe(400);
    // Operations count in the interval they complete in: a few warm-up starts finish just after warm-up ends.
    expect(start?.count).toBeGreaterThanOrEqual(300);
    expect(start?.count).toBeLessThanOrEqual(305);
    const perInterval = r.intervals
      .filter((i) => i.phase !== 'warmup')
      .reduce((n, i) => n + (i.ops.start_workflow?.count ?? 0), 0);
    expect(perInterval).toBe(start?.count);
    expect(r.verification.status).toBe('passed');
  });

  it('a 1 s stall shows in the response-time tail while service time stays low (no coordinated omission)', async () => {
    let stalled = false;
    target = await startFakeTarget({
      delayMs: 2,
      onStart: (n, t) => {
        // Stall once, 2 s into the run (200/s).
        if (n === 400 && !stalled) {
          stalled = true;
          t.stallFor(1000);
        }
      },
    });
    const r = await run('stall', [
      '--target',
      target.address,
      '--rate',
      '200',
      '--duration',
      '6s',
      '--warmup',
      '0s',
      '--connections',
      '4',
    ]);
    const start = r.operations.start_workflow;
    expect(stalled).toBe(true);
    // About 200 iterations queued behind the stall: ~10 % of 1200, so the p99 of response time is ~1 s.
    expect(start?.response?.p99Us).toBeGreaterThan(700_000);
    expect(start?.response?.maxUs).toBeGreaterThan(900_000);
    expect(start?.wait?.p99Us).toBeGreaterThan(700_000);
    // Only the 4 calls in flight when it stalled waited on the server: service time's p99 stays low.
    expect(start?.service.p99Us).toBeLessThan(100_000);
    expect(start?.count).toBe(1200);
    expect(r.health.dropped).toBe(0);
  });

  it('iterations over the in-flight cap are dropped and counted, never delayed, and the counts add up', async () => {
    target = await startFakeTarget({ delayMs: 200 });
    const r = await run('dropped', [
      '--target',
      target.address,
      '--rate',
      '200',
      '--duration',
      '2s',
      '--warmup',
      '0s',
      '--max-in-flight',
      '10',
    ]);
    const dropped = r.counters.dropped ?? 0;
    expect(dropped).toBeGreaterThan(200);
    // Scheduled = started + dropped, exactly.
    expect((r.counters.workflows_started ?? 0) + dropped).toBe(400);
    expect(r.counters.workflows_started).toBe(target.starts);
    expect(r.health.warnings.join()).toMatch(/dropped/);
  });
});

describe('distributed runs', () => {
  it('merging two --segment halves equals one whole run of the same schedule', async () => {
    target = await startFakeTarget({ delayMs: 5 });
    const args = [
      '--target',
      target.address,
      '--rate',
      '100',
      '--duration',
      '3s',
      '--warmup',
      '1s',
      '--run-tag',
      'seg-run',
    ];
    const whole = await run('whole', args);
    const wholeStarts = target.starts;
    await run('half-0', [...args, '--segment', '0/2']);
    await run('half-1', [...args, '--segment', '1/2']);
    expect(target.starts - wholeStarts).toBe(wholeStarts);
    const merged = join(dir, 'merged');
    const m = await stampede(['merge', join(dir, 'half-0'), join(dir, 'half-1'), '--out', merged]);
    expect(m.code, m.stderr).toBe(0);
    const r = JSON.parse(readFileSync(join(merged, 'result.json'), 'utf8')) as ResultV1;
    const halves = ['half-0', 'half-1'].map(
      (h) => JSON.parse(readFileSync(join(dir, h, 'result.json'), 'utf8')) as ResultV1,
    );
    expect(r.counters.workflows_started).toBe(whole.counters.workflows_started);
    // Every start lands in some interval: over all intervals the merge holds exactly the whole run's starts.
    const allStarts = (x: ResultV1): number =>
      x.intervals.reduce((n, iv) => n + (iv.ops.start_workflow?.count ?? 0) + (iv.ops.start_workflow?.errors ?? 0), 0);
    expect(allStarts(r)).toBe(allStarts(whole));
    // The measured phase excludes warm-up by the interval a start completes in: a start sent just before the
    // warm-up ends may complete just after it on a loaded machine, in one run and not in the other (at most one
    // such start per segment and boundary).
    expect(
      Math.abs((r.operations.start_workflow?.count ?? 0) - (whole.operations.start_workflow?.count ?? 0)),
    ).toBeLessThanOrEqual(2);
    expect(r.verification.started).toBe(whole.verification.started);
    expect(r.verification.status).toBe('passed');
    // Lossless: the merged histogram holds exactly the samples of both halves.
    const decode = (b64: string | undefined): Histogram => decodeHistogram(b64 ?? '');
    const mergedHist = decode(r.operations.start_workflow?.response?.histogram);
    const halfHists = halves.map((h) => decode(h.operations.start_workflow?.response?.histogram));
    expect(mergedHist.totalCount).toBe(halfHists.reduce((n, h) => n + h.totalCount, 0));
    expect(mergedHist.maxValue).toBe(Math.max(...halfHists.map((h) => h.maxValue)));
    // The two halves ran disjoint workflow ids covering the whole schedule.
    expect(new Set(target.workflowIds.slice(wholeStarts)).size).toBe(wholeStarts);
    // Intervals line up: per-interval counts of the merge are the sums of the halves'.
    for (const iv of r.intervals) {
      const sum = halves.reduce(
        (n, h) => n + (h.intervals.find((x) => x.index === iv.index)?.ops.start_workflow?.count ?? 0),
        0,
      );
      expect(iv.ops.start_workflow?.count ?? 0).toBe(sum);
    }
  });
});

describe('the interval log', () => {
  it('is the standard HdrHistogram log that HdrHistogram readers parse', () => {
    const text = readFileSync(join(dir, 'whole', 'intervals.hlog'), 'utf8');
    const reader = new hdr.HistogramLogReader(text);
    let n = 0;
    let total = 0;
    for (let h = reader.nextIntervalHistogram(); h; h = reader.nextIntervalHistogram()) {
      n += 1;
      if (h.tag === 'start_workflow.response') total += h.totalCount;
    }
    expect(n).toBeGreaterThan(4);
    expect(total).toBe(400);
  });
});
