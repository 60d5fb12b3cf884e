/**
 * Benchmark (not a test): the engine's RPC throughput for hello workflows on the memory store, beside a bare
 * grpc-js echo server and client measured in the same run on the same machine. The client load runs in a worker
 * thread; the server (engine or echo) runs on the main thread, as the embedded engine does.
 *
 *   npm run bench:engine [-- --seconds 10 --concurrency 32]
 */
import { type Worker } from 'node:worker_threads';
import { cpus } from 'node:os';
import { startEngine } from '../../engine/index.js';
import { siblingModule, spawnThread } from '../coordinator/spawn.js';
import { startEchoServer } from './echo-server.js';
import type { LoadThreadInit } from './load-thread.js';

export interface ThroughputSample {
  rpcs: number;
  workflows: number;
  elapsedMs: number;
  rpcPerSec: number;
}

export function runLoad(init: LoadThreadInit): Promise<ThroughputSample> {
  const worker: Worker = spawnThread(siblingModule(import.meta.url, './load-thread.js'), init);
  return new Promise((resolve, reject) => {
    worker.once('message', (m: { rpcs: number; workflows: number; elapsedMs: number }) => {
      resolve({ ...m, rpcPerSec: (m.rpcs * 1000) / m.elapsedMs });
      void worker.terminate();
    });
    worker.once('error', reject);
  });
}

export async function measureEngineVsEcho(opts: {
  seconds: number;
  concurrency: number;
  payloadBytes: number;
}): Promise<{
  engine: ThroughputSample;
  echo: ThroughputSample;
  ratio: number;
}> {
  const durationMs = opts.seconds * 1000;
  const engine = await startEngine({ port: 0, numShards: 4 });
  let engineSample: ThroughputSample;
  try {
    // Warm the JIT and caches first; measure the second run.
    await runLoad({
      kind: 'hello',
      address: engine.address,
      concurrency: opts.concurrency,
      durationMs: Math.min(5000, durationMs),
      payloadBytes: opts.payloadBytes,
    });
    engineSample = await runLoad({
      kind: 'hello',
      address: engine.address,
      concurrency: opts.concurrency,
      durationMs,
      payloadBytes: opts.payloadBytes,
    });
  } finally {
    await engine.stop();
  }
  const echo = await startEchoServer();
  let echoSample: ThroughputSample;
  try {
    await runLoad({
      kind: 'echo',
      address: echo.address,
      concurrency: opts.concurrency,
      durationMs: Math.min(5000, durationMs),
      payloadBytes: opts.payloadBytes,
    });
    echoSample = await runLoad({
      kind: 'echo',
      address: echo.address,
      concurrency: opts.concurrency,
      durationMs,
      payloadBytes: opts.payloadBytes,
    });
  } finally {
    await echo.stop();
  }
  return { engine: engineSample, echo: echoSample, ratio: engineSample.rpcPerSec / echoSample.rpcPerSec };
}

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const seconds = arg('seconds', 10);
  const concurrency = arg('concurrency', 32);
  const r = await measureEngineVsEcho({ seconds, concurrency, payloadBytes: 16 });
  const machine = `${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, node ${process.version}`;
  console.log(
    `engine RPC throughput vs bare grpc-js echo (${machine}; ${seconds} s each after a warm-up, ${concurrency} concurrent loops)`,
  );
  console.log(
    `  engine (hello, memory store): ${r.engine.rpcPerSec.toFixed(0)} RPC/s  (${r.engine.rpcs} RPCs, ${r.engine.workflows} workflows, ${(r.engine.workflows / (r.engine.elapsedMs / 1000)).toFixed(0)} workflows/s)`,
  );
  console.log(`  bare grpc-js echo:            ${r.echo.rpcPerSec.toFixed(0)} RPC/s  (${r.echo.rpcs} RPCs)`);
  console.log(`  ratio engine / echo:          ${r.ratio.toFixed(3)}`);
}
