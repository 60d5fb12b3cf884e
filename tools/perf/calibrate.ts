/**
 * The machine's speed right now, for scaling a CI run to it: the rate of a bare grpc-js unary echo (server on
 * this thread, client in a worker thread, 32 calls in flight), after a short warm-up. Prints one JSON line,
 * `{"echoRpcPerSec": N, "rpcs": N, "ms": N}`. A neighbour's load on a shared runner lowers it as it lowers
 * everything else, so a rate set in proportion to it keeps the same share of the machine.
 *
 *   node --import tsx tools/perf/calibrate.ts [--seconds 4]
 */
import { startEchoServer } from './echo-server.js';
import { LoadThread } from './engine-throughput.js';

const i = process.argv.indexOf('--seconds');
const seconds = i >= 0 ? Number(process.argv[i + 1]) : 4;
const echo = await startEchoServer();
const thread = new LoadThread();
try {
  const round = { kind: 'echo' as const, address: echo.address, concurrency: 32, payloadBytes: 16 };
  await thread.round({ ...round, durationMs: 1500 });
  const r = await thread.round({ ...round, durationMs: seconds * 1000 });
  process.stdout.write(
    `${JSON.stringify({ echoRpcPerSec: Math.round(r.rpcPerSec), rpcs: r.rpcs, ms: Math.round(r.elapsedMs) })}\n`,
  );
} finally {
  await thread.close();
  await echo.stop();
}
