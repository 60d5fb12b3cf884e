/** Malformed requests get the gRPC status and message Temporal would give, and the engine stays up. */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { grpc } from '../bench/client/workflow-service.js';
import { testEngine, type TestEngine } from './helpers/engine.js';
import { cmd, RawWorker } from './helpers/raw-worker.js';

let t: TestEngine;

beforeAll(async () => {
  t = await testEngine();
});

afterAll(async () => {
  await t.close();
});

async function failure(p: Promise<unknown>): Promise<{ code: number; details: string }> {
  try {
    await p;
  } catch (err) {
    const e = err as grpc.ServiceError;
    return { code: e.code, details: e.details };
  }
  throw new Error('the call succeeded');
}

it.each([
  [
    'no namespace',
    'StartWorkflowExecution',
    { workflowId: 'x', workflowType: { name: 'a' }, taskQueue: { name: 'q' }, requestId: 'r' },
    3,
    'Namespace not set on request.',
  ],
  [
    'no workflow type',
    'StartWorkflowExecution',
    { namespace: 'default', workflowId: 'x', taskQueue: { name: 'q' }, requestId: 'r' },
    3,
    'WorkflowType is not set on request.',
  ],
  [
    'no task queue',
    'StartWorkflowExecution',
    { namespace: 'default', workflowId: 'x', workflowType: { name: 'a' }, requestId: 'r' },
    3,
    'TaskQueue is not set on request.',
  ],
  [
    'a negative timeout',
    'StartWorkflowExecution',
    {
      namespace: 'default',
      workflowId: 'x',
      workflowType: { name: 'a' },
      taskQueue: { name: 'q' },
      requestId: 'r',
      workflowRunTimeout: { seconds: -5 },
    },
    3,
    'Invalid WorkflowRunTimeout.',
  ],
  ['an unknown namespace', 'DescribeNamespace', { namespace: 'missing' }, 5, 'Namespace missing is not found.'],
  [
    'an unknown workflow',
    'DescribeWorkflowExecution',
    { namespace: 'default', execution: { workflowId: 'never-started' } },
    5,
    'workflow execution not found for workflowId never-started',
  ],
  [
    'a signal without a name',
    'SignalWorkflowExecution',
    { namespace: 'default', workflowExecution: { workflowId: 'x' } },
    3,
    'SignalName is not set on request.',
  ],
  [
    'a garbage task token',
    'RespondWorkflowTaskCompleted',
    { taskToken: Buffer.from([0xff, 0x00, 0x13]) },
    3,
    'Error deserializing task token.',
  ],
  ['no task token', 'RespondActivityTaskCompleted', {}, 3, 'Task token not set on request.'],
  [
    'a poll without a task queue',
    'PollWorkflowTaskQueue',
    { namespace: 'default' },
    3,
    'TaskQueue is not set on request.',
  ],
  [
    'duration nanos out of range',
    'StartWorkflowExecution',
    {
      namespace: 'default',
      workflowId: 'x',
      workflowType: { name: 'a' },
      taskQueue: { name: 'q' },
      requestId: 'r',
      workflowTaskTimeout: { seconds: 1, nanos: 2_000_000_000 },
    },
    3,
    'Invalid WorkflowTaskTimeout: nanos 2000000000 is outside [0, 999999999].',
  ],
  [
    'an unknown workflow id reuse policy',
    'StartWorkflowExecution',
    {
      namespace: 'default',
      workflowId: 'x',
      workflowType: { name: 'a' },
      taskQueue: { name: 'q' },
      requestId: 'r',
      workflowIdReusePolicy: 99,
    },
    3,
    'Invalid WorkflowIdReusePolicy: unknown value 99.',
  ],
  [
    'a task queue name over limit.maxIDLength',
    'StartWorkflowExecution',
    {
      namespace: 'default',
      workflowId: 'x',
      workflowType: { name: 'a' },
      taskQueue: { name: 'q'.repeat(1001) },
      requestId: 'r',
    },
    3,
    'TaskQueue length exceeds limit (1001 bytes, limit.maxIDLength is 1000).',
  ],
  [
    'a negative namespace retention',
    'RegisterNamespace',
    { namespace: 'neg-retention', workflowExecutionRetentionPeriod: { seconds: -3600 } },
    3,
    'A valid retention period is not set on request.',
  ],
  [
    'a visibility query naming a prototype member',
    'CountWorkflowExecutions',
    { namespace: 'default', query: "constructor = 'x'" },
    3,
    "invalid query: invalid expression: column name 'constructor' is not a valid search attribute",
  ],
  [
    'a bad page token',
    'ListWorkflowExecutions',
    { namespace: 'default', nextPageToken: Buffer.from('xyz') },
    3,
    'Invalid NextPageToken.',
  ],
] as const)('%s', async (_, method, request, code, details) => {
  expect(await failure(t.client.call(method as 'StartWorkflowExecution', request as never))).toEqual({ code, details });
});

