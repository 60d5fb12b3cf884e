/**
 * Benchmark (not a test): the engine's RPC throughput for hello workflows on the memory store, beside a bare
 * grpc-js echo server and client measured in the same run on the same machine. The client load runs in a worker
 * thread; the server (engine or echo) runs on the main thread, as the embedded engine does. Engine and echo are
 * measured in many short alternating rounds from one warm load thread, so that a neighbour's load on a shared
 * machine falls on both alike; the figure is the ratio of the summed rates, and the spread of the per-round ratios
 * shows the noise.
 *
 *   npm run bench:engine [-- --seconds 12 --concurrency 32 --polling --without-turn-budget]
 */
import type { Worker } from 'node:worker_threads';
import { cpus } from 'node:os';
import { startEngine } from '../../engine/index.js';
import { spawnThread, threadModule } from '../../bench/threads/spawn.js';
import { startEchoServer } from './echo-server.js';
import type { LoadRound, RoundResult } from './load-thread.js';

/** The benchmark's load thread (load-thread.ts), beside this module. */
const LOAD_THREAD = threadModule(import.meta.url, './load-thread.js');

export interface ThroughputSample {
  rpcs: number;
  workflows: number;
  elapsedMs: number;
  rpcPerSec: number;
}

/** One load thread serving rounds (see load-thread.ts). */
export class LoadThread {
  private readonly worker: Worker = spawnThread(LOAD_THREAD, undefined);

  round(r: LoadRound): Promise<ThroughputSample & RoundResult> {
    return new Promise((resolve, reject) => {
      const onError = (err: Error): void => reject(err);
      this.worker.once('error', onError);
      this.worker.once('message', (m: { ok: true; result: RoundResult } | { ok: false; error: string }) => {
        this.worker.off('error', onError);
        if (!m.ok) reject(new Error(m.error));
        else resolve({ ...m.result, rpcPerSec: (m.result.rpcs * 1000) / m.result.elapsedMs });
      });
      this.worker.postMessage(r);
    });
  }

  async close(): Promise<void> {
    this.worker.postMessage({ kind: 'close' });
    await this.worker.terminate();
  }
}

function sum(xs: ThroughputSample[]): ThroughputSample {
  const rpcs = xs.reduce((n, x) => n + x.rpcs, 0);
  const elapsedMs = xs.reduce((n, x) => n + x.elapsedMs, 0);
  return { rpcs, workflows: xs.reduce((n, x) => n + x.workflows, 0), elapsedMs, rpcPerSec: (rpcs * 1000) / elapsedMs };
}

export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? (s[m] as number) : ((s[m - 1] as number) + (s[m] as number)) / 2;
}

/**
 * Engine and echo in alternating rounds of `roundMs` (engine, echo, engine, echo, ...) after a warm-up of each,
 * `seconds` of each in total.
 */
