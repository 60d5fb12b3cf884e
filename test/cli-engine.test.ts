/** `stampede engine` serves the reference engine standalone, is driven over gRPC, and stops cleanly on SIGTERM. */
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { expect, it } from 'vitest';
import { WorkflowServiceClient } from '../bench/client/workflow-service.js';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ResultV1 } from '../result/schema.js';
import { BIN, stampede } from './helpers/cli.js';
import { cmd, RawWorker } from './helpers/raw-worker.js';

it('serves, runs a workflow, and exits 0 on SIGTERM', async () => {
  const child = spawn(process.execPath, [BIN, 'engine', '--port', '0', '--shards', '8', '--time-scale', '10'], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  const address = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`engine did not start: ${out}`)), 30_000);
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /serving WorkflowService on (\S+)/.exec(out);
      if (m?.[1]) {
        clearTimeout(timer);
        resolve(m[1]);
      }
    });
  });
  expect(out).toContain('8 shards');
  const client = new WorkflowServiceClient(address);
  try {
    const w = new RawWorker(client, 'cli-engine');
    const id = `cli-${randomUUID().slice(0, 8)}`;
    await w.start(id);
    await w.complete(await w.pollWorkflowTask(), [cmd.complete()]);
    expect((await w.types(id)).pop()).toBe('WORKFLOW_EXECUTION_COMPLETED');
  } finally {
    client.close();
  }
  // The harness drives the standalone engine with --target and pulls its statistics over the admin surface.
  const outDir = mkdtempSync(join(tmpdir(), 'stampede-target-'));
  try {
    const r = await stampede([
      'run',
      '--target',
      address,
      '--rate',
      '30',
      '--duration',
      '2s',
      '--warmup',
      '0s',
      '--out',
      outDir,
      '--quiet',
    ]);
    expect(r.code, r.stderr).toBe(0);
    const result = JSON.parse(readFileSync(join(outDir, 'result.json'), 'utf8')) as ResultV1;
    expect(result.target.kind).toBe('external');
    expect(result.engine?.engineId).toMatch(/^engine-/);
    expect(result.engine?.numShards).toBe(8);
    expect(result.intervals.some((i) => (i.engine?.transactions ?? 0) > 0)).toBe(true);
    expect(result.verification.status).toBe('passed');
  } finally {
    rmSync(outDir, { recursive: true, force: true });
  }
  const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  expect(await exited).toBe(0);
});

it('rejects bad engine flags with exit 2', async () => {
  const r = await stampede(['engine', '--port', '99999', '--shards', '0']);
  expect(r.code).toBe(2);
  expect(r.stderr).toContain('--port must be an integer in [0, 65535]');
  expect(r.stderr).toContain('--shards must be an integer >= 1');
});

it('a port already in use (service or metrics): one line naming the address, exit 1, no stack, no hang', async () => {
  const { createServer } = await import('node:net');
  const busy = createServer();
  const port = await new Promise<number>((resolve) =>
    busy.listen(0, '127.0.0.1', () => resolve((busy.address() as { port: number }).port)),
  );
  try {
    for (const flag of ['--port', '--metrics-port']) {
      const args = flag === '--port' ? ['--port', String(port)] : ['--port', '0', '--metrics-port', String(port)];
      const r = await stampede(['engine', ...args], { timeoutMs: 30_000 });
      expect(r.code, flag).toBe(1);
      expect(r.stderr).toContain(`stampede: cannot listen on 127.0.0.1:${port}: the address is already in use`);
      expect(r.stderr).not.toMatch(/\n\s+at /);
    }
  } finally {
    busy.close();
  }
});

it('transport bounds and limits from flags, a config file and the environment reach the engine and /metrics', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'stampede-transport-'));
  const config = join(dir, 'engine.yaml');
  writeFileSync(config, 'idleTimeout: 45s\nlimit:\n  - limit.numPendingActivities.error=123\n');
  const child = spawn(
    process.execPath,
    [BIN, 'engine', '--port', '0', '--metrics-port', '0', '--max-connections', '7', '--config', config],
    { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, STAMPEDE_MAX_LARGE_MESSAGES: '3' } },
  );
  try {
    let out = '';
    const metricsUrl = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`engine did not start: ${out}`)), 30_000);
      child.stderr.on('data', (d: Buffer) => (out += d.toString()));
      child.once('exit', () => reject(new Error(`engine exited: ${out}`)));
      child.stdout.on('data', (d: Buffer) => {
        out += d.toString();
        const m = /metrics on (http:\/\/\S+\/metrics)/.exec(out);
        if (m?.[1]) {
          clearTimeout(timer);
          resolve(m[1]);
        }
      });
    });
    const text = await (await fetch(metricsUrl)).text();
    expect(text).toContain('stampede_transport_setting{key="stampede.frontend.maxConnections"} 7');
    expect(text).toContain('stampede_transport_setting{key="frontend.keepAliveMaxConnectionIdle"} 45000');
    expect(text).toContain('stampede_transport_setting{key="stampede.frontend.maxLargeMessages"} 3');
    expect(text).toContain('stampede_limit{key="limit.numPendingActivities.error"} 123');
    expect(text).toContain('stampede_transport_connections_open ');
  } finally {
    const exited = new Promise<unknown>((resolve) =>
      child.exitCode !== null ? resolve(child.exitCode) : child.once('exit', resolve),
    );
    child.kill('SIGTERM');
    await exited;
    rmSync(dir, { recursive: true, force: true });
  }
});

it('bad transport and limit flags: one line each, exit 2', async () => {
  const r = await stampede([
    'engine',
    '--port',
    '0',
    '--idle-timeout',
    'soon',
    '--max-concurrent-streams',
    '0',
    '--limit',
    'limit.blobSize.error=10',
    '--limit',
    'limit.nope=1',
  ]);
  expect(r.code).toBe(2);
  expect(r.stderr).toContain('--idle-timeout must be a duration from 1ms to 7d like 30s, got soon');
  expect(r.stderr).toContain('--max-concurrent-streams must be a positive integer, got 0');
  expect(r.stderr).toContain('--limit: limit.blobSize.warn (524288) must not exceed limit.blobSize.error (10)');
  expect(r.stderr).toContain('--limit: unknown key limit.nope');
  expect(r.stderr).not.toMatch(/\n\s+at /);
});
