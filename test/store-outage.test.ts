/**
 * An engine whose store goes away, and comes back without some of what it had acknowledged: the engine must re-read
 * the store before trusting what it caches, report what the store lost as gone, and stop within a bound whatever the
 * store does.
 *
 * A test double, for faults on demand that a healthy store does not produce: the memory store behind a switch that
 * makes every call fail the way an unreachable Cassandra does (StoreUnavailableError marked as an outage), and direct
 * edits of its tables that take writes back, as a node restarted from an unsynced commit log or restored from a
 * backup would. test/store-crash.test.ts does the same to a real Cassandra with SIGKILL and SIGSTOP.
 */
import { randomUUID } from 'node:crypto';
import { afterEach, expect, it } from 'vitest';
import { grpc } from '../bench/client/workflow-service.js';
import { StoreUnavailableError } from '../engine/persistence/errors.js';
import { decorate } from '../engine/persistence/decorators.js';
import { currentKey, MemoryDatabase, runKey } from '../engine/persistence/memory/database.js';
import { createMemoryStores } from '../engine/persistence/memory/index.js';
import type { Stores } from '../engine/persistence/store.js';
import { testEngine, type TestEngine } from './helpers/engine.js';
import { compileRunCommand } from '../cli/run-command.js';
import { Progress } from '../bench/run/progress.js';
import { startRun } from '../bench/run/run.js';

interface Switchable {
  stores: Stores;
  db: MemoryDatabase;
  down: boolean;
  closeHangs: boolean;
}

/** The memory store, with every call failing as an unreachable store while `down` is set. */
function switchable(): Switchable {
  const db = new MemoryDatabase();
  const inner = createMemoryStores(db);
  const s = { db, down: false, closeHangs: false } as Switchable;
  const unreachable = (): Promise<never> =>
    Promise.reject(new StoreUnavailableError('test double: no host answered', { outage: true }));
  const guard = <T extends object>(t: T): T => decorate(t, (_m, call) => (s.down ? unreachable() : call()));
  s.stores = {
    ...inner,
    shards: guard(inner.shards),
    executions: guard(inner.executions),
    history: guard(inner.history),
    tasks: guard(inner.tasks),
    namespaces: guard(inner.namespaces),
    ping: () => (s.down ? unreachable() : Promise.resolve()),
    close: () => (s.closeHangs ? new Promise<void>(() => undefined) : inner.close()),
  };
  return s;
}

let t: TestEngine | undefined;
afterEach(async () => {
  await t?.close();
  t = undefined;
});

async function code(p: Promise<unknown>): Promise<number> {
  try {
    await p;
  } catch (err) {
    return (err as grpc.ServiceError).code;
  }
  return grpc.status.OK;
}

async function start(e: TestEngine, workflowId: string): Promise<string> {
  const r = await e.client.call('StartWorkflowExecution', {
    namespace: 'default',
    workflowId,
    workflowType: { name: 'w' },
    taskQueue: { name: `tq-${randomUUID().slice(0, 8)}` },
    requestId: randomUUID(),
  });
  return r.runId;
}

function describe(e: TestEngine, workflowId: string): Promise<unknown> {
  return e.client.call('DescribeWorkflowExecution', { namespace: 'default', execution: { workflowId } });
}

async function count(e: TestEngine, workflowId: string): Promise<number> {
  const r = await e.client.call('CountWorkflowExecutions', {
    namespace: 'default',
    query: `WorkflowId = "${workflowId}"`,
  });
  return Number(r.count);
}

async function namespaceId(e: TestEngine): Promise<string> {
  const r = await e.client.call('DescribeNamespace', { namespace: 'default' });
  return r.namespaceInfo?.id ?? '';
}

/** Takes a run out of the store (its current row and execution row), as a store that lost the write would. */
function lose(db: MemoryDatabase, nsId: string, workflowId: string, runId: string): void {
  const p = db.partition(1);
  expect(p.current.delete(currentKey(nsId, workflowId))).toBe(true);
  expect(p.runs.delete(runKey(nsId, workflowId, runId))).toBe(true);
}

it('after an outage the engine re-reads the store: a run the store lost is gone, not served from memory', async () => {
  const s = switchable();
  t = await testEngine({ stores: s.stores, numShards: 1 });
  const e = t;
  const nsId = await namespaceId(e);
  const runId = await start(e, 'kept-then-lost');
  await start(e, 'kept');
  expect(await code(describe(e, 'kept-then-lost'))).toBe(grpc.status.OK);
  expect(await count(e, 'kept-then-lost')).toBe(1);

  s.down = true;
  expect(await code(start(e, 'during-outage'))).toBe(grpc.status.UNAVAILABLE);
  lose(s.db, nsId, 'kept-then-lost', runId);
  s.down = false;

  await expect.poll(async () => (await e.engine.stats()).history.shardReloads, { timeout: 10_000 }).toBe(1);
  await expect.poll(() => code(describe(e, 'kept-then-lost')), { timeout: 10_000 }).toBe(grpc.status.NOT_FOUND);
  await expect.poll(() => count(e, 'kept-then-lost'), { timeout: 10_000 }).toBe(0);
  // What the store kept is served as before, and the engine takes new work.
  expect(await code(describe(e, 'kept'))).toBe(grpc.status.OK);
  expect(await count(e, 'kept')).toBe(1);
  expect(await code(start(e, 'after-outage'))).toBe(grpc.status.OK);
});

