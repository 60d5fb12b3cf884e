/**
 * Fuzzing the engine's gRPC surface from outside its process. `stampede engine` runs as a child process (a crash
 * shows as the process exiting) and a raw grpc-js client with identity serializers sends, from a fixed-seed PRNG
 * and in bounded numbers: random bytes to every unary WorkflowService method, truncated valid requests, fields
 * with the wrong wire type, forged opaque tokens and hostile visibility queries, unknown enum values, oversized
 * payloads, and a crowd of long polls on one channel.
 *
 * Every call has a deadline and must end with a gRPC status (the distribution is printed per phase). Input errors
 * must never come back as UNKNOWN, nor as INTERNAL from a handler. Bytes protobufjs cannot decode do come back as
 * INTERNAL "Error deserializing request": grpc-js answers that before the engine sees the call (grpc-go, hence
 * Temporal, does the same); it is counted, not failed. After each phase the process must be alive and serve.
 *
 * Engine bugs the fuzzing found (prototype names as visibility fields, forged history page cursors, unbounded
 * start requests) are fixed; their probes stay at the end as regression tests.
 */
import * as grpc from '@grpc/grpc-js';
import protoRoot from '@temporalio/proto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WORKFLOW_SERVICE, workflowServiceDefinition } from '../engine/index.js';
import {
  HANG,
  PhaseTally,
  Rng,
  WireType,
  lenField,
  methodPath,
  rawCall,
  runBounded,
  spawnEngine,
  stringField,
  tag,
  varint,
  type EngineProcess,
  type Outcome,
} from './support/fuzz.js';

const SEED = 0x5eedf022;
const NS = 'default';
/** Never polled: workflow tasks of the runs started here wait in it. */
const IDLE_TQ = 'fuzz-idle';
/** Never gets a task: a poll on it is a pure long poll. */
const EMPTY_TQ = 'fuzz-empty';
const TARGET = 'fuzz-target';
const POLL_DEADLINE_MS = 1500;
const CALL_DEADLINE_MS = 5000;
const PHASE_BUDGET_MS = 10_000;
const CONCURRENCY = 32;
const MiB = 1024 * 1024;
const BLOB_LIMIT = 2 * MiB;

const v1 = protoRoot.temporal.api.workflowservice.v1;
const S = grpc.status;

// ---------------------------------------------------------------------------------------------------------------
// Encoding by message name (structural: int64 fields take plain numbers), and protobuf reflection.

interface MessageType {
  encode(message: object): { finish(): Uint8Array };
}

