/**
 * Threads that fail: a thread that throws during start-up or dies mid-run fails the run loudly, and everything
 * waiting on it (requests, the run's waits) is rejected instead of hanging.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { Coordinator } from '../bench/coordinator/coordinator.js';
import type { ThreadInit } from '../bench/coordinator/protocol.js';
import { RunFailedError } from '../bench/errors.js';
import { testEngine, type TestEngine } from './helpers/engine.js';

let t: TestEngine;

beforeAll(async () => {
  t = await testEngine();
});
afterAll(async () => {
  await t.close();
});

function init(overrides: Partial<ThreadInit>): ThreadInit {
  return {
    role: 'poller',
    threadIndex: 0,
    threadCount: 1,
    segmentIndex: 0,
    segmentCount: 1,
    targets: [t.engine.address],
    routing: 'spread',
    namespace: 'default',
    taskQueue: 'coordinator-test',
    scenario: 'hello',
    scenarioOptions: {},
    executor: {
      name: 'constant-arrival-rate',
      // Pollers never plan a schedule; the configuration is only carried.
      config: { ratePerSec: 1, startRatePerSec: 0, stages: [], vus: 1, durationMs: 1000, warmupMs: 0, iterations: 1 },
    },
    maxInFlight: 10,
    connections: 10,
    intervalMs: 1000,
    runTag: 'coord',
    origin: 'coord/s0/test',
    seed: 1,
    workflowPollers: 1,
    activityPollers: 1,
    eager: true,
    timeScale: 1,
    drainTimeoutMs: 10_000,
    identity: 'test',
    ...overrides,
  };
}

it('a thread that throws while starting fails the run with its error', async () => {
  const c = new Coordinator({ interval: () => undefined, done: () => undefined, log: () => undefined });
  c.spawn([init({ scenario: 'no-such-scenario' })]);
  const err = await c.ready(30_000).catch((e: unknown) => e);
  expect(err).toBeInstanceOf(RunFailedError);
  expect(String((err as RunFailedError).cause)).toContain('unknown scenario no-such-scenario');
  await c.terminateAll();
});

it('a thread that dies mid-run rejects what waits on it and fails every later wait', async () => {
  const c = new Coordinator({ interval: () => undefined, done: () => undefined, log: () => undefined });
  c.spawn([init({})]);
  await c.ready(30_000);
  c.broadcast({ type: 'start', t0Ms: Date.now() });
  expect(await c.request(0, { kind: 'counters' })).toEqual(expect.any(Object));
  const finished = c.finished('poller');
  const thread = c.threads[0];
  // Simulates a crash: the thread is killed from outside, so it never says 'done'.
  await thread?.worker.terminate();
  await expect(finished).rejects.toBeInstanceOf(RunFailedError);
  await expect(c.request(0, { kind: 'counters' })).rejects.toBeInstanceOf(Error);
  await expect(c.guard(new Promise(() => undefined))).rejects.toThrow(/exited .* before finishing its work/);
});
