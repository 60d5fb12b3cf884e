/**
 * A calibration target: a WorkflowService that answers StartWorkflowExecution after a known fixed delay and can
 * stall (hold every answer) for a while on demand. It counts what it served, so a test can check the harness's
 * figures against the truth. Test double on purpose: a real engine cannot produce an exact delay or a stall on
 * cue. It serves only what a starter-only run needs (pollers get empty answers after a short wait).
 */
import * as grpc from '@grpc/grpc-js';
import { randomUUID } from 'node:crypto';
import { workflowServiceDefinition } from '../../engine/index.js';
import { toPayload } from '../../scenarios/sdk/payloads.js';

export interface FakeTarget {
  address: string;
  /** Starts answered, in order of arrival. */
  readonly starts: number;
  /** Every start request's workflow id. */
  readonly workflowIds: string[];
  setDelayMs(ms: number): void;
  /** Holds every answer (and every new request) until `ms` from now. */
  stallFor(ms: number): void;
  stop(): Promise<void>;
}

export async function startFakeTarget(opts: {
  delayMs: number;
  /** Called as each start arrives, with the number of starts seen so far (to stall at a chosen point). */
  onStart?: (count: number, target: FakeTarget) => void;
}): Promise<FakeTarget> {
  let delayMs = opts.delayMs;
  let stallUntil = 0;
  let arrived = 0;
  const workflowIds: string[] = [];
  const server = new grpc.Server();
  const later = (fn: () => void): void => {
    const wait = Math.max(delayMs, stallUntil - Date.now());
    if (wait <= 0) fn();
    else setTimeout(fn, wait);
  };
  type Unary = (call: grpc.ServerUnaryCall<Record<string, unknown>, object>, cb: grpc.sendUnaryData<object>) => void;
  const impl: Record<string, Unary> = {
    GetSystemInfo: (_c, cb) => cb(null, { serverVersion: 'fake-target' }),
    DescribeNamespace: (_c, cb) => cb(null, { namespaceInfo: { name: 'default', state: 1 } }),
    StartWorkflowExecution: (call, cb) => {
      arrived += 1;
      opts.onStart?.(arrived, target);
      later(() => {
        workflowIds.push(String(call.request.workflowId));
        cb(null, { runId: randomUUID(), started: true });
      });
    },
    CountWorkflowExecutions: (_c, cb) =>
      cb(null, {
        count: workflowIds.length,
        groups: [{ groupValues: [toPayload('Completed')], count: workflowIds.length }],
      }),
    PollWorkflowTaskQueue: (_c, cb) => setTimeout(() => cb(null, {}), 200),
    PollActivityTaskQueue: (_c, cb) => setTimeout(() => cb(null, {}), 200),
  };
  const full: grpc.UntypedServiceImplementation = {};
  for (const name of Object.keys(workflowServiceDefinition)) {
    full[name] =
      impl[name] ??
      ((_c: unknown, cb: grpc.sendUnaryData<object>) =>
        cb({ code: grpc.status.UNIMPLEMENTED, details: `${name} not in the fake target` }));
  }
  server.addService(workflowServiceDefinition, full);
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (err, p) =>
      err ? reject(err) : resolve(p),
    ),
  );
  const target: FakeTarget = {
    address: `127.0.0.1:${port}`,
    get starts() {
      return workflowIds.length;
    },
    workflowIds,
    setDelayMs: (ms) => {
      delayMs = ms;
    },
    stallFor: (ms) => {
      stallUntil = Date.now() + ms;
    },
    stop: () =>
      new Promise((resolve) => {
        server.tryShutdown(() => resolve());
        setTimeout(() => server.forceShutdown(), 1000).unref();
      }),
  };
  return target;
}
