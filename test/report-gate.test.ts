/**
 * Reports and gates end to end, from real runs: two runs overlaid in one report opened in headless Chromium
 * (Debian's chromium via playwright-core: no console errors, no network, every chart drawn with both runs
 * labelled, a screenshot kept in test-artifacts/); `gate` passing a rerun of the baseline configuration and
 * failing (exit 99) the same run with latency injected into the engine's store; bad inputs exit 2 with one line.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ResultV1 } from '../result/schema.js';
import { stampede } from './helpers/cli.js';

const CHROMIUM = process.env.STAMPEDE_CHROMIUM ?? '/usr/bin/chromium';
const ARTIFACTS = resolve('test-artifacts');
const dir = mkdtempSync(join(tmpdir(), 'stampede-report-'));
const runs = { base: join(dir, 'base'), again: join(dir, 'again'), slow: join(dir, 'slow') };

async function run(out: string, extra: string[] = []): Promise<void> {
  const r = await stampede(
    [
      'run',
      '--scenario',
      'hello',
      '--rate',
      '40',
      '--duration',
      '6s',
      '--warmup',
      '1s',
      '--out',
      out,
      '--quiet',
      ...extra,
    ],
    { timeoutMs: 120_000 },
  );
  expect(r.code, r.stderr).toBe(0);
}

beforeAll(async () => {
  // The baseline, a rerun of the same configuration, and the same run with 5 ms added to every store call.
  await run(runs.base, ['--label', 'baseline']);
  await run(runs.again, ['--label', 'rerun']);
  await run(runs.slow, ['--label', 'slower', '--inject-store-latency', '5ms']);
}, 240_000);

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('report', () => {
  let browser: Browser;
  beforeAll(async () => {
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox', '--disable-gpu'] });
  });
  afterAll(async () => {
    await browser.close();
  });

  it('overlays two runs in every chart, renders offline with no console errors, and is screenshotted', async () => {
    const out = join(dir, 'two.html');
    const r = await stampede(['report', runs.base, runs.slow, '-o', out]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout.trim()).toBe(out);
    const html = readFileSync(out, 'utf8');
    expect(html).not.toMatch(/<script[^>]+src=/); // everything inlined

    const page = await browser.newPage({ viewport: { width: 1300, height: 900 } });
    const problems: string[] = [];
    page.on('console', (m) => {
      if (m.type() === 'error') problems.push(m.text());
    });
    page.on('pageerror', (e) => problems.push(e.message));
    page.on('request', (req) => {
      if (!req.url().startsWith('file:') && !req.url().startsWith('data:')) problems.push(`network: ${req.url()}`);
    });
    await page.goto(`file://${out}`);
    // Browser-side code as strings: this project compiles without the DOM library.
    await page.waitForFunction(
      "[...document.querySelectorAll('[data-chart]')].every((c) => c.querySelector('svg'))",
      undefined,
      { timeout: 30_000 },
    );
    const charts = await page.evaluate<
      { id: string; marks: number; text: string }[]
    >(`[...document.querySelectorAll('[data-chart]')].map((el) => ({
      id: el.id,
      marks: el.querySelectorAll('svg g.mark-line path, svg g.mark-symbol path, svg g.mark-rect path').length,
      text: el.querySelector('svg')?.textContent ?? '',
    }))`);
    mkdirSync(ARTIFACTS, { recursive: true });
    await page.screenshot({ path: join(ARTIFACTS, 'report-two-runs.png'), fullPage: true });
    await page.close();

    expect(problems).toEqual([]);
    // Throughput, latency per operation, spectrum, workflow metrics, persistence, generator health.
    expect(charts.length).toBeGreaterThanOrEqual(8);
    for (const c of charts) {
      expect(c.marks, `chart ${c.id} draws nothing`).toBeGreaterThan(0);
      expect(c.text, `chart ${c.id} does not name both runs`).toContain('baseline');
      expect(c.text, `chart ${c.id} does not name both runs`).toContain('slower');
    }
    // The comparison table and the persistence tables carry the exact numbers.
    expect(html).toContain('id="comparison"');
    expect(html).toContain('id="persistence"');
  });

  it('bad inputs: a missing file and a result of an unknown schema version, one line each, exit 2', async () => {
    const missing = await stampede(['report', join(dir, 'nope')]);
    expect(missing.code).toBe(2);
    expect(missing.stderr.trim().split('\n')).toHaveLength(1);
    expect(missing.stderr).toContain('no such result file');

    const future = join(dir, 'future.json');
    const r = JSON.parse(readFileSync(join(runs.base, 'result.json'), 'utf8')) as Record<string, unknown>;
    writeFileSync(future, JSON.stringify({ ...r, version: 99 }));
    const unknown = await stampede(['report', future]);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr.trim().split('\n')).toHaveLength(1);
    expect(unknown.stderr).toContain('result schema version 99 is not supported');
  });
});

describe('gate', () => {
  it('passes a rerun of the baseline configuration on the same machine', async () => {
    const junit = join(dir, 'again.xml');
    const r = await stampede(['gate', '--current', runs.again, '--baseline', runs.base, '--junit', junit]);
    expect(r.code, r.stdout).toBe(0);
    expect(r.stdout).toContain('gate PASSED');
    expect(r.stdout).not.toContain('regression');
    const xml = readFileSync(junit, 'utf8');
    expect(xml).toMatch(/<testsuite [^>]*failures="0"/);
  });

  it('fails (exit 99) the same run with latency injected into the engine, naming the regressions', async () => {
    const files = {
      junit: join(dir, 'slow.xml'),
      json: join(dir, 'slow.json'),
      bmf: join(dir, 'bmf.json'),
      gab: join(dir, 'gab.json'),
    };
    const r = await stampede([
      'gate',
      '--current',
      runs.slow,
      '--baseline',
      runs.base,
      '--junit',
      files.junit,
      '--json',
      files.json,
      '--bmf',
      files.bmf,
      '--github-benchmark',
      files.gab,
    ]);
    expect(r.code, r.stdout).toBe(99);
    expect(r.stdout).toMatch(/FAIL\s+p50\(start_workflow\).*regression/);
    expect(r.stdout).toContain('gate FAILED');
    const g = JSON.parse(readFileSync(files.json, 'utf8')) as { pass: boolean; comparisons: { verdict: string }[] };
    expect(g.pass).toBe(false);
    expect(g.comparisons.some((c) => c.verdict === 'regression')).toBe(true);
    const xml = readFileSync(files.junit, 'utf8');
    expect(xml).toMatch(/<failure message="p50\(start_workflow\)/);
    // Bencher BMF: benchmark -> measure -> value; latency in ns.
    const bmf = JSON.parse(readFileSync(files.bmf, 'utf8')) as Record<string, Record<string, { value: number }>>;
    const start = bmf['stampede/hello/start_workflow'];
    expect(start?.latency?.value).toBeGreaterThan(1e6); // > 1 ms in ns
    expect(start?.throughput?.value).toBeGreaterThan(0);
    // github-action-benchmark: [{ name, unit, value }].
    const gab = JSON.parse(readFileSync(files.gab, 'utf8')) as { name: string; unit: string; value: number }[];
    expect(gab.find((b) => b.name === 'hello start_workflow p50')?.unit).toBe('ms');
    const bigger = JSON.parse(readFileSync(join(dir, 'gab.bigger.json'), 'utf8')) as { name: string }[];
    expect(bigger.some((b) => b.name === 'hello start_workflow throughput')).toBe(true);
  });

  it('judges thresholds: pass, fail with exit 99, and N*target', async () => {
    const ok = await stampede([
      'gate',
      '--current',
      runs.base,
      '--threshold',
      'errors<0.1%',
      '--threshold',
      'throughput>=0.9*target',
      '--threshold',
      'p99(workflow)<10s',
      '--threshold',
      'lost==0',
    ]);
    expect(ok.code, ok.stdout).toBe(0);
    const result = JSON.parse(readFileSync(join(runs.base, 'result.json'), 'utf8')) as ResultV1;
    const p50 = result.operations.start_workflow?.response?.p50Us ?? 0;
    const bad = await stampede([
      'gate',
      '--current',
      runs.base,
      '--threshold',
      `p50(start)<${Math.max(1, Math.floor(p50 / 2))}us`,
    ]);
    expect(bad.code).toBe(99);
    expect(bad.stdout).toMatch(/FAIL p50\(start\)</);
  });

  it('a malformed threshold is one line and exit 2', async () => {
    const r = await stampede(['gate', '--current', runs.base, '--threshold', 'p99(start) fast']);
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toContain('threshold "p99(start) fast" is not of the form');
  });
});