it('refuses a payload over the blob size limit', async () => {
  const big = Buffer.alloc(3 * 1024 * 1024, 1);
  const f = await failure(
    t.client.call('StartWorkflowExecution', {
      namespace: 'default',
      workflowId: 'big',
      workflowType: { name: 'a' },
      taskQueue: { name: 'q' },
      requestId: 'r',
      input: { payloads: [{ metadata: {}, data: big }] },
    }),
  );
  expect(f).toEqual({ code: 3, details: 'Blob data size exceeds limit.' });
});

it('refuses a message over the gRPC limit without falling over', async () => {
  const huge = Buffer.alloc(65 * 1024 * 1024, 1);
  const f = await failure(
    t.client.call('StartWorkflowExecution', {
      namespace: 'default',
      workflowId: 'huge',
      workflowType: { name: 'a' },
      taskQueue: { name: 'q' },
      requestId: 'r',
      input: { payloads: [{ metadata: {}, data: huge }] },
    }),
  );
  expect(f.code).toBe(grpc.status.RESOURCE_EXHAUSTED);
});

it('answers a stale task token with NOT_FOUND', async () => {
  const w = new RawWorker(t.client, `tq-${randomUUID().slice(0, 8)}`);
  await w.start(`stale-${randomUUID().slice(0, 8)}`);
  const task = await w.pollWorkflowTask();
  await w.complete(task, [cmd.complete()]);
  expect(await failure(w.complete(task, [cmd.complete()]))).toEqual({ code: 5, details: 'Workflow task not found.' });
});

it('finds a malformed duration anywhere in a workflow task’s commands, and names its path', async () => {
  const w = new RawWorker(t.client, `tq-${randomUUID().slice(0, 8)}`);
  await w.start(`nested-duration-${randomUUID().slice(0, 8)}`);
  const task = await w.pollWorkflowTask();
  const bad = { seconds: 1, nanos: 2_000_000_000 };
  const activity = cmd.activity('a', { startToClose: 10 });
  const attrs = activity.scheduleActivityTaskCommandAttributes;
  // The second command's retry policy: two levels down, past a repeated field and a oneof.
  const deep = {
    ...activity,
    scheduleActivityTaskCommandAttributes: { ...attrs, retryPolicy: { initialInterval: bad } },
  };
  expect(await failure(w.complete(task, [activity, deep]))).toEqual({
    code: 3,
    details:
      'Invalid commands[1].scheduleActivityTaskCommandAttributes.retryPolicy.initialInterval: nanos 2000000000 is outside [0, 999999999].',
  });
  const timer = { commandType: 2, startTimerCommandAttributes: { timerId: 't', startToFireTimeout: bad } };
  expect(await failure(w.complete(task, [timer]))).toEqual({
    code: 3,
    details:
      'Invalid commands[0].startTimerCommandAttributes.startToFireTimeout: nanos 2000000000 is outside [0, 999999999].',
  });
  // Well-formed commands on the same task still go through.
  await w.complete(task, [activity]);
});

it('is still serving after all that', async () => {
  const info = await t.client.call('GetSystemInfo', {});
  expect(info.serverVersion).toMatch(/^stampede-/);
});
