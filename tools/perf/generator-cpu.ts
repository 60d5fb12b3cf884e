/**
 * Benchmark (not a test): the generator's client cost. The harness (`stampede run --target`, one starter thread,
 * no pollers) and a bare grpc-js client make the same StartWorkflowExecution call against the same instant
 * target, in the same run: CPU per call at one fixed rate (ratio harness / bare; target <= 1.2), and the bare
 * client's maximum rate, which one starter thread must then sustain.
 *
 *   npm run bench:generator [-- --seconds 10 --rate 2000]
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ResultV1 } from '../../result/schema.js';
import { BIN } from '../../test/helpers/cli.js';
import { startFakeTarget } from '../../test/support/fake-target.js';

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
}

function exec(cmd: string, args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.on('exit', (code) =>
      code === 0 ? resolve(out) : reject(new Error(`${cmd} ${args.join(' ')} exited ${code}: ${err}`)),
    );
  });
}

const BARE = fileURLToPath(new URL('./bare-client.ts', import.meta.url));

export async function bare(
  address: string,
  seconds: number,
  mode: string[],
): Promise<{ calls: number; seconds: number; cpuUs: number }> {
  const out = await exec(process.execPath, ['--import', 'tsx', BARE, address, String(seconds), ...mode]);
  return JSON.parse(out.trim().split('\n').pop() ?? '{}') as { calls: number; seconds: number; cpuUs: number };
}

export async function harness(
  address: string,
  seconds: number,
  rate: number,
  dir: string,
): Promise<{ calls: number; cpuUs: number; achieved: number; result: ResultV1 }> {
  const out = join(dir, `run-${rate}`);
  await exec(process.execPath, [
    BIN,
    'run',
    '--target',
    address,
    '--pollers',
    '0',
    '--starters',
    '1',
    '--rate',
    String(rate),
    '--duration',
    `${seconds}s`,
    '--warmup',
    '2s',
    '--out',
    out,
    '--quiet',
    '--no-report',
  ]);
  const result = JSON.parse(readFileSync(join(out, 'result.json'), 'utf8')) as ResultV1;
  const measured = result.intervals.filter((i) => i.phase === 'main');
  const cpuUs = measured.reduce((n, i) => n + i.health.processCpuCores * result.timing.intervalMs * 1000, 0);
  const calls = measured.reduce((n, i) => n + (i.ops.start_workflow?.count ?? 0), 0);
  return { calls, cpuUs, achieved: result.operations.start_workflow?.throughputPerSec ?? 0, result };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const seconds = arg('seconds', 10);
  const rate = arg('rate', 2000);
  const dir = mkdtempSync(join(tmpdir(), 'stampede-genbench-'));
  const target = await startFakeTarget({ delayMs: 0 });
  try {
    console.log(
      `generator client cost vs bare grpc-js client (${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, node ${process.version}; ${seconds} s each; same StartWorkflowExecution call, instant target)`,
    );
    // Warm the target's JIT.
    await bare(target.address, 2, ['--concurrency', '32']);
    const b = await bare(target.address, seconds, ['--rate', String(rate)]);
    const h = await harness(target.address, seconds, rate, dir);
    const bareUs = b.cpuUs / b.calls;
    const harnessUs = h.cpuUs / h.calls;
    console.log(
      `  at ${rate}/s: bare client ${bareUs.toFixed(1)} µs CPU/call (${b.calls} calls); harness ${harnessUs.toFixed(1)} µs CPU/call (${h.calls} calls, whole process: coordinator + starter thread)`,
    );
    console.log(`  ratio harness / bare: ${(harnessUs / bareUs).toFixed(3)}`);
    const max = await bare(target.address, seconds, ['--concurrency', '64']);
    const maxRate = max.calls / max.seconds;
    console.log(`  bare client maximum: ${maxRate.toFixed(0)} calls/s (64 in flight)`);
    const sustain = await harness(target.address, seconds, Math.floor(maxRate), dir);
    console.log(
      `  one starter thread at ${Math.floor(maxRate)}/s: achieved ${sustain.achieved.toFixed(0)}/s (${((100 * sustain.achieved) / maxRate).toFixed(1)} %), dropped ${sustain.result.health.dropped}, schedule lag p99 ${((sustain.result.metrics.schedule_lag?.p99Us ?? 0) / 1000).toFixed(1)} ms`,
    );
  } finally {
    await target.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}
