/**
 * Files fed to `report`, `gate`, `merge`, `verify` and `run --config` from CI are input, and hostile input gets one
 * clear line and exit 2: never a crash, a pass, or unbounded memory. The result is a real one (a short run against
 * the calibration double), damaged the ways a truncated upload, a hand edit or an attacker would. And the HTML
 * report keeps escaping every string that came from a result: one rendered from script-bearing labels, scenario
 * names, error classes, notes and warnings runs no script in Chromium (Debian's, through playwright-core).
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readResult } from '../result/read.js';
import type { ResultV1 } from '../result/schema.js';
import { renderReport } from '../reports/html/render.js';
import { stampede } from './helpers/cli.js';
import { startFakeTarget } from './support/fake-target.js';

const CHROMIUM = process.env.STAMPEDE_CHROMIUM ?? '/usr/bin/chromium';
const dir = mkdtempSync(join(tmpdir(), 'stampede-hostile-'));
const base = join(dir, 'base');
let good: ResultV1;

beforeAll(async () => {
  const target = await startFakeTarget({ delayMs: 2 });
  try {
    const r = await stampede(
      [
        'run',
        '--scenario',
        'hello',
        '--pollers',
        '0',
        '--target',
        target.address,
        '--rate',
        '50',
        '--duration',
        '2s',
        '--warmup',
        '0s',
        '--out',
        base,
        '--quiet',
      ],
      { timeoutMs: 60_000 },
    );
    expect(r.code, r.stderr).toBe(0);
  } finally {
    await target.stop();
  }
  good = JSON.parse(readFileSync(join(base, 'result.json'), 'utf8')) as ResultV1;
}, 90_000);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A copy of the good result folder with result.json replaced by `text`. */
function damaged(name: string, text: string): string {
  const d = join(dir, name);
  mkdirSync(d, { recursive: true });
  writeFileSync(join(d, 'result.json'), text);
  writeFileSync(join(d, 'intervals.hlog'), readFileSync(join(base, 'intervals.hlog')));
  return d;
}

function edited(name: string, edit: (r: Record<string, unknown>) => void): string {
  const r = structuredClone(good) as unknown as Record<string, unknown>;
  edit(r);
  return damaged(name, JSON.stringify(r));
}

function expectOneLine(stderr: string, pattern: RegExp): void {
  const lines = stderr.trim().split('\n');
  expect(lines, stderr.slice(0, 2000)).toHaveLength(1);
  expect(lines[0]).toMatch(pattern);
}

