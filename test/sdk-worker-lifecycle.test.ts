/**
 * Workers coming and going: a worker killed with SIGKILL mid-workflow (its sticky queue dies with it) and a
 * new worker finishing the workflow from full history; and a worker shut down gracefully (ShutdownWorker
 * hands its sticky work back to the normal queue at once).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import type { Client, Connection } from '@temporalio/client';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { testEngine, type TestEngine } from './helpers/engine.js';
import { eventTypes, historyProblems } from './helpers/history.js';
import { sdkClient, sdkWarnings, sdkWorker } from './helpers/sdk.js';
import type * as workflows from './temporal-sdk/workflows.js';

let t: TestEngine;
let client: Client;
let connection: Connection;

beforeAll(async () => {
  t = await testEngine();
  ({ client, connection } = await sdkClient(t.engine.address));
});

afterAll(async () => {
  await connection?.close();
  await t?.close();
});

function startWorkerProcess(address: string, taskQueue: string): Promise<ChildProcess> {
  const script = fileURLToPath(new URL('./temporal-sdk/worker-process.ts', import.meta.url));
  const child = spawn(process.execPath, ['--import', 'tsx', script, address, taskQueue], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('worker process did not start in 60 s')), 60_000);
    child.stdout?.on('data', (d: Buffer) => {
      if (d.toString().includes('ready')) {
        clearTimeout(timer);
        resolve(child);
      }
    });
    child.on('exit', (code) => reject(new Error(`worker process exited early (${code})`)));
  });
}

it('a new worker finishes a workflow whose worker was killed mid-workflow (sticky fallback)', async () => {
  const taskQueue = `killed-${randomUUID().slice(0, 8)}`;
  const victim = await startWorkerProcess(t.engine.address, taskQueue);
  const h = await client.workflow.start<typeof workflows.sleepThenGreet>('sleepThenGreet', {
    taskQueue,
    workflowId: `kill-${randomUUID().slice(0, 8)}`,
    args: [1500],
  });
  // The first task completed on the victim (the timer is running) and the run is now sticky to it.
  await expect
    .poll(async () => eventTypes((await h.fetchHistory()).events ?? []), { timeout: 20_000 })
    .toContain('TIMER_STARTED');
  victim.kill('SIGKILL');
  await new Promise((r) => victim.once('exit', r));

  const { worker, connection: wc } = await sdkWorker(t.engine.address, taskQueue);
  try {
    const result = await worker.runUntil(h.result());
    expect(result).toBe('hello, the second worker');
  } finally {
    await wc.close();
  }
  const events = (await h.fetchHistory()).events ?? [];
  expect(historyProblems(events, { closed: true })).toEqual([]);
  const types = eventTypes(events);
  // The task after the timer went to the dead worker's sticky queue, timed out there, and moved to the normal queue.
  expect(types).toContain('WORKFLOW_TASK_TIMED_OUT');
  const timedOut = events.find((e) => e.workflowTaskTimedOutEventAttributes)?.workflowTaskTimedOutEventAttributes;
  expect(timedOut?.timeoutType).toBe(2 /* SCHEDULE_TO_START */);
});

it('a gracefully shut-down worker hands its sticky work back at once (ShutdownWorker)', async () => {
  const taskQueue = `shutdown-${randomUUID().slice(0, 8)}`;
  const first = await sdkWorker(t.engine.address, taskQueue, { stickyQueueScheduleToStartTimeout: '30s' });
  const running = first.worker.run();
  const h = await client.workflow.start<typeof workflows.accumulate>('accumulate', {
    taskQueue,
    workflowId: `sd-${randomUUID().slice(0, 8)}`,
    args: [2],
  });
  await h.signal<[number]>('add', 1);
  await expect.poll(() => h.query<number>('total'), { timeout: 10_000 }).toBe(1);
  first.worker.shutdown();
  await running;
  await first.connection.close();

  const second = await sdkWorker(t.engine.address, taskQueue);
  try {
    const started = Date.now();
    await h.signal<[number]>('add', 2);
    expect(await second.worker.runUntil(h.result())).toBe(3);
    // Without ShutdownWorker the task would wait out the 30 s sticky schedule-to-start timeout.
    expect(Date.now() - started).toBeLessThan(15_000);
  } finally {
    await second.connection.close();
  }
  const events = (await h.fetchHistory()).events ?? [];
  expect(historyProblems(events, { closed: true })).toEqual([]);
});

it('the SDK logged no warnings', () => {
  expect(sdkWarnings()).toEqual([]);
});
