/**
 * A load thread for the performance benchmarks: K concurrent loops of either hello workflows driven call by call
 * (start, poll, respond, poll activity, respond, poll, respond: 7 RPCs) or echo calls, for a fixed time.
 * Posts the RPC count and this thread's CPU time.
 */
import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { parentPort, workerData } from 'node:worker_threads';
import * as grpc from '@grpc/grpc-js';
import { WorkflowServiceClient } from '../client/workflow-service.js';
import { echoDefinition } from './echo-server.js';

export interface LoadThreadInit {
  kind: 'hello' | 'echo';
  address: string;
  concurrency: number;
  durationMs: number;
  payloadBytes: number;
}

const init = workerData as LoadThreadInit;
let rpcs = 0;
let workflows = 0;
const deadline = Date.now() + init.durationMs;

async function helloLoop(client: WorkflowServiceClient, tq: string): Promise<void> {
  const payload = {
    payloads: [
      {
        metadata: { encoding: Buffer.from('json/plain') },
        data: Buffer.from(JSON.stringify('x'.repeat(init.payloadBytes))),
      },
    ],
  };
  while (Date.now() < deadline) {
    await client.call('StartWorkflowExecution', {
      namespace: 'default',
      workflowId: randomUUID(),
      workflowType: { name: 'hello' },
      taskQueue: { name: tq },
      requestId: randomUUID(),
      input: payload,
    });
    const wt = await client.call(
      'PollWorkflowTaskQueue',
      { namespace: 'default', taskQueue: { name: tq }, identity: 'perf' },
      { timeoutMs: 10_000 },
    );
    await client.call('RespondWorkflowTaskCompleted', {
      taskToken: wt.taskToken,
      commands: [
        {
          commandType: 1,
          scheduleActivityTaskCommandAttributes: {
            activityId: 'a',
            activityType: { name: 'greet' },
            input: payload,
            startToCloseTimeout: { seconds: 10 },
          },
        },
      ],
    });
    const at = await client.call(
      'PollActivityTaskQueue',
      { namespace: 'default', taskQueue: { name: tq }, identity: 'perf' },
      { timeoutMs: 10_000 },
    );
    await client.call('RespondActivityTaskCompleted', { taskToken: at.taskToken, result: payload });
    const wt2 = await client.call(
      'PollWorkflowTaskQueue',
      { namespace: 'default', taskQueue: { name: tq }, identity: 'perf' },
      { timeoutMs: 10_000 },
    );
    await client.call('RespondWorkflowTaskCompleted', {
      taskToken: wt2.taskToken,
      commands: [{ commandType: 4, completeWorkflowExecutionCommandAttributes: { result: payload } }],
    });
    rpcs += 7;
    workflows += 1;
  }
}

async function echoLoop(client: grpc.Client, def: grpc.MethodDefinition<Buffer, Buffer>): Promise<void> {
  const body = Buffer.alloc(init.payloadBytes + 100, 7);
  while (Date.now() < deadline) {
    await new Promise<void>((resolve, reject) =>
      client.makeUnaryRequest(def.path, def.requestSerialize, def.responseDeserialize, body, (err) =>
        err ? reject(err) : resolve(),
      ),
    );
    rpcs += 1;
  }
}

const cpu0 = process.cpuUsage();
const t0 = performance.now();
const loops: Promise<void>[] = [];
if (init.kind === 'hello') {
  const client = new WorkflowServiceClient(init.address);
  await client.waitForReady(10_000);
  // One task queue per loop: each loop's polls take its own tasks, so the loops do not steal from each other.
  for (let i = 0; i < init.concurrency; i++) loops.push(helloLoop(client, `perf-${i}-${randomUUID().slice(0, 6)}`));
  await Promise.all(loops);
  client.close();
} else {
  const client = new grpc.Client(init.address, grpc.credentials.createInsecure());
  const def = echoDefinition.Echo as grpc.MethodDefinition<Buffer, Buffer>;
  for (let i = 0; i < init.concurrency; i++) loops.push(echoLoop(client, def));
  await Promise.all(loops);
  client.close();
}
const cpu = process.cpuUsage(cpu0);
parentPort?.postMessage({ rpcs, workflows, elapsedMs: performance.now() - t0, cpuUs: cpu.user + cpu.system });