it('a run through an outage: starts answered UNAVAILABLE are sent again with their request id, none lost or doubled', async () => {
  const s = switchable();
  t = await testEngine({ stores: s.stores, numShards: 2 });
  const flags = {
    _: ['run'],
    scenario: 'hello',
    target: t.engine.address,
    rate: '40',
    duration: '3s',
    warmup: '0s',
    starters: 1,
    pollers: 1,
    report: false,
    quiet: true,
  };
  const { options, problems } = compileRunCommand(flags, {}, false);
  expect(problems).toEqual([]);
  let ready!: () => void;
  const threadsReady = new Promise<void>((r) => (ready = r));
  const run = startRun(options, new Progress('quiet', 0), { onThreadsReady: () => ready() }).result;
  // One outage of 0.6 s in the middle of the run: every start sent meanwhile is answered UNAVAILABLE.
  await threadsReady;
  await new Promise((r) => setTimeout(r, 1200));
  s.down = true;
  await new Promise((r) => setTimeout(r, 600));
  s.down = false;
  const { result } = await run;
  expect(result.counters.start_retries ?? 0).toBeGreaterThan(0);
  expect(result.counters.starts_unknown_outcome ?? 0).toBe(0);
  const started = result.counters.workflows_started ?? 0;
  expect(started).toBe(120);
  expect(result.verification.status, result.verification.notes.join('\n')).toBe('passed');
  expect(result.verification.byStatus).toEqual({ Completed: started });
  expect(result.verification.notes.join('\n')).not.toMatch(/more workflow/);
});

it('a shard row whose range id went back (the store lost the engine’s writes) makes the engine reload the shard', async () => {
  const s = switchable();
  t = await testEngine({ stores: s.stores, numShards: 1 });
  const e = t;
  await start(e, 'open');
  // No outage seen: the store simply answers with an older shard row (restored from a backup behind our back).
  const p = s.db.partition(1);
  const shardRow = p.shard;
  if (!shardRow) throw new Error('no shard row');
  p.shard = { ...shardRow, rangeId: shardRow.rangeId - 1 };

  // The signal's write fails its range fence; reading the row back shows an older range, which no other engine can
  // have written: the shard reloads (before, it was closed for good and every workflow on it stuck).
  const signal = (): Promise<unknown> =>
    e.client.call('SignalWorkflowExecution', {
      namespace: 'default',
      workflowExecution: { workflowId: 'open' },
      signalName: 's',
      requestId: randomUUID(),
    });
  expect(await code(signal())).toBe(grpc.status.UNAVAILABLE);
  await expect.poll(async () => (await e.engine.stats()).history.shardReloads, { timeout: 10_000 }).toBe(1);
  await expect.poll(() => code(signal()), { timeout: 10_000 }).toBe(grpc.status.OK);
  expect(await code(start(e, 'after-reload'))).toBe(grpc.status.OK);
  expect(s.db.partition(1).shard?.rangeId).toBeGreaterThan(shardRow.rangeId);
  expect((await e.engine.stats()).history.shardsOwned).toBe(1);
});

it('stops within its bound when the store never finishes closing', async () => {
  const s = switchable();
  t = await testEngine({ stores: s.stores, numShards: 1 });
  const e = t;
  t = undefined;
  await start(e, 'open');
  s.closeHangs = true;
  e.client.close();
  const t0 = Date.now();
  await e.engine.stop();
  // The bound is engine/server.ts's: 1 s for the metrics server, 2 s for gRPC, 5 s of draining, 3 s for the store.
  expect(Date.now() - t0).toBeLessThan(12_000);
});

it('during an outage the log holds a summary per error class and interval, not one line per failed call', async () => {
  const s = switchable();
  const lines: string[] = [];
  t = await testEngine({ stores: s.stores, numShards: 1, log: (l) => lines.push(l), errorLogIntervalMs: 1000 });
  const e = t;
  await start(e, 'before');
  const before = lines.length;
  s.down = true;
  const codes = await Promise.all(Array.from({ length: 300 }, (_, i) => code(start(e, `during-${i}`))));
  expect(codes.every((c) => c === grpc.status.UNAVAILABLE)).toBe(true);
  // The summary comes when the interval ends: it counts every failed call, by method and status.
  await expect
    .poll(
      () =>
        lines.slice(before).find((l) => /failures in the last 1 s: \d+ × StartWorkflowExecution UNAVAILABLE/.test(l)),
      {
        timeout: 5000,
      },
    )
    .toBeDefined();
  const logged = lines.slice(before);
  const summary = logged.find((l) => l.includes('× StartWorkflowExecution UNAVAILABLE')) ?? '';
  expect(Number(/(\d+) × StartWorkflowExecution UNAVAILABLE/.exec(summary)?.[1])).toBe(300);
  // 300 failed calls: the outage notice, the first failure of each class in full, and the summary; nothing per call.
  expect(logged.filter((l) => l.startsWith('StartWorkflowExecution UNAVAILABLE:'))).toHaveLength(1);
  expect(logged.length).toBeLessThan(10);
  s.down = false;
});