function encode(typeName: string, value: object): Buffer {
  const type = (v1 as unknown as Record<string, MessageType | undefined>)[typeName];
  if (!type) throw new Error(`no message type ${typeName}`);
  const bytes = type.encode(value).finish();
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

interface ReflectField {
  name: string;
  id: number;
  type: string;
  map: boolean;
  resolvedType: unknown;
}
interface ReflectType {
  fieldsArray: ReflectField[];
  resolveAll(): unknown;
}
const reflection = protoRoot as unknown as { lookupType(name: string): ReflectType };

function reflectType(typeName: string): ReflectType {
  const t = reflection.lookupType(typeName);
  t.resolveAll();
  return t;
}

function messageTypeOf(f: ReflectField): ReflectType | undefined {
  const r = f.resolvedType;
  return r && typeof r === 'object' && 'fieldsArray' in r ? (r as ReflectType) : undefined;
}

function expectedWireType(f: ReflectField): number {
  if (f.map || messageTypeOf(f)) return WireType.LEN;
  if (f.resolvedType) return WireType.VARINT; // an enum
  switch (f.type) {
    case 'double':
    case 'fixed64':
    case 'sfixed64':
      return WireType.I64;
    case 'float':
    case 'fixed32':
    case 'sfixed32':
      return WireType.I32;
    case 'string':
    case 'bytes':
      return WireType.LEN;
    default:
      return WireType.VARINT;
  }
}

/** One field `id` written with wire type `wireType` (usually not the one its declaration expects). */
function wrongField(rng: Rng, id: number, wireType: number, nested?: ReflectType): Buffer {
  switch (wireType) {
    case WireType.VARINT:
      return Buffer.concat([
        tag(id, wireType),
        rng.pick([
          varint(rng.int(2 ** 31)),
          varint(-1),
          varint(2n ** 63n),
          Buffer.from([0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01]), // overlong
        ]),
      ]);
    case WireType.I64:
      return Buffer.concat([tag(id, wireType), rng.bytes(8)]);
    case WireType.I32:
      return Buffer.concat([tag(id, wireType), rng.bytes(4)]);
    case WireType.LEN: {
      const variant = rng.int(nested ? 5 : 4);
      if (variant === 0) return lenField(id, rng.bytes(rng.int(40)));
      if (variant === 1) return lenField(id, Buffer.from([0xff, 0xfe, 0xc3, 0x28, 0xed, 0xa0, 0x80])); // bad UTF-8
      if (variant === 2) return lenField(id, Buffer.from('not a message, just text', 'utf8'));
      if (variant === 3) return Buffer.concat([tag(id, wireType), varint(1000), rng.bytes(3)]); // overruns
      // A submessage whose own field has the wrong wire type.
      const inner = rng.pick(nested!.fieldsArray);
      const wrong = rng.pick([0, 1, 2, 3, 5, 6, 7].filter((w) => w !== expectedWireType(inner)));
      return lenField(id, wrongField(rng, inner.id, wrong === WireType.LEN ? WireType.I32 : wrong));
    }
    case WireType.SGROUP:
      return rng.next() < 0.5
        ? Buffer.concat([tag(id, WireType.SGROUP), tag(id, WireType.EGROUP)])
        : Buffer.concat([tag(id, WireType.SGROUP), rng.bytes(rng.int(8))]); // never closed
    case WireType.EGROUP:
      return tag(id, WireType.EGROUP); // a stray end of group
    default:
      return Buffer.concat([tag(id, wireType), rng.bytes(rng.int(8))]); // wire types 6 and 7 do not exist
  }
}

// ---------------------------------------------------------------------------------------------------------------
// The engine process, the client, and what every phase saw.

let engine: EngineProcess;
let client: grpc.Client;
let namespaceId = '';
let targetRunId = '';
const tallies: PhaseTally[] = [];
/** What each regression probe got back (printed in the summary). */
const pinned: { name: string; outcome: Outcome }[] = [];

function call(method: string, body: Buffer, timeoutMs = CALL_DEADLINE_MS, opts: { cancelAfterMs?: number } = {}) {
  return rawCall(client, methodPath(WORKFLOW_SERVICE, method), body, timeoutMs, opts);
}

function describeOutcome(o: Outcome): string {
  return `${o.method}: ${o.code === HANG ? HANG : (S[o.code] ?? o.code)} ${o.details}`;
}

/** A call that must succeed; returns the response bytes. */
async function ok(method: string, typeName: string, value: object, timeoutMs = CALL_DEADLINE_MS): Promise<Buffer> {
  const o = await call(method, encode(typeName, value), timeoutMs);
  if (o.code !== S.OK || !o.response) throw new Error(`expected OK from ${describeOutcome(o)}`);
  return o.response;
}

async function startWorkflow(workflowId: string, taskQueue: string, extra: object = {}): Promise<string> {
  const r = await ok('StartWorkflowExecution', 'StartWorkflowExecutionRequest', {
    namespace: NS,
    workflowId,
    workflowType: { name: 'fuzz' },
    taskQueue: { name: taskQueue, kind: 1 },
    requestId: `req-${workflowId}-${taskQueue}`,
    ...extra,
  });
  return v1.StartWorkflowExecutionResponse.decode(r).runId;
}

async function pollTask(taskQueue: string, timeoutMs = CALL_DEADLINE_MS): Promise<Uint8Array> {
  const r = await ok(
    'PollWorkflowTaskQueue',
    'PollWorkflowTaskQueueRequest',
    { namespace: NS, taskQueue: { name: taskQueue, kind: 1 }, identity: 'fuzz' },
    timeoutMs,
  );
  const token = v1.PollWorkflowTaskQueueResponse.decode(r).taskToken;
  if (token.length === 0) throw new Error(`no workflow task on ${taskQueue}`);
  return token;
}

const COMPLETE = { commandType: 4, completeWorkflowExecutionCommandAttributes: {} };

async function workflowStatus(workflowId: string): Promise<number> {
  const r = await ok('DescribeWorkflowExecution', 'DescribeWorkflowExecutionRequest', {
    namespace: NS,
    execution: { workflowId },
  });
  return v1.DescribeWorkflowExecutionResponse.decode(r).workflowExecutionInfo?.status ?? -1;
}

/** The process is alive and answers a valid request. */
async function expectServing(after: string): Promise<void> {
  expect(engine.exited(), `the engine exited during ${after}:\n${engine.output()}`).toBeUndefined();
  const o = await call('GetSystemInfo', Buffer.alloc(0), 3000);
  expect(o.code, `GetSystemInfo after ${after}: ${describeOutcome(o)}`).toBe(S.OK);
  expect(v1.GetSystemInfoResponse.decode(o.response!).serverVersion).toMatch(/^stampede-/);
}

function phase(name: string): PhaseTally {
  const t = new PhaseTally(name);
  tallies.push(t);
  return t;
}

async function endPhase(t: PhaseTally): Promise<void> {
  t.elapsedMs = Date.now() - t.startedAt;
  expect(t.violations, `${t.name}: answers that break the contract`).toEqual([]);
  await expectServing(t.name);
}

beforeAll(async () => {
  engine = await spawnEngine();
  client = new grpc.Client(engine.address, grpc.credentials.createInsecure());
  await expectServing('start-up');
  const ns = await ok('DescribeNamespace', 'DescribeNamespaceRequest', { namespace: NS });
  namespaceId = v1.DescribeNamespaceResponse.decode(ns).namespaceInfo?.id ?? '';
  expect(namespaceId).not.toBe('');
  targetRunId = await startWorkflow(TARGET, IDLE_TQ);
});

afterAll(async () => {
  if (tallies.length > 0 || pinned.length > 0) {
    const lines = [
      ...tallies.map((t) => t.summary()),
      ...pinned.map((p) => `regression probe: ${p.name} -> ${describeOutcome(p.outcome)}`.slice(0, 200)),
    ];
    // Anything else the engine printed (warnings, unhandled rejections) is worth a look.
    const printed =
      engine
        ?.output()
        .split('\n')
        .filter((l) => l.trim() && !/serving WorkflowService/.test(l)) ?? [];
    if (printed.length > 0) lines.push(`engine printed:\n    ${printed.slice(0, 20).join('\n    ')}`);
    console.log(`engine fuzz summary (seed 0x${SEED.toString(16)}):\n  ${lines.join('\n  ')}`);
  }
  client?.close();
  await engine?.stop();
});

// ---------------------------------------------------------------------------------------------------------------
// Valid requests for the main methods: the material of the truncation and wire-type phases.

interface Template {
  method: string;
  type: string;
  value: object;
  timeoutMs: number;
}

function templates(rng: Rng): Template[] {
  const payloads = { payloads: [{ metadata: { encoding: Buffer.from('json/plain') }, data: Buffer.from('"hi"') }] };
  const t = (method: string, value: object, timeoutMs = CALL_DEADLINE_MS): Template => ({
    method,
    type: `${method}Request`,
    value,
    timeoutMs,
  });
  return [
    t('StartWorkflowExecution', {
      namespace: NS,
      workflowId: 'fuzz-start',
      workflowType: { name: 'fuzz' },
      taskQueue: { name: IDLE_TQ, kind: 1 },
      input: payloads,
      workflowRunTimeout: { seconds: 600 },
      workflowTaskTimeout: { seconds: 10 },
      identity: 'fuzz',
      requestId: 'fuzz-start-request',
      memo: { fields: { m: payloads.payloads[0] } },
      header: { fields: { h: payloads.payloads[0] } },
    }),
    t('SignalWorkflowExecution', {
      namespace: NS,
      workflowExecution: { workflowId: TARGET },
      signalName: 'poke',
      input: payloads,
      identity: 'fuzz',
      requestId: 'fuzz-signal-request',
    }),
    t('SignalWithStartWorkflowExecution', {
      namespace: NS,
      workflowId: TARGET,
      workflowType: { name: 'fuzz' },
      taskQueue: { name: IDLE_TQ },
      input: payloads,
      identity: 'fuzz',
      requestId: 'fuzz-sws-request',
      signalName: 'poke',
      signalInput: payloads,
    }),
    t(
      'PollWorkflowTaskQueue',
      { namespace: NS, taskQueue: { name: EMPTY_TQ, kind: 1 }, identity: 'fuzz' },
      POLL_DEADLINE_MS,
    ),
    t(
      'PollActivityTaskQueue',
      { namespace: NS, taskQueue: { name: EMPTY_TQ, kind: 1 }, identity: 'fuzz' },
      POLL_DEADLINE_MS,
    ),
    t('RespondWorkflowTaskCompleted', {
      taskToken: rng.bytes(24),
      identity: 'fuzz',
      commands: [
        {
          commandType: 1,
          scheduleActivityTaskCommandAttributes: {
            activityId: 'a1',
            activityType: { name: 'work' },
            taskQueue: { name: EMPTY_TQ },
            startToCloseTimeout: { seconds: 5 },
            input: payloads,
          },
        },
        COMPLETE,
      ],
    }),
    t('RespondActivityTaskCompleted', { taskToken: rng.bytes(24), result: payloads, identity: 'fuzz' }),
    t(
      'QueryWorkflow',
      { namespace: NS, execution: { workflowId: TARGET }, query: { queryType: 'state', queryArgs: payloads } },
      POLL_DEADLINE_MS,
    ),
    t('DescribeWorkflowExecution', { namespace: NS, execution: { workflowId: TARGET, runId: targetRunId } }),
    t('GetWorkflowExecutionHistory', {
      namespace: NS,
      execution: { workflowId: TARGET },
      maximumPageSize: 2,
      historyEventFilterType: 1,
    }),
    t('ListWorkflowExecutions', {
      namespace: NS,
      pageSize: 5,
      query: "WorkflowType = 'fuzz' AND ExecutionStatus = 'Running' ORDER BY StartTime DESC",
    }),
    t('CountWorkflowExecutions', { namespace: NS, query: "TaskQueue STARTS_WITH 'fuzz' GROUP BY ExecutionStatus" }),
    t('TerminateWorkflowExecution', {
      namespace: NS,
      workflowExecution: { workflowId: 'fuzz-never-started' },
      reason: 'fuzz',
      identity: 'fuzz',
    }),
    t('RequestCancelWorkflowExecution', {
      namespace: NS,
      workflowExecution: { workflowId: 'fuzz-never-started' },
      identity: 'fuzz',
      requestId: 'fuzz-cancel',
    }),
  ];
}

// ---------------------------------------------------------------------------------------------------------------

describe('the engine under fuzzed gRPC input, in its own process', () => {
  it('phase 1: random bytes to every unary WorkflowService method', { timeout: 30_000 }, async () => {
    const t = phase('1 random bytes');
    const rng = new Rng(SEED + 1);
    const paths = Object.values(workflowServiceDefinition)
      .filter((d) => !d.requestStream && !d.responseStream)
      .map((d) => d.path);
    expect(paths.length).toBeGreaterThan(50);
    const LENGTHS = [0, 1, 2, 3, 5, 8, 13, 32, 100, 256, 1000, 4096, 16_384, 65_536];
    const cases = paths.flatMap((path) =>
      Array.from({ length: 6 }, (_, i) => ({
        path,
        body: rng.bytes(i === 0 ? rng.int(3) : Math.min(65_536, rng.pick(LENGTHS) + rng.int(8))),
      })),
    );
    const { skipped } = await runBounded(cases, CONCURRENCY, PHASE_BUDGET_MS, async (c) => {
      const o = await rawCall(client, c.path, c.body, POLL_DEADLINE_MS);
      t.record(o, `${c.body.length} random bytes`);
    });
    t.skipped = skipped;
    await endPhase(t);
  });

  it('phase 2: valid requests of the main methods, truncated at random points', { timeout: 30_000 }, async () => {
    const t = phase('2 truncated');
    const rng = new Rng(SEED + 2);
    const cases = templates(rng).flatMap((tpl) => {
      const body = encode(tpl.type, tpl.value);
      const cuts = new Set([0, 1, body.length - 1]);
      while (cuts.size < Math.min(body.length, 24)) cuts.add(1 + rng.int(body.length - 1));
      return [...cuts].map((cut) => ({ tpl, body: body.subarray(0, cut), of: body.length }));
    });
    const { skipped } = await runBounded(cases, CONCURRENCY, PHASE_BUDGET_MS, async (c) => {
      t.record(await call(c.tpl.method, c.body, c.tpl.timeoutMs), `${c.tpl.type} cut at ${c.body.length}/${c.of}`);
    });
    t.skipped = skipped;
    await endPhase(t);
  });

  it('phase 3: fields written with the wrong wire type, deep nesting', { timeout: 30_000 }, async () => {
    const t = phase('3 wrong wire types');
    const rng = new Rng(SEED + 3);
    const cases: { method: string; body: Buffer; timeoutMs: number; input: string }[] = [];
    for (const tpl of templates(rng)) {
      const base = encode(tpl.type, tpl.value);
      const type = reflectType(`temporal.api.workflowservice.v1.${tpl.type}`);
      const candidates = type.fieldsArray.flatMap((f) =>
        [0, 1, 2, 3, 4, 5, 6, 7].filter((w) => w !== expectedWireType(f) || w === WireType.LEN).map((w) => ({ f, w })),
      );
      for (const { f, w } of rng.sample(candidates, 36)) {
        const wrong = wrongField(rng, f.id, w, messageTypeOf(f));
        const withBase = rng.next() < 0.6;
        cases.push({
          method: tpl.method,
          body: withBase ? Buffer.concat([base, wrong]) : wrong,
          timeoutMs: tpl.timeoutMs,
          input: `${tpl.type}.${f.name} (${f.type}) as wire type ${w}${withBase ? ' after a valid message' : ''}`,
        });
      }
    }
    // Bytes where a string is expected: every string field of a start, with invalid UTF-8 and NULs.
    const start = reflectType('temporal.api.workflowservice.v1.StartWorkflowExecutionRequest');
    const startBase = encode('StartWorkflowExecutionRequest', {
      namespace: NS,
      workflowId: 'fuzz-utf8',
      workflowType: { name: 'fuzz' },
      taskQueue: { name: IDLE_TQ },
      requestId: 'fuzz-utf8',
    });
    for (const f of start.fieldsArray.filter((x) => x.type === 'string')) {
      cases.push({
        method: 'StartWorkflowExecution',
        body: Buffer.concat([startBase, lenField(f.id, Buffer.from([0x66, 0x00, 0xff, 0xfe, 0xc0, 0xaf, 0x7a]))]),
        timeoutMs: CALL_DEADLINE_MS,
        input: `StartWorkflowExecutionRequest.${f.name} as invalid UTF-8 bytes`,
      });
    }
    // Deep nesting: Failure.cause chains around protobufjs's recursion limit (100) and far beyond, and nested
    // groups in an unknown field.
    const failure = reflectType('temporal.api.failure.v1.Failure');
    const wtFailed = reflectType('temporal.api.workflowservice.v1.RespondWorkflowTaskFailedRequest');
    const fid = (type: ReflectType, name: string): number => type.fieldsArray.find((f) => f.name === name)!.id;
    for (const depth of [50, 99, 100, 101, 1000, 20_000]) {
      // Built outside-in from the sizes (one copy, not one per level).
      const leaf = stringField(fid(failure, 'message'), 'leaf');
      const headers: Buffer[] = [];
      let size = leaf.length;
      for (let i = 0; i < depth; i++) {
        const header = Buffer.concat([
          stringField(fid(failure, 'message'), 'x'),
          tag(fid(failure, 'cause'), WireType.LEN),
          varint(size),
        ]);
        headers.push(header);
        size += header.length;
      }
      const f = Buffer.concat([...headers.reverse(), leaf]);
      cases.push({
        method: 'RespondWorkflowTaskFailed',
        body: Buffer.concat([
          lenField(fid(wtFailed, 'taskToken'), rng.bytes(16)),
          lenField(fid(wtFailed, 'failure'), f),
        ]),
        timeoutMs: CALL_DEADLINE_MS,
        input: `Failure.cause nested ${depth} deep`,
      });
    }
    for (const depth of [10, 1000, 50_000]) {
      cases.push({
        method: 'GetSystemInfo',
        body: Buffer.concat(Array.from({ length: depth }, () => tag(999, WireType.SGROUP))),
        timeoutMs: CALL_DEADLINE_MS,
        input: `${depth} nested groups in an unknown field`,
      });
    }
    const { skipped } = await runBounded(cases, CONCURRENCY, PHASE_BUDGET_MS, async (c) => {
      t.record(await call(c.method, c.body, c.timeoutMs), c.input);
    });
    t.skipped = skipped;
    await endPhase(t);
  });

  it('phase 3b: forged opaque tokens and hostile visibility queries', { timeout: 30_000 }, async () => {
    const t = phase('3b forged tokens, queries');
    const rng = new Rng(SEED + 4);
    const cases: { method: string; body: Buffer; timeoutMs: number; input: string }[] = [];

    // Visibility queries from a dictionary that includes Object.prototype member names as field names.
    const FIELDS = ['WorkflowId', 'WorkflowType', 'RunId', 'TaskQueue', 'ExecutionStatus', '`WorkflowId`', 'Custom'];
    const PROTOTYPE = ['constructor', '__proto__', 'toString', 'valueOf', 'hasOwnProperty', 'isPrototypeOf'];
    const OPS = ['=', '!=', 'STARTS_WITH', 'IN', '>', 'LIKE', ''];
    const VALUES = ["'fuzz'", "'Running'", `'${TARGET}'`, '"dq"', "'a\\'b'", '42', "'", '(', ''];
    const LISTS = ["('Running', 'Completed')", "('fuzz')", '()', "('a',", "('a' 'b')"];
    const TAILS = [
      '',
      ' GROUP BY ExecutionStatus',
      ' ORDER BY StartTime DESC',
      ' GROUP BY WorkflowType',
      ' AND',
      ' OR',
    ];
    for (let i = 0; i < 80; i++) {
      const clauses = Array.from({ length: 1 + rng.int(3) }, () => {
        const onPrototype = rng.next() < 0.35;
        const field = onPrototype ? rng.pick(PROTOTYPE) : rng.pick(FIELDS);
        const op = rng.pick(OPS);
        return `${field} ${op} ${op === 'IN' ? rng.pick(LISTS) : rng.pick(VALUES)}`.trim();
      });
      const query = clauses.join(' AND ') + rng.pick(TAILS);
      const method = rng.next() < 0.5 ? 'ListWorkflowExecutions' : 'CountWorkflowExecutions';
      cases.push({
        method,
        body: encode(`${method}Request`, { namespace: NS, query, pageSize: 10 }),
        timeoutMs: CALL_DEADLINE_MS,
        input: `query ${JSON.stringify(query)}`,
      });
    }

    // GetWorkflowExecutionHistory page tokens: the engine's JSON token, with wrong types and forged cursors.
    const b64 = (s: string): string => Buffer.from(s).toString('base64');
    const storeCursors = ['garbage', 'null', '[]', '{}', '[1]', '[null, null]', '["a", "b"]', '[1e308, -1e308]', '"s"'];
    const pageTokens: { token: string }[] = [
      ...storeCursors.map((s) => ({
        token: JSON.stringify({ runId: targetRunId, next: 1, store: b64(s) }),
      })),
      { token: JSON.stringify({ runId: targetRunId, next: 1, store: 12 }) },
      { token: JSON.stringify({ runId: targetRunId, next: 1, store: '!!not base64!!' }) },
      ...[
        { runId: 5, next: 1 },
        { runId: targetRunId, next: '1' },
        { runId: targetRunId, next: -1 },
        { runId: targetRunId, next: 1e308 },
        { runId: targetRunId, next: 0.5 },
        { runId: '', next: 1 },
        { runId: 'no-such-run', next: 1 },
        { runId: targetRunId, next: 1, tw: 'yes' },
        { runId: null, next: null },
      ].map((o) => ({ token: JSON.stringify(o) })),
      ...['null', '[]', '"x"', '{', '', '\u0000'].map((token) => ({ token })),
    ];
    for (const { token } of pageTokens) {
      cases.push({
        method: 'GetWorkflowExecutionHistory',
        body: encode('GetWorkflowExecutionHistoryRequest', {
          namespace: NS,
          execution: { workflowId: TARGET },
          nextPageToken: Buffer.from(token),
          maximumPageSize: rng.pick([0, 1, -5, 1_000_000]),
          historyEventFilterType: rng.pick([0, 1, 2]),
        }),
        timeoutMs: POLL_DEADLINE_MS,
        input: `history page token ${token}`,
      });
    }
    for (const token of ['-1', '1.5', '1e400', '9007199254740993', '0x10', ' 7 ', 'NaN', '\u00ff\u00fe']) {
      cases.push({
        method: 'ListWorkflowExecutions',
        body: encode('ListWorkflowExecutionsRequest', { namespace: NS, nextPageToken: Buffer.from(token) }),
        timeoutMs: CALL_DEADLINE_MS,
        input: `list page token ${JSON.stringify(token)}`,
      });
    }

    // Task tokens: the engine's JSON token for a real run, one field at a time given a wrong type or value.
    const workflowToken = { k: 'w', ns: namespaceId, wid: TARGET, rid: targetRunId, sid: 2, tid: 3, a: 1 };
    const activityToken = { k: 'a', ns: namespaceId, wid: TARGET, rid: targetRunId, sid: 5, a: 1, aid: 'a1' };
    const queryToken = { k: 'q', ns: namespaceId, wid: TARGET, rid: targetRunId, qid: 'q1' };
    const WRONG: unknown[] = [null, 1, 'x', true, [], {}, -1, 1e308, '__proto__', 'constructor'];
    const tokens: string[] = [
      'null',
      '[]',
      '"w"',
      '{"k":"w"}',
      '{"__proto__":{"k":"w"}}',
      '{"k":"z","ns":"","wid":"","rid":""}',
    ];
    for (const base of [workflowToken, activityToken, queryToken]) {
      for (const key of Object.keys(base)) {
        for (const wrong of rng.sample(WRONG, 4)) tokens.push(JSON.stringify({ ...base, [key]: wrong }));
      }
    }
    const TOKEN_METHODS = [
      'RespondWorkflowTaskCompleted',
      'RespondWorkflowTaskFailed',
      'RespondActivityTaskCompleted',
      'RespondActivityTaskFailed',
      'RespondActivityTaskCanceled',
      'RecordActivityTaskHeartbeat',
      'RespondQueryTaskCompleted',
    ];
    for (const token of tokens) {
      const method = rng.pick(TOKEN_METHODS);
      const extra = method === 'RespondWorkflowTaskCompleted' ? { commands: [COMPLETE] } : {};
      cases.push({
        method,
        body: encode(`${method}Request`, { taskToken: Buffer.from(token), identity: 'fuzz', ...extra }),
        timeoutMs: CALL_DEADLINE_MS,
        input: `task token ${token}`,
      });
    }

    const { skipped } = await runBounded(cases, CONCURRENCY, PHASE_BUDGET_MS, async (c) => {
      t.record(await call(c.method, c.body, c.timeoutMs), c.input);
    });
    t.skipped = skipped;
    // The target run was only ever poked with forged tokens: still running, its history still readable.
    expect(await workflowStatus(TARGET)).toBe(1);
    await endPhase(t);
  });

  it('phase 4: unknown enum values', { timeout: 30_000 }, async () => {
    const t = phase('4 unknown enums');
    const tq = 'fuzz-enum';
    const rec = async (method: string, value: object, input: string, timeoutMs = CALL_DEADLINE_MS) => {
      const o = await call(method, encode(`${method}Request`, value), timeoutMs);
      t.record(o, input);
      return o;
    };
    const UNKNOWN_VALUES = [99, -1, 2 ** 31 - 1];

    for (const kind of UNKNOWN_VALUES) {
      for (const method of ['PollWorkflowTaskQueue', 'PollActivityTaskQueue']) {
        const o = await rec(
          method,
          { namespace: NS, taskQueue: { name: EMPTY_TQ, kind } },
          `taskQueue.kind=${kind}`,
          POLL_DEADLINE_MS,
        );
        expect([S.OK, S.INVALID_ARGUMENT, S.DEADLINE_EXCEEDED], describeOutcome(o)).toContain(o.code);
      }
    }

    // Starts with unknown policies and task queue kind: a brand-new id, the same id while it runs.
    const started = await rec(
      'StartWorkflowExecution',
      {
        namespace: NS,
        workflowId: 'fuzz-enum-1',
        workflowType: { name: 'fuzz' },
        taskQueue: { name: tq, kind: 99 },
        requestId: 'enum-1',
        workflowIdReusePolicy: 1234,
        workflowIdConflictPolicy: 77,
      },
      'workflowIdReusePolicy=1234, workflowIdConflictPolicy=77, taskQueue.kind=99',
    );
    expect([S.OK, S.INVALID_ARGUMENT], describeOutcome(started)).toContain(started.code);
    if (started.code !== S.OK) await startWorkflow('fuzz-enum-1', tq);
    for (const [reuse, conflict] of [
      [1234, 77],
      [-5, 0],
      [0, 2 ** 31 - 1],
    ] as const) {
      const o = await rec(
        'StartWorkflowExecution',
        {
          namespace: NS,
          workflowId: 'fuzz-enum-1',
          workflowType: { name: 'fuzz' },
          taskQueue: { name: tq },
          requestId: `enum-again-${reuse}-${conflict}`,
          workflowIdReusePolicy: reuse,
          workflowIdConflictPolicy: conflict,
        },
        `start of a running id with reuse=${reuse}, conflict=${conflict}`,
      );
      expect([S.OK, S.INVALID_ARGUMENT, S.ALREADY_EXISTS], describeOutcome(o)).toContain(o.code);
    }
    await rec(
      'SignalWithStartWorkflowExecution',
      {
        namespace: NS,
        workflowId: 'fuzz-enum-1',
        workflowType: { name: 'fuzz' },
        taskQueue: { name: tq },
        requestId: 'enum-sws',
        signalName: 'poke',
        workflowIdConflictPolicy: 1234,
        workflowIdReusePolicy: 4321,
      },
      'signal-with-start, conflict=1234, reuse=4321',
    );

    // Unknown command types fail the workflow task (INVALID_ARGUMENT); the next attempt is served.
    for (const commandType of [999, -7, 2 ** 31 - 1, 0]) {
      const token = await pollTask(tq);
      const o = await rec(
        'RespondWorkflowTaskCompleted',
        { taskToken: token, identity: 'fuzz', commands: [{ commandType }] },
        `commandType=${commandType}`,
      );
      expect(o.code, describeOutcome(o)).toBe(S.INVALID_ARGUMENT);
    }
    // A known command next to an unknown one, then unknown enums inside a completion that closes the run.
    let token = await pollTask(tq);
    let o = await rec(
      'RespondWorkflowTaskCompleted',
      {
        taskToken: token,
        commands: [
          { commandType: 3, startTimerCommandAttributes: { timerId: 't', startToFireTimeout: { seconds: 60 } } },
          { commandType: 555 },
        ],
      },
      'a start-timer command, then commandType=555',
    );
    expect(o.code, describeOutcome(o)).toBe(S.INVALID_ARGUMENT);
    token = await pollTask(tq);
    o = await rec(
      'RespondWorkflowTaskCompleted',
      {
        taskToken: token,
        commands: [COMPLETE],
        queryResults: { 'no-such-query': { resultType: 99 } },
        stickyAttributes: { workerTaskQueue: { name: 'fuzz-sticky', kind: 42 } },
      },
      'queryResults.resultType=99, stickyAttributes kind=42, complete',
    );
    expect(o.code, describeOutcome(o)).toBe(S.OK);
    expect(await workflowStatus('fuzz-enum-1')).toBe(2);

    // A workflow task failed with an unknown cause, then completed.
    await startWorkflow('fuzz-enum-2', tq);
    o = await rec(
      'RespondWorkflowTaskFailed',
      { taskToken: await pollTask(tq), cause: 999, failure: { message: 'fuzz' } },
      'RespondWorkflowTaskFailed cause=999',
    );
    expect(o.code, describeOutcome(o)).toBe(S.OK);
    o = await rec('RespondWorkflowTaskCompleted', { taskToken: await pollTask(tq), commands: [COMPLETE] }, 'complete');
    expect(o.code, describeOutcome(o)).toBe(S.OK);

    // Their histories still encode and decode, with every filter value.
    for (const workflowId of ['fuzz-enum-1', 'fuzz-enum-2']) {
      for (const filter of [42, -3, 2]) {
        o = await rec(
          'GetWorkflowExecutionHistory',
          { namespace: NS, execution: { workflowId }, historyEventFilterType: filter },
          `historyEventFilterType=${filter}`,
        );
        expect(o.code, describeOutcome(o)).toBe(S.OK);
        const events = v1.GetWorkflowExecutionHistoryResponse.decode(o.response!).history?.events ?? [];
        expect(events.at(-1)?.eventType).toBe(
          protoRoot.temporal.api.enums.v1.EventType.EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED,
        );
      }
    }
    // Reusing the closed id with an unknown reuse policy; a query with an unknown reject condition.
    await rec(
      'StartWorkflowExecution',
      {
        namespace: NS,
        workflowId: 'fuzz-enum-2',
        workflowType: { name: 'fuzz' },
        taskQueue: { name: tq },
        requestId: 'enum-reuse',
        workflowIdReusePolicy: 1234,
      },
      'start of a closed id with reuse=1234',
    );
    await rec(
      'QueryWorkflow',
      { namespace: NS, execution: { workflowId: 'fuzz-enum-2' }, query: { queryType: 'q' }, queryRejectCondition: 77 },
      'queryRejectCondition=77',
      POLL_DEADLINE_MS,
    );
    await rec('RespondQueryTaskCompleted', { taskToken: Buffer.from('nope'), completedType: 99 }, 'completedType=99');
    await endPhase(t);
  });

  it('phase 5: oversized payloads and messages', { timeout: 60_000 }, async () => {
    const t = phase('5 huge payloads');
    const big = (n: number) => ({ metadata: { encoding: Buffer.from('binary/plain') }, data: Buffer.alloc(n, 0x61) });
    const start = (workflowId: string, extra: object) =>
      encode('StartWorkflowExecutionRequest', {
        namespace: NS,
        workflowId,
        workflowType: { name: 'fuzz' },
        taskQueue: { name: 'fuzz-huge' },
        requestId: `huge-${workflowId}`,
        ...extra,
      });
    const refused = [S.INVALID_ARGUMENT, S.RESOURCE_EXHAUSTED];
    const expectRefused = async (method: string, body: Buffer, input: string, timeoutMs = 20_000) => {
      const o = await call(method, body, timeoutMs);
      t.record(o, input);
      expect(refused, `${input}: ${describeOutcome(o)}`).toContain(o.code);
    };

    // At the limit is fine; one byte over is refused.
    const atLimit = await call(
      'StartWorkflowExecution',
      start('huge-at-limit', { input: { payloads: [big(BLOB_LIMIT)] } }),
    );
    t.record(atLimit, 'start input of exactly the blob limit');
    expect(atLimit.code, describeOutcome(atLimit)).toBe(S.OK);
    await expectRefused(
      'StartWorkflowExecution',
      start('huge-1', { input: { payloads: [big(BLOB_LIMIT + 1)] } }),
      'start input blob limit + 1',
    );
    await expectRefused(
      'StartWorkflowExecution',
      start('huge-2', { input: { payloads: [big(5 * MiB)] } }),
      'start input 5 MiB (over gRPC default 4 MiB)',
    );
    await expectRefused(
      'StartWorkflowExecution',
      start('huge-3', { input: { payloads: [big(MiB), big(MiB), big(MiB)] } }),
      'start input 3 x 1 MiB',
    );
    await expectRefused(
      'SignalWorkflowExecution',
      encode('SignalWorkflowExecutionRequest', {
        namespace: NS,
        workflowExecution: { workflowId: TARGET },
        signalName: 's',
        input: { payloads: [big(3 * MiB)] },
      }),
      'signal input 3 MiB',
    );
    await expectRefused(
      'SignalWithStartWorkflowExecution',
      encode('SignalWithStartWorkflowExecutionRequest', {
        namespace: NS,
        workflowId: 'huge-sws',
        workflowType: { name: 'fuzz' },
        taskQueue: { name: 'fuzz-huge' },
        requestId: 'huge-sws',
        signalName: 's',
        signalInput: { payloads: [big(3 * MiB)] },
      }),
      'signal-with-start signal input 3 MiB',
    );
    // A workflow result over the limit, on a real task; the task is still there to complete properly.
    await startWorkflow('huge-result', 'fuzz-huge-wt');
    const token = await pollTask('fuzz-huge-wt');
    await expectRefused(
      'RespondWorkflowTaskCompleted',
      encode('RespondWorkflowTaskCompletedRequest', {
        taskToken: token,
        commands: [
          { commandType: 4, completeWorkflowExecutionCommandAttributes: { result: { payloads: [big(3 * MiB)] } } },
        ],
      }),
      'workflow result 3 MiB',
    );
    // Over the engine's own 64 MiB receive limit: refused by grpc-js before decoding.
    const huge = await call('StartWorkflowExecution', Buffer.alloc(65 * MiB, 0x0a), 30_000);
    t.record(huge, '65 MiB message');
    expect(huge.code, describeOutcome(huge)).toBe(S.RESOURCE_EXHAUSTED);
    await endPhase(t);
  });

  it('phase 6: 2000 concurrent long polls on one channel, then prompt service', { timeout: 30_000 }, async () => {
    const t = phase('6 poll crowd');
    const poll = (queue: string, i: number) =>
      encode('PollWorkflowTaskQueueRequest', {
        namespace: NS,
        taskQueue: { name: queue, kind: 1 },
        identity: `crowd-${i}`,
      });
    const began = Date.now();
    const crowd: Promise<Outcome>[] = [];
    for (let i = 0; i < 2000; i++)
      crowd.push(call('PollWorkflowTaskQueue', poll(i % 2 === 0 ? 'crowd-shared' : `crowd-${i}`, i), 2000));
    // And 300 more the client gives up on early (the engine must drop their waiters).
    for (let i = 0; i < 300; i++)
      crowd.push(call('PollWorkflowTaskQueue', poll('crowd-cancel', i), 2000, { cancelAfterMs: 300 + (i % 100) }));
    await new Promise((r) => setTimeout(r, 400));
    const during = await call('GetSystemInfo', Buffer.alloc(0), 3000);
    expect(during.code, describeOutcome(during)).toBe(S.OK);
    expect(during.ms).toBeLessThan(2000);

    const outcomes = await Promise.all(crowd);
    for (const o of outcomes) t.record(o, 'a long poll in a crowd of 2300');
    const slowest = Math.max(...outcomes.map((o) => o.ms));
    // The engine answers an idle poll empty 1 s before its deadline; on a loaded machine some polls miss that
    // and end DEADLINE_EXCEEDED client-side, which is still a clean end.
    const codes = new Set(outcomes.map((o) => o.code));
    expect([...codes].filter((c) => c !== S.OK && c !== S.DEADLINE_EXCEEDED && c !== S.CANCELLED)).toEqual([]);
    expect(slowest).toBeLessThan(4000);
    expect(Date.now() - began).toBeLessThan(6000);

    const after = await call('GetSystemInfo', Buffer.alloc(0), 3000);
    expect(after.code).toBe(S.OK);
    expect(after.ms).toBeLessThan(2000);
    // A full round trip on each crowded queue (a waiter left behind by a dead poll would swallow the task).
    for (const queue of ['crowd-shared', 'crowd-cancel', 'crowd-fresh']) {
      const t0 = Date.now();
      await startWorkflow(`rt-${queue}`, queue);
      const token = await pollTask(queue);
      await ok('RespondWorkflowTaskCompleted', 'RespondWorkflowTaskCompletedRequest', {
        taskToken: token,
        commands: [COMPLETE],
      });
      expect(await workflowStatus(`rt-${queue}`)).toBe(2);
      expect(Date.now() - t0, `round trip on ${queue}`).toBeLessThan(4000);
    }
    await endPhase(t);
  });

  it('the engine process never exited', () => {
    expect(engine.exited(), engine.output()).toBeUndefined();
  });
});

// ---------------------------------------------------------------------------------------------------------------
// Regression tests for the engine bugs the fuzzing found (each answered INTERNAL, or was accepted, before the fix).

describe('engine bugs found by fuzzing stay fixed', () => {
  // Was a bug (engine/visibility/query.ts, compileQuery): the field name is looked up with
  // `FIELDS[field.text]` on a plain object literal, so Object.prototype members pass as fields. `toString = 'x'`
  // silently matches nothing; `constructor STARTS_WITH 'x'`, `__proto__ = 'x'`, `hasOwnProperty = 'x'` and
  // `valueOf IN ('a')` throw a TypeError while matching a record, which the frontend maps to INTERNAL
  // ("internal error: get is not a function", ...). Should be INVALID_ARGUMENT "unknown field".
  it.each([
    ['ListWorkflowExecutions', "constructor STARTS_WITH 'x'"],
    ['ListWorkflowExecutions', "__proto__ = 'x'"],
    ['CountWorkflowExecutions', "hasOwnProperty = 'x'"],
    ['CountWorkflowExecutions', "valueOf IN ('a')"],
    ['ListWorkflowExecutions', "toString = 'x'"],
  ])('%s refuses the query %s as INVALID_ARGUMENT', async (method, query) => {
    const o = await call(method, encode(`${method}Request`, { namespace: NS, query }));
    pinned.push({ name: `${method} ${query}`, outcome: o });
    expect(o.code, describeOutcome(o)).toBe(S.INVALID_ARGUMENT);
  });

  // Was a bug (engine/history/api/get-history.ts, decodeToken/readPage): the page token is client-supplied
  // JSON; decodeToken checks only `runId` and `next`, and passes `store` on to the store's history cursor, which
  // the memory store (engine/persistence/memory/history.ts, readHistoryNodes) JSON.parses and destructures
  // unchecked: a forged `store` gives INTERNAL ("internal error: Unexpected token ...", "... is not iterable"),
  // a non-string `store` a TypeError in Buffer.from. Should be INVALID_ARGUMENT "Invalid NextPageToken.".
  it.each([['garbage'], ['null'], ['{}']])(
    'a history page token with a forged store cursor %s is INVALID_ARGUMENT',
    async (cursor) => {
      const token = JSON.stringify({ runId: targetRunId, next: 1, store: Buffer.from(cursor).toString('base64') });
      const o = await call(
        'GetWorkflowExecutionHistory',
        encode('GetWorkflowExecutionHistoryRequest', {
          namespace: NS,
          execution: { workflowId: TARGET },
          nextPageToken: Buffer.from(token),
        }),
      );
      pinned.push({ name: `history page token store ${cursor}`, outcome: o });
      expect(o.code, describeOutcome(o)).toBe(S.INVALID_ARGUMENT);
    },
  );

  // Was a bug (engine/frontend/handlers/start-workflow-execution.ts, startParams): only `input` is checked
  // against the blob size limit and only the workflow id against the 1000-character id limit. A start with a
  // 3 MiB memo, search attribute or header, or a 3 MiB workflow type, task queue or identity, is accepted (Temporal
  // refuses them: memo/search-attribute size limits, "WorkflowType/TaskQueue/Identity exceeds length limit").
  // Once stored, every ListWorkflowExecutions page of the namespace that includes the run is larger than a
  // default client's 4 MiB receive limit: listing fails with RESOURCE_EXHAUSTED client-side. Runs in its own
  // namespace so the fuzzing above is not affected.
  it.each([
    ['memo', { memo: { fields: { m: { data: Buffer.alloc(3 * MiB, 0x61) } } } }],
    ['search attribute', { searchAttributes: { indexedFields: { s: { data: Buffer.alloc(3 * MiB, 0x61) } } } }],
    ['header', { header: { fields: { h: { data: Buffer.alloc(3 * MiB, 0x61) } } } }],
    ['workflow type', { workflowType: { name: 'x'.repeat(3 * MiB) } }],
    ['task queue', { taskQueue: { name: 'x'.repeat(3 * MiB) } }],
    ['identity', { identity: 'x'.repeat(3 * MiB) }],
  ])('a start with a 3 MiB %s is refused', { timeout: 20_000 }, async (what, extra) => {
    await call('RegisterNamespace', encode('RegisterNamespaceRequest', { namespace: 'fuzz-big' }));
    const o = await call(
      'StartWorkflowExecution',
      encode('StartWorkflowExecutionRequest', {
        namespace: 'fuzz-big',
        workflowId: `big-${what}`,
        workflowType: { name: 'fuzz' },
        taskQueue: { name: 'fuzz-big' },
        requestId: `big-${what}`,
        ...extra,
      }),
      15_000,
    );
    pinned.push({ name: `start with a 3 MiB ${what}`, outcome: o });
    expect([S.INVALID_ARGUMENT, S.RESOURCE_EXHAUSTED], describeOutcome(o)).toContain(o.code);
  });

  it('answered every regression probe with a status, and is still serving', async () => {
    expect(pinned).toHaveLength(14);
    expect(pinned.filter((p) => p.outcome.code === HANG || p.outcome.code === S.UNKNOWN)).toEqual([]);
    await expectServing('the regression probes');
  });
});
