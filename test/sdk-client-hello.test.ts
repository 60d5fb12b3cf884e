/**
 * The real @temporalio/client (an independent implementation of Temporal's API) starts a hello workflow on the
 * engine and awaits its result, while a harness poller thread (the synthetic worker) answers its tasks.
 */
import { Client, Connection } from '@temporalio/client';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { Coordinator } from '../bench/coordinator/coordinator.js';
import type { ThreadInit } from '../bench/coordinator/protocol.js';
import { testEngine, type TestEngine } from './helpers/engine.js';

let t: TestEngine;
let coordinator: Coordinator;

beforeAll(async () => {
  t = await testEngine();
  coordinator = new Coordinator({ interval: () => undefined, done: () => undefined, log: () => undefined });
  const init: ThreadInit = {
    role: 'poller',
    threadIndex: 0,
    threadCount: 1,
    segmentIndex: 0,
    segmentCount: 1,
    targets: [t.engine.address],
    routing: 'spread',
    namespace: 'default',
    taskQueue: 'stampede-hello',
    scenario: 'hello',
    scenarioOptions: {},
    executor: {
      name: 'constant-arrival-rate',
      // Pollers never plan a schedule; the configuration is only carried.
      config: { ratePerSec: 1, startRatePerSec: 0, stages: [], vus: 1, durationMs: 1000, warmupMs: 0, iterations: 1 },
    },
    maxInFlight: 100,
    connections: 100,
    intervalMs: 1000,
    runTag: 'sdk',
    origin: 'sdk/s0/test',
    seed: 1,
    workflowPollers: 2,
    activityPollers: 2,
    eager: true,
    timeScale: 1,
    drainTimeoutMs: 10_000,
    identity: 'test-poller',
  };
  coordinator.spawn([init]);
  await coordinator.ready(30_000);
  coordinator.broadcast({ type: 'start', t0Ms: Date.now() });
});

afterAll(async () => {
  coordinator.broadcast({ type: 'stop', reason: 'test over' });
  await coordinator.finished('poller');
  await t.close();
});

it('starts a hello workflow with the real Temporal client and gets the harness worker’s result', async () => {
  const connection = await Connection.connect({ address: t.engine.address });
  try {
    const client = new Client({ connection, namespace: 'default' });
    const handle = await client.workflow.start('hello', {
      taskQueue: 'stampede-hello',
      workflowId: `sdk-hello-${Date.now()}`,
      args: ['Temporal'],
    });
    expect(await handle.result()).toBe('hello, Temporal');
    const description = await handle.describe();
    expect(description.status.name).toBe('COMPLETED');
    expect(description.historyLength).toBe(11);
  } finally {
    await connection.close();
  }
});