export async function measureEngineVsEcho(opts: {
  seconds: number;
  concurrency: number;
  payloadBytes: number;
  /** Length of one round; `seconds` of each kind are split into rounds this long. */
  roundMs?: number;
  /** Polls sent ahead of their tasks (see load-thread.ts), else strictly call by call. */
  polling?: boolean;
  /**
   * Also measure, in the same alternation, a second engine that handles every request of an event-loop turn before
   * any reply leaves (`requestsPerTurn: Infinity`), to show what the turn budget does.
   */
  withoutTurnBudget?: boolean;
}): Promise<{
  engine: ThroughputSample;
  echo: ThroughputSample;
  ratio: number;
  /** Per-round ratios (engine / echo of adjacent rounds): their spread shows the noise. */
  roundRatios: number[];
  /** With `withoutTurnBudget`: that engine's rate, and its ratio to the same echo rounds. */
  unbudgeted?: { engine: ThroughputSample; ratio: number; roundRatios: number[] };
}> {
  const roundMs = opts.roundMs ?? 1500;
  const rounds = Math.max(1, Math.round((opts.seconds * 1000) / roundMs));
  const engine = await startEngine({ port: 0, numShards: 4 });
  const unbudgetedEngine = opts.withoutTurnBudget
    ? await startEngine({ port: 0, numShards: 4, requestsPerTurn: Infinity })
    : undefined;
  const echo = await startEchoServer();
  const thread = new LoadThread();
  const kind: LoadRound['kind'] = opts.polling ? 'hello-polling' : 'hello';
  const targets = [
    { kind, address: engine.address, samples: [] as ThroughputSample[] },
    { kind: 'echo' as const, address: echo.address, samples: [] as ThroughputSample[] },
    ...(unbudgetedEngine ? [{ kind, address: unbudgetedEngine.address, samples: [] as ThroughputSample[] }] : []),
  ];
  const load = (t: (typeof targets)[number], durationMs: number): Promise<ThroughputSample> =>
    thread.round({
      kind: t.kind,
      address: t.address,
      concurrency: opts.concurrency,
      durationMs,
      payloadBytes: opts.payloadBytes,
    });
  try {
    // Warm the JIT and caches of each first.
    for (const t of targets) await load(t, 3000);
    for (let i = 0; i < rounds; i++) {
      // Rotate which goes first, so none always follows another.
      for (let k = 0; k < targets.length; k++) {
        const t = targets[(i + k) % targets.length] as (typeof targets)[number];
        t.samples.push(await load(t, roundMs));
      }
    }
    const [e, b, u] = targets.map((t) => t.samples) as [ThroughputSample[], ThroughputSample[], ThroughputSample[]?];
    const bs = sum(b);
    const versusEcho = (xs: ThroughputSample[]): { engine: ThroughputSample; ratio: number; roundRatios: number[] } => {
      const xsum = sum(xs);
      return {
        engine: xsum,
        ratio: xsum.rpcPerSec / bs.rpcPerSec,
        roundRatios: xs.map((x, i) => x.rpcPerSec / (b[i]?.rpcPerSec ?? Infinity)),
      };
    };
    return { ...versusEcho(e), echo: bs, ...(u ? { unbudgeted: versusEcho(u) } : {}) };
  } finally {
    await thread.close();
    await engine.stop();
    await unbudgetedEngine?.stop();
    await echo.stop();
  }
}

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const seconds = arg('seconds', 12);
  const concurrency = arg('concurrency', 32);
  const polling = process.argv.includes('--polling');
  const withoutTurnBudget = process.argv.includes('--without-turn-budget');
  const r = await measureEngineVsEcho({ seconds, concurrency, payloadBytes: 16, polling, withoutTurnBudget });
  const machine = `${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, node ${process.version}`;
  console.log(
    `engine RPC throughput vs bare grpc-js echo (${machine}; ${seconds} s each in alternating 1.5 s rounds after a warm-up, ${concurrency} concurrent loops${polling ? ', polls ahead of their tasks' : ''})`,
  );
  console.log(
    `  engine (hello, memory store): ${r.engine.rpcPerSec.toFixed(0)} RPC/s  (${r.engine.rpcs} RPCs, ${r.engine.workflows} workflows, ${(r.engine.workflows / (r.engine.elapsedMs / 1000)).toFixed(0)} workflows/s)`,
  );
  console.log(`  bare grpc-js echo:            ${r.echo.rpcPerSec.toFixed(0)} RPC/s  (${r.echo.rpcs} RPCs)`);
  if (r.unbudgeted)
    console.log(
      `  engine, no turn budget:       ${r.unbudgeted.engine.rpcPerSec.toFixed(0)} RPC/s  (${r.unbudgeted.engine.rpcs} RPCs; ratio to echo ${r.unbudgeted.ratio.toFixed(3)}, per-round median ${median(r.unbudgeted.roundRatios).toFixed(3)})`,
    );
  console.log(
    `  ratio engine / echo:          ${r.ratio.toFixed(3)}  (per-round median ${median(r.roundRatios).toFixed(3)}, range ${Math.min(...r.roundRatios).toFixed(2)}..${Math.max(...r.roundRatios).toFixed(2)})`,
  );
}