describe('hostile result files are refused with their reason, in process (what every command reads them with)', () => {
  const negative = (r: Record<string, unknown>): void => {
    const ops = r.operations as Record<string, Record<string, Record<string, number>>>;
    for (const op of Object.values(ops))
      for (const k of Object.keys(op.service ?? {})) if (k !== 'histogram') op.service![k] = -1;
  };
  const cases: [string, () => string, RegExp][] = [
    [
      'truncated',
      () => {
        const text = JSON.stringify(good);
        return damaged('truncated', text.slice(0, Math.floor(text.length / 2)));
      },
      /is not valid JSON/,
    ],
    ['wrong types', () => edited('types', (r) => (r.operations = [1, 2])), /operations must be an object/],
    ['negative latencies', () => edited('negative', negative), /is negative/],
    [
      'a number too large for a double (1e400 parses as Infinity)',
      () => damaged('huge', JSON.stringify(good).replace(/"count":\d+/, '"count":1e400')),
      /is not a finite number/,
    ],
    [
      'percentiles out of order',
      () =>
        edited(
          'order',
          (r) =>
            ((r.metrics as never as Record<string, Record<string, number>>)[
              Object.keys(r.metrics as object)[0] ?? ''
            ]!.p50Us = 9e12),
        ),
      /is above/,
    ],
    [
      'a 50 MB label',
      () => edited('label', (r) => (r.label = 'x'.repeat(1024 * 1024))),
      /label is a string of 1048576 characters/,
    ],
    [
      'nesting 100,000 deep',
      () =>
        damaged(
          'deep',
          JSON.stringify(good).replace(
            /"scenario":\{/,
            `"scenario":{"deep":${'['.repeat(100_000)}${']'.repeat(100_000)},`,
          ),
        ),
      /nested deeper than 32 levels/,
    ],
    [
      'a histogram that is not one',
      () =>
        edited(
          'histogram',
          (r) =>
            ((Object.values(r.operations as object)[0] as { service: { histogram: string } }).service.histogram =
              'AAAA'),
        ),
      /is not an encoded HdrHistogram/,
    ],
    [
      'a file name that leaves the folder',
      () => edited('escape', (r) => ((r.files as Record<string, string>).hlog = '../../etc/passwd')),
      /files.hlog must be a file name inside the result's folder/,
    ],
  ];
  it.each(cases)('%s', (_name, make, pattern) => {
    const path = make();
    expect(() => readResult(path)).toThrow(pattern);
  });

  it('the good result reads back (the checks refuse nothing a run writes)', () => {
    expect(readResult(base).runId).toBe(good.runId);
  });
});

describe('each command turns a hostile file into one line and exit 2', () => {
  it('report: a 50 MB label', async () => {
    const d = edited('cli-label', (r) => (r.label = '<'.repeat(50 * 1024 * 1024)));
    const r = await stampede(['report', d, '-o', join(dir, 'r.html')]);
    expect(r.code).toBe(2);
    expectOneLine(r.stderr, /label is a string of/);
  });

  it('gate: a result of all-negative numbers does not pass', async () => {
    const d = edited('cli-negative', (r) => {
      for (const op of Object.values(r.operations as Record<string, Record<string, Record<string, number>>>))
        for (const k of Object.keys(op.service ?? {})) if (k !== 'histogram') op.service![k] = -5;
      r.counters = Object.fromEntries(Object.keys(r.counters as object).map((k) => [k, -1]));
    });
    const r = await stampede(['gate', '--current', d, '--threshold', 'p99(start)<50ms']);
    expect(r.code).toBe(2);
    expectOneLine(r.stderr, /is negative/);
  });

  it('merge: an interval log that is not one', async () => {
    // Two segments of one run (merge refuses a part given twice before it reads any interval log).
    const asSegment = (index: number) => (r: Record<string, unknown>) => {
      r.segment = { index, count: 2 };
      (r.options as Record<string, unknown>).segment = { index, count: 2 };
    };
    const first = edited('cli-hlog-0', asSegment(0));
    const d = edited('cli-hlog', asSegment(1));
    writeFileSync(join(d, 'intervals.hlog'), 'Tag=x,0.0,1.0,1.0,not-a-histogram\n');
    const r = await stampede(['merge', first, d, '--out', join(dir, 'merged')]);
    expect(r.code).toBe(2);
    expectOneLine(r.stderr, /malformed interval log line \(not an encoded HdrHistogram\)/);
  });

  it('verify: expectations that are not counts', async () => {
    const d = edited('cli-expected', (r) => ((r.files as Record<string, string>).expected = 'expected.json'));
    writeFileSync(join(d, 'expected.json'), JSON.stringify({ 'wf-1': { signals: 'many' } }));
    const r = await stampede(['verify', d, '--target', '127.0.0.1:1']);
    expect(r.code).toBe(2);
    expectOneLine(r.stderr, /must map to counts/);
  });

  const configs: [string, string, string, RegExp][] = [
    ['200 KB of nested [', 'nested.yaml', `rate: ${'['.repeat(200_000)}`, /nested 200000 levels deep \(at most 64\)/],
    [
      'an alias bomb',
      'bomb.yaml',
      [
        'a: &a [x, x, x, x, x, x, x, x, x]',
        ...'bcdefgh'.split('').map((k, i) => `${k}: &${k} [${Array(9).fill(`*${'abcdefgh'[i]}`).join(', ')}]`),
        'rate: 5',
      ].join('\n'),
      /resource exhaustion|alias/i,
    ],
    ['2 MB', 'big.yaml', `label: ${'x'.repeat(2 * 1024 * 1024)}\n`, /more than a config file holds/],
  ];
  it.each(configs)('run --config: %s', async (_name, file, text, pattern) => {
    const path = join(dir, file);
    writeFileSync(path, text);
    const r = await stampede(['run', '--config', path, '--out', join(dir, 'never')], { timeoutMs: 30_000 });
    expect(r.code).toBe(2);
    expectOneLine(r.stderr, pattern);
  });
});

describe('the report escapes every string that came from a result', () => {
  it('script tags, event handlers and a closing </script> in labels, names, error classes and notes run nothing', async () => {
    const vectors = [
      '<script>window.__pwned = (window.__pwned || 0) + 1</script>',
      '<img src=x onerror="window.__pwned = (window.__pwned || 0) + 1">',
      '</script><script>window.__pwned = (window.__pwned || 0) + 1</script>',
      '"><svg onload="window.__pwned = (window.__pwned || 0) + 1">',
      "'};window.__pwned=1;//",
    ];
    const r = structuredClone(good);
    r.label = vectors.join(' ');
    r.scenario = { ...r.scenario, name: vectors[1] as string, stresses: vectors[2] as string };
    r.errors = Object.fromEntries(vectors.map((v, i) => [`start_workflow|${v}${i}`, i + 1]));
    r.health = { ...r.health, warnings: vectors };
    r.verification = { ...r.verification, notes: vectors };
    r.intervals = r.intervals.map((iv) => ({ ...iv, errors: Object.fromEntries(vectors.map((v) => [v, 1])) }));
    const out = join(dir, 'xss.html');
    writeFileSync(out, renderReport([r]));

    const browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox', '--disable-gpu'] });
    try {
      const page = await browser.newPage();
      const dialogs: string[] = [];
      page.on('dialog', (d) => {
        dialogs.push(d.message());
        void d.dismiss();
      });
      await page.goto(`file://${out}`);
      await page.waitForFunction("[...document.querySelectorAll('[data-chart]')].every((c) => c.querySelector('svg'))");
      expect(await page.evaluate('window.__pwned')).toBeUndefined();
      expect(dialogs).toEqual([]);
      // The strings are there, as text: escaped, not dropped.
      expect(await page.evaluate('document.body.innerText')).toContain('<script>window.__pwned');
      expect(await page.evaluate("document.querySelectorAll('img[src=x], svg[onload]').length")).toBe(0);
    } finally {
      await browser.close();
    }
  });
});
