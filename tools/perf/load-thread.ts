/**
 * A load thread for the performance benchmarks. It runs rounds on request: K concurrent loops of either hello
 * workflows driven call by call (start, poll, respond, poll activity, respond, poll, respond: 7 RPCs; with polls
 * outstanding, the second workflow task comes from the loop's sticky queue) or echo calls, for a fixed time, and
 * answers each round with its RPC count, elapsed time and this thread's CPU. One thread serves many short rounds,
 * so alternating targets (engine, echo, engine, ...) keeps its JIT and its connections warm and lets a neighbour's
 * load on a shared machine fall on both alike.
 */
import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { parentPort } from 'node:worker_threads';
import * as grpc from '@grpc/grpc-js';
import { WorkflowServiceClient } from '../../bench/client/workflow-service.js';
import { echoDefinition } from './echo-server.js';

export interface LoadRound {
  /**
   * hello: each loop drives one workflow at a time, call by call, each poll sent only after the previous reply,
   * so every task waits in the engine's task-queue backlog. hello-polling: each poll is sent before the call that
   * creates its task, as a worker keeps polls outstanding, so tasks are handed straight to the waiting poll.
   */
  kind: 'hello' | 'hello-polling' | 'echo' | 'signal';
  address: string;
  /** signal: the running workflows to signal, round-robin over the loops (one at a time per workflow). */
  workflowIds?: string[];
  concurrency: number;
  durationMs: number;
  payloadBytes: number;
}

export interface RoundResult {
  rpcs: number;
  workflows: number;
  elapsedMs: number;
  /** CPU of the whole process during the round (server and client when both live in it), µs. */
  cpuUs: number;
  /** signal: each call's response time, µs. */
  latenciesUs?: number[];
}

const workflowClients = new Map<string, WorkflowServiceClient>();
const echoClients = new Map<string, grpc.Client>();

async function workflowClient(address: string): Promise<WorkflowServiceClient> {
  let c = workflowClients.get(address);
  if (!c) {
    c = new WorkflowServiceClient(address);
    await c.waitForReady(10_000);
    workflowClients.set(address, c);
  }
  return c;
}

function echoClient(address: string): grpc.Client {
  let c = echoClients.get(address);
  if (!c) {
    c = new grpc.Client(address, grpc.credentials.createInsecure());
    echoClients.set(address, c);
  }
  return c;
}

async function helloLoop(
  client: WorkflowServiceClient,
  tq: string,
  r: LoadRound,
  deadline: number,
  count: { rpcs: number; workflows: number },
): Promise<void> {
  const payload = {
    payloads: [
      {
        metadata: { encoding: Buffer.from('json/plain') },
        data: Buffer.from(JSON.stringify('x'.repeat(r.payloadBytes))),
      },
    ],
  };
  const polling = r.kind === 'hello-polling';
  // With polls outstanding, a sticky worker, as the harness's synthetic workers and Temporal's SDKs are: the first
  // workflow task's reply names this loop's sticky queue, so the second task comes from it carrying only the events
  // since the first.
  const sticky = { name: `${tq}-sticky`, kind: 2, normalName: tq };
  const pollWorkflowTask = (taskQueue: { name: string; kind?: number; normalName?: string } = { name: tq }) =>
    client.call('PollWorkflowTaskQueue', { namespace: 'default', taskQueue, identity: 'perf' }, { timeoutMs: 10_000 });
  const pollActivityTask = () =>
    client.call(
      'PollActivityTaskQueue',
      { namespace: 'default', taskQueue: { name: tq }, identity: 'perf' },
      { timeoutMs: 10_000 },
    );
  const schedule = {
    commandType: 1,
    scheduleActivityTaskCommandAttributes: {
      activityId: 'a',
      activityType: { name: 'greet' },
      input: payload,
      startToCloseTimeout: { seconds: 10 },
    },
  };
  const stickyAttributes = { workerTaskQueue: sticky, scheduleToStartTimeout: { seconds: 10 } };
  const complete = { commandType: 4, completeWorkflowExecutionCommandAttributes: { result: payload } };
  const start = () =>
    client.call('StartWorkflowExecution', {
      namespace: 'default',
      workflowId: randomUUID(),
      workflowType: { name: 'hello' },
      taskQueue: { name: tq },
      requestId: randomUUID(),
      input: payload,
    });
  while (Date.now() < deadline) {
    if (polling) {
      const wt1 = pollWorkflowTask();
      await start();
      const at = pollActivityTask();
      await client.call('RespondWorkflowTaskCompleted', {
        taskToken: (await wt1).taskToken,
        commands: [schedule],
        stickyAttributes,
      });
      const wt2 = pollWorkflowTask(sticky);
      await client.call('RespondActivityTaskCompleted', { taskToken: (await at).taskToken, result: payload });
      await client.call('RespondWorkflowTaskCompleted', { taskToken: (await wt2).taskToken, commands: [complete] });
    } else {
      await start();
      const wt1 = await pollWorkflowTask();
      // No sticky queue here: with no poll waiting on it, the engine (as Temporal's matching) finds the sticky worker
      // unavailable and puts the task back on the normal queue, so it would only add a timeout.
      await client.call('RespondWorkflowTaskCompleted', { taskToken: wt1.taskToken, commands: [schedule] });
      const at = await pollActivityTask();
      await client.call('RespondActivityTaskCompleted', { taskToken: at.taskToken, result: payload });
      const wt2 = await pollWorkflowTask();
      await client.call('RespondWorkflowTaskCompleted', { taskToken: wt2.taskToken, commands: [complete] });
    }
    count.rpcs += 7;
    count.workflows += 1;
  }
}

