/**
 * The real Temporal TypeScript SDK against the engine: one Runtime per test process (it can be installed
 * once) that captures every warning the SDK and its Rust core log, a workflow bundle built once, and workers
 * and clients on loopback.
 */
import { fileURLToPath } from 'node:url';
import { Client, Connection } from '@temporalio/client';
import {
  bundleWorkflowCode,
  DefaultLogger,
  NativeConnection,
  Runtime,
  Worker,
  type LogEntry,
  type WorkerOptions,
} from '@temporalio/worker';
import { afterAll, beforeAll } from 'vitest';
import * as activities from '../temporal-sdk/activities.js';
import type { TestEngine } from './engine.js';

export const sdkLogs: LogEntry[] = [];
let runtimeInstalled = false;
let bundle: Promise<{ code: string }> | undefined;

export function installRuntime(): void {
  if (runtimeInstalled) return;
  runtimeInstalled = true;
  Runtime.install({
    logger: new DefaultLogger('WARN', (entry) => sdkLogs.push(entry)),
    telemetryOptions: { logging: { filter: { core: 'WARN', other: 'WARN' }, forward: {} } },
    shutdownSignals: [],
  });
}

export function workflowBundle(): Promise<{ code: string }> {
  bundle ??= bundleWorkflowCode({
    workflowsPath: fileURLToPath(new URL('../temporal-sdk/workflows.ts', import.meta.url)),
    logger: new DefaultLogger('WARN', (entry) => sdkLogs.push(entry)),
  });
  return bundle;
}

export async function sdkWorker(
  address: string,
  taskQueue: string,
  options: Partial<WorkerOptions> = {},
): Promise<{ worker: Worker; connection: NativeConnection }> {
  installRuntime();
  const connection = await NativeConnection.connect({ address });
  const worker = await Worker.create({
    connection,
    namespace: 'default',
    taskQueue,
    workflowBundle: await workflowBundle(),
    activities,
    stickyQueueScheduleToStartTimeout: '2s',
    shutdownGraceTime: '1s',
    ...options,
  });
  return { worker, connection };
}

export async function sdkClient(address: string): Promise<{ client: Client; connection: Connection }> {
  const connection = await Connection.connect({ address });
  return { client: new Client({ connection, namespace: 'default' }), connection };
}

/** Failures the test activities raise on purpose; the SDK logs each as a warning. */
const INTENDED_ACTIVITY_FAILURES = new Set(['Flaky', 'Boom']);

function intended(l: LogEntry): boolean {
  const error = (l.meta as { error?: { type?: string } } | undefined)?.error;
  return l.message === 'Activity failed' && INTENDED_ACTIVITY_FAILURES.has(error?.type ?? '');
}

/** SDK log lines at WARN or above (where the SDK complains about malformed tasks and histories), minus intended failures. */
export function sdkWarnings(): string[] {
  return sdkLogs
    .filter((l) => (l.level === 'WARN' || l.level === 'ERROR') && !intended(l))
    .map((l) => `${l.level} ${l.message} ${JSON.stringify(l.meta ?? {})}`);
}

export interface SdkSetup {
  /** The engine under test (set once the suite's beforeAll ran). */
  readonly t: TestEngine;
  readonly client: Client;
  readonly worker: Worker;
}

/**
 * The real SDK against an engine, for one describe block: registers a beforeAll that starts the engine, a worker
 * polling `taskQueue` and a client, and an afterAll that stops them in reverse order. Read its fields inside tests.
 */
export function useSdk(
  engine: () => Promise<TestEngine>,
  taskQueue: string,
  workerOptions: Partial<WorkerOptions> | (() => Promise<Partial<WorkerOptions>>) = {},
): SdkSetup {
  let t: TestEngine | undefined;
  let worker: Worker | undefined;
  let workerConnection: NativeConnection | undefined;
  let running: Promise<void> | undefined;
  let client: Client | undefined;
  let clientConnection: Connection | undefined;
  beforeAll(async () => {
    t = await engine();
    const options = typeof workerOptions === 'function' ? await workerOptions() : workerOptions;
    ({ worker, connection: workerConnection } = await sdkWorker(t.engine.address, taskQueue, options));
    running = worker.run();
    ({ client, connection: clientConnection } = await sdkClient(t.engine.address));
  }, 120_000);
  afterAll(async () => {
    worker?.shutdown();
    await running;
    await workerConnection?.close();
    await clientConnection?.close();
    await t?.close();
  });
  const ready = <T>(v: T | undefined, what: string): T => {
    if (v === undefined) throw new Error(`useSdk: ${what} is not started (read it inside a test, not at collection)`);
    return v;
  };
  return {
    get t() {
      return ready(t, 'the engine');
    },
    get client() {
      return ready(client, 'the client');
    },
    get worker() {
      return ready(worker, 'the worker');
    },
  };
}
