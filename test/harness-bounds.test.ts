/**
 * The harness bounds itself: a run at a rate no generator can keep ends at its duration plus the drain and says what
 * it skipped (the schedule is not replayed late); absurd flags are refused with one line and exit 2; an --out that
 * cannot be written is refused before the engine starts, including paths under /proc (where Node's recursive mkdir
 * loops forever) and /sys. The target is the calibration double (test/support/fake-target.ts): the generator is
 * what is under test, and only a double answers 10^5 starts in a few seconds on a shared 2-core machine.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { ResultV1 } from '../result/schema.js';
import { stampede } from './helpers/cli.js';
import { startFakeTarget } from './support/fake-target.js';

const dir = mkdtempSync(join(tmpdir(), 'stampede-bounds-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** One line on stderr, no stack: what a usage error looks like. */
function expectOneLine(stderr: string, pattern: RegExp): void {
  const lines = stderr.trim().split('\n');
  expect(lines, stderr).toHaveLength(1);
  expect(lines[0]).toMatch(pattern);
  expect(stderr).not.toMatch(/\n\s+at /);
}

describe('a run ends on time whatever the rate', () => {
  it('--rate 1000000 --duration 3s ends at duration + drain, and scheduled = run + dropped + skipped exactly', async () => {
    const target = await startFakeTarget({ delayMs: 1 });
    try {
      const out = join(dir, 'runaway');
      const t0 = Date.now();
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
          '1000000',
          '--duration',
          '3s',
          '--warmup',
          '0s',
          '--drain-timeout',
          '1s',
          '--max-in-flight',
          '500',
          '--verify-sample',
          '0',
          '--no-report',
          '--out',
          out,
          '--quiet',
        ],
        { timeoutMs: 90_000 },
      );
      const wallMs = Date.now() - t0;
      expect(r.code, r.stderr).toBe(0);
      const result = JSON.parse(readFileSync(join(out, 'result.json'), 'utf8')) as ResultV1;
      const c = result.counters;
      // Every scheduled iteration is accounted for, once: run, dropped at the in-flight cap, or skipped.
      expect((c.iterations ?? 0) + (c.dropped ?? 0) + (c.skipped ?? 0)).toBe(3_000_000);
      expect(c.skipped).toBeGreaterThan(0);
      expect(result.health.warnings.join(' ')).toMatch(/skipped/);
      expect(result.health.saturated).toBe(true);
      // Before the fix this run was still going after 40 s; startup, 3 s, the drain and verification fit in 30.
      expect(wallMs).toBeLessThan(30_000);
      expect(result.timing.endMs).toBeLessThan(3000 + 1000 + 5000);
    } finally {
      await target.stop();
    }
  });
});

describe('absurd flags', () => {
  const cases: [string, string[], RegExp][] = [
    ['--concurrency 10000000', ['--executor', 'constant-concurrency', '--concurrency', '10000000'], /--concurrency/],
    ['--duration 100000h', ['--duration', '100000h'], /--duration must be at most 30d/],
    ['--max-in-flight 1e9', ['--max-in-flight', '1000000000'], /--max-in-flight must be at most/],
    ['--starters 1000', ['--starters', '1000'], /--starters must be at most 64/],
    ['--rate 1e12', ['--rate', '1000000000000'], /--rate must be at most/],
    ['--interval 1ms', ['--interval', '1ms'], /--interval must be at least 100ms/],
  ];
  it.each(cases)('%s is refused with one line and exit 2, before anything starts', async (_name, flags, pattern) => {
    const r = await stampede(['run', '--out', join(dir, 'never'), ...flags], { timeoutMs: 30_000 });
    expect(r.code).toBe(2);
    expectOneLine(r.stderr, pattern);
    expect(existsSync(join(dir, 'never'))).toBe(false);
  });
});

describe('an --out that cannot be written is refused before the engine starts', () => {
  const file = join(dir, 'a-file');
  writeFileSync(file, 'not a folder');
  const cases: [string, string, RegExp][] = [
    ['under /proc (recursive mkdir loops there)', '/proc/x/y', /--out \/proc\/x\/y cannot be written/],
    ['in a folder that refuses new folders (/sys)', '/sys/kernel/stampede-x', /cannot be written: permission denied/],
    ['under a regular file', join(file, 'out'), /cannot be written: a part of the path is a file, not a folder/],
  ];
  it.each(cases)('%s', async (_name, out, pattern) => {
    const t0 = Date.now();
    const r = await stampede(['run', '--duration', '2s', '--warmup', '0s', '--out', out], { timeoutMs: 30_000 });
    expect(r.code).toBe(2);
    expectOneLine(r.stderr, pattern);
    // Refused at once: no engine was started, no schedule ran.
    expect(r.stderr).not.toMatch(/engine/);
    expect(Date.now() - t0).toBeLessThan(15_000);
  });
});
