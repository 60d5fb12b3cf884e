/**
 * The engine's port under abuse, on loopback: garbage bytes, a valid HTTP/2 preface followed by garbage, an
 * undecodable protobuf, and a slowloris client that trickles a preface and never sends a frame. Throughout, a
 * normal client keeps
 * calling on its own connection; each abuse asserts the engine stays up, the normal client's p99 stays under a
 * generous bound, and the process's RSS (engine and abusers together) grows by a bounded amount. The bounds are
 * the engine's transport options (engine/frontend/transport.ts), lowered here so the test takes seconds.
 */
import { connect as tcpConnect, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { grpc } from '../bench/client/workflow-service.js';
import { testEngine, type TestEngine } from './helpers/engine.js';

let t: TestEngine;
let port: number;
const IDLE_MS = 1500;
const CAP = 1000;
const HANDSHAKE_MS = 3000;

beforeAll(async () => {
  t = await testEngine({
    numShards: 1,
    transport: {
      maxConnections: CAP,
      idleTimeoutMs: IDLE_MS,
      handshakeTimeoutMs: HANDSHAKE_MS,
      keepaliveTimeMs: 1000,
      keepaliveTimeoutMs: 1000,
    },
  });
  port = t.engine.port;
  await t.client.call('GetSystemInfo', {});
});
afterAll(() => t?.close());

/** The normal client's latencies (ms) while `abuse` runs, and the RSS growth over it. */
async function during(abuse: () => Promise<void>): Promise<{ p99: number; n: number; rssGrowthMb: number }> {
  const rss0 = process.memoryUsage().rss;
  const latencies: number[] = [];
  let done = false;
  const normal = (async () => {
    while (!done) {
      const t0 = performance.now();
      await t.client.call('DescribeNamespace', { namespace: 'default' }, { timeoutMs: 10_000 });
      latencies.push(performance.now() - t0);
      await new Promise((r) => setTimeout(r, 10));
    }
  })();
  try {
    await abuse();
  } finally {
    done = true;
    await normal;
  }
  latencies.sort((a, b) => a - b);
  const p99 = latencies[Math.min(latencies.length - 1, Math.floor(latencies.length * 0.99))] ?? Infinity;
  return { p99, n: latencies.length, rssGrowthMb: (process.memoryUsage().rss - rss0) / 1e6 };
}

function open(): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const s = tcpConnect(port, '127.0.0.1', () => resolve(s));
    s.on('error', reject);
    // Read (and drop) what the server sends, so that its closing the connection is seen.
    s.resume();
  });
}

function closed(s: Socket): Promise<void> {
  return new Promise((resolve) => (s.closed ? resolve() : s.once('close', () => resolve())));
}

const PREFACE = Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n');

function expectHealthy(r: { p99: number; n: number; rssGrowthMb: number }): void {
  process.stdout.write(`normal client: n=${r.n} p99=${r.p99.toFixed(1)} ms, RSS +${r.rssGrowthMb.toFixed(0)} MB\n`);
  expect(r.n).toBeGreaterThan(5);
  expect(r.p99).toBeLessThan(2000);
  expect(r.rssGrowthMb).toBeLessThan(300);
}

describe('the engine stays up and serves a normal client', () => {
  it('garbage bytes, and a valid HTTP/2 preface followed by garbage, on 100 connections each', async () => {
    const r = await during(async () => {
      const sockets = await Promise.all(Array.from({ length: 200 }, () => open()));
      sockets.forEach((s, i) => {
        s.on('error', () => undefined);
        const garbage = Buffer.alloc(64 * 1024, i % 251);
        s.write(i % 2 ? Buffer.concat([PREFACE, garbage]) : garbage);
      });
      // The server closes each of them: nothing it can parse.
      await Promise.all(sockets.map(closed));
    });
    expectHealthy(r);
  });

  it('an undecodable protobuf gets an error status, not a crash', async () => {
    const raw = new grpc.Client(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
    const code = await new Promise<number>((resolve) =>
      raw.makeUnaryRequest(
        '/temporal.api.workflowservice.v1.WorkflowService/StartWorkflowExecution',
        (b: Buffer) => b,
        (b: Buffer) => b,
        Buffer.from([0xff, 0xff, 0xff, 0xff, 0x0f, 0x12, 0x99]),
        (err) => resolve(err?.code ?? grpc.status.OK),
      ),
    );
    raw.close();
    expect([grpc.status.INTERNAL, grpc.status.INVALID_ARGUMENT]).toContain(code);
    await t.client.call('GetSystemInfo', {});
  });

  it('a slowloris client trickling the preface is closed at the handshake deadline', async () => {
    const r = await during(async () => {
      const s = await open();
      s.on('error', () => undefined);
      let i = 0;
      const trickle = setInterval(() => {
        if (!s.closed) s.write(PREFACE.subarray(i % PREFACE.length, (i % PREFACE.length) + 1));
        i += 1;
      }, 100);
      const t0 = Date.now();
      await closed(s);
      clearInterval(trickle);
      expect(Date.now() - t0).toBeLessThan(HANDSHAKE_MS + 2000);
    });
    expectHealthy(r);
  });
});
