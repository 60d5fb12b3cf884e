/**
 * `stampede verify --target`: a run read back through an engine's API, with the same checks the run's own
 * verification uses (bench/verify/read-back.ts): every history, every run closed when the scenario closes them, and
 * the statuses named as visibility names them.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stampede } from './helpers/cli.js';
import { testEngine, type TestEngine } from './helpers/engine.js';

let t: TestEngine;
let dir: string;

beforeAll(async () => {
  t = await testEngine();
  dir = mkdtempSync(join(tmpdir(), 'stampede-verify-'));
});

afterAll(async () => {
  await t.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('stampede verify --target', () => {
  it('reads every workflow of a run back through the engine and finds them closed and well-formed', async () => {
    const out = join(dir, 'run');
    const run = await stampede(
      ['run', '--target', t.engine.address, '--scenario', 'hello', '--iterations', '8', '--rate', '20'].concat([
        '--warmup',
        '0s',
        '--out',
        out,
        '--no-report',
        '--quiet',
      ]),
      { timeoutMs: 90_000 },
    );
    expect(run.code, run.stderr).toBe(0);
    const v = await stampede(['verify', out, '--target', t.engine.address], { timeoutMs: 60_000 });
    expect(v.code, `${v.stdout}\n${v.stderr}`).toBe(0);
    expect(v.stdout).toMatch(
      /verify \(through [^)]+\): 8 workflows, 8 runs \(Completed 8\); 8 histories checked; 0 problem\(s\)/,
    );
  });

  it('fails on workflows still running when the scenario closes its workflows', async () => {
    // No worker: the run's own verification finds them stuck, and so must verify.
    const out = join(dir, 'stuck');
    const run = await stampede(
      ['run', '--target', t.engine.address, '--scenario', 'hello', '--iterations', '2', '--rate', '20'].concat([
        '--pollers',
        '0',
        '--no-eager',
        '--warmup',
        '0s',
        '--out',
        out,
        '--no-report',
        '--quiet',
      ]),
      { timeoutMs: 90_000 },
    );
    expect(run.code, run.stderr).toBe(1);
    const v = await stampede(['verify', out, '--target', t.engine.address], { timeoutMs: 60_000 });
    expect(v.code).toBe(1);
    expect(v.stdout).toContain('2 workflows, 2 runs (Running 2)');
    expect(v.stdout).toMatch(/! sp-[0-9a-f]+-\d+: still running/);
    expect(v.stderr).toContain('2 problem(s) found');
  });
});