async function echoLoop(client: grpc.Client, r: LoadRound, deadline: number, count: { rpcs: number }): Promise<void> {
  const def = echoDefinition.Echo as grpc.MethodDefinition<Buffer, Buffer>;
  const body = Buffer.alloc(r.payloadBytes + 100, 7);
  while (Date.now() < deadline) {
    await new Promise<void>((resolve, reject) =>
      client.makeUnaryRequest(def.path, def.requestSerialize, def.responseDeserialize, body, (err) =>
        err ? reject(err) : resolve(),
      ),
    );
    count.rpcs += 1;
  }
}

/**
 * Signals by workflow id (each a transaction on the engine) through `signal`, loop `i` of `n` owning every n-th of
 * `workflowIds`, one at a time, until `deadline`; each call's response time goes to `onLatencyUs`. Shared by the
 * gRPC load thread and the LWT benchmark's in-process callers, so both drive the engine alike.
 */
export async function signalLoop(
  signal: (request: object) => Promise<unknown>,
  workflowIds: readonly string[],
  i: number,
  n: number,
  deadline: number,
  onLatencyUs: (us: number) => void,
): Promise<void> {
  const mine = workflowIds.filter((_, k) => k % n === i);
  for (let k = 0; mine.length > 0 && Date.now() < deadline; k++) {
    const t0 = performance.now();
    await signal({
      namespace: 'default',
      workflowExecution: { workflowId: mine[k % mine.length] },
      signalName: 's',
      requestId: randomUUID(),
    });
    onLatencyUs(Math.max(1, Math.round((performance.now() - t0) * 1000)));
  }
}

export async function runRound(r: LoadRound): Promise<RoundResult> {
  const count = { rpcs: 0, workflows: 0 };
  const wf = r.kind === 'echo' ? undefined : await workflowClient(r.address);
  const echo = r.kind === 'echo' ? echoClient(r.address) : undefined;
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  const deadline = Date.now() + r.durationMs;
  const loops: Promise<void>[] = [];
  const latenciesUs: number[] = [];
  for (let i = 0; i < r.concurrency; i++) {
    if (wf && r.kind === 'signal') {
      const send = (request: object) => wf.call('SignalWorkflowExecution', request);
      loops.push(
        signalLoop(send, r.workflowIds ?? [], i, r.concurrency, deadline, (us) => {
          latenciesUs.push(us);
          count.rpcs += 1;
        }),
      );
      continue;
    }
    // One task queue per loop: each loop's polls take its own tasks, so the loops do not steal from each other.
    if (wf) loops.push(helloLoop(wf, `perf-${i}-${randomUUID().slice(0, 6)}`, r, deadline, count));
    else if (echo) loops.push(echoLoop(echo, r, deadline, count));
  }
  await Promise.all(loops);
  const cpu = process.cpuUsage(cpu0);
  return {
    ...count,
    elapsedMs: performance.now() - t0,
    cpuUs: cpu.user + cpu.system,
    ...(r.kind === 'signal' ? { latenciesUs } : {}),
  };
}

parentPort?.on('message', (m: LoadRound | { kind: 'close' }) => {
  if (m.kind === 'close') {
    for (const c of workflowClients.values()) c.close();
    for (const c of echoClients.values()) c.close();
    parentPort?.close();
    return;
  }
  runRound(m).then(
    (result) => parentPort?.postMessage({ ok: true, result }),
    (err: unknown) => parentPort?.postMessage({ ok: false, error: err instanceof Error ? err.message : String(err) }),
  );
});
