/**
 * The ceiling for the generator's client cost: a bare grpc-js client making the same StartWorkflowExecution call
 * the harness makes, either at a fixed rate (--rate) or as fast as it can with --concurrency calls in flight.
 * Prints one JSON line: calls, seconds, and the CPU time this process spent during the load.
 * Usage: node --import tsx bare-client.ts <address> <seconds> [--rate R | --concurrency C]
 */
import { randomUUID } from 'node:crypto';
import * as grpc from '@grpc/grpc-js';
import { workflowServiceDefinition } from '../../engine/index.js';

const [address = '', secondsArg = '5'] = process.argv.slice(2);
const flag = (name: string): number | undefined => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : undefined;
};
const seconds = Number(secondsArg);
const rate = flag('rate');
const concurrency = flag('concurrency') ?? 64;
const def = workflowServiceDefinition.StartWorkflowExecution as grpc.MethodDefinition<object, object>;
const client = new grpc.Client(address, grpc.credentials.createInsecure());
await new Promise<void>((resolve, reject) =>
  client.waitForReady(Date.now() + 10_000, (e) => (e ? reject(e) : resolve())),
);
const input = {
  payloads: [{ metadata: { encoding: Buffer.from('json/plain') }, data: Buffer.from(JSON.stringify('x'.repeat(16))) }],
};
let n = 0;
const call = (): Promise<void> =>
  new Promise((resolve, reject) => {
    const request = {
      namespace: 'default',
      workflowId: `bare-${n}`,
      workflowType: { name: 'hello' },
      taskQueue: { name: 'stampede-hello' },
      input,
      requestId: randomUUID(),
      identity: 'bare',
    };
    client.makeUnaryRequest(def.path, def.requestSerialize, def.responseDeserialize, request, (err) =>
      err ? reject(err) : resolve(),
    );
  });
const cpu0 = process.cpuUsage();
const t0 = performance.now();
const end = t0 + seconds * 1000;
if (rate !== undefined) {
  // Fixed rate, open loop: fire each call at its time.
  const inflight = new Set<Promise<void>>();
  for (let i = 0; ; i++) {
    const due = t0 + (i * 1000) / rate;
    if (due >= end) break;
    const wait = due - performance.now();
    if (wait > 1) await new Promise((r) => setTimeout(r, wait));
    const p = call().then(() => {
      n += 1;
    });
    inflight.add(p);
    void p.finally(() => inflight.delete(p));
  }
  await Promise.all(inflight);
} else {
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (performance.now() < end) {
        await call();
        n += 1;
      }
    }),
  );
}
const cpu = process.cpuUsage(cpu0);
const elapsed = (performance.now() - t0) / 1000;
process.stdout.write(`${JSON.stringify({ calls: n, seconds: elapsed, cpuUs: cpu.user + cpu.system })}\n`);
client.close();
