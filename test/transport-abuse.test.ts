/**
 * The engine's port under abuse, on loopback: garbage bytes, a valid HTTP/2 preface followed by garbage, an
 * undecodable protobuf, a slowloris client that trickles a preface, thousands of idle connections past the cap, a
 * client that opens thousands of streams and never reads, bursts of large history reads whose client then
 * cancels, a dozen 60 MB messages at once, and 20,000 streams opened and reset at once on one connection (rapid
 * reset). Throughout, a normal client keeps calling on its own connection; each abuse asserts the engine stays up,
 * the normal client's p99 stays under a generous bound, and the process's RSS (engine and abusers together) grows by
 * a bounded amount; the figures are printed ("[abuse] ..." lines). The bounds are the engine's transport options
 * (engine/frontend/transport.ts), lowered here so each case takes seconds.
 */
import { constants } from 'node:http2';
import type { Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { grpc, WorkflowServiceClient } from '../bench/client/workflow-service.js';
import { api } from '../engine/proto.js';
import type { TransportOptions } from '../engine/frontend/transport.js';
import { testEngine, type TestEngine } from './helpers/engine.js';
import {
  during,
  expectHealthy,
  grpcFrame,
  grpcStatus,
  HANDSHAKE,
  http2Session,
  openSocket,
  PREFACE,
  rawCall,
  rssMb,
  scrape,
  sdkCall,
  socketClosed,
  until,
} from './helpers/abuse.js';

const noop = (): void => undefined;

/** An engine with lowered transport bounds, and a normal client connected to it. */
function abusedEngine(transport: Partial<TransportOptions>): { t: () => TestEngine; port: () => number } {
  let t: TestEngine | undefined;
  beforeAll(async () => {
    t = await testEngine({ numShards: 1, metricsPort: 0, transport });
    await t.client.call('GetSystemInfo', {});
  });
  afterAll(() => t?.close());
  const get = (): TestEngine => {
    if (!t) throw new Error('the engine did not start');
    return t;
  };
  return { t: get, port: () => get().engine.port };
}

describe('malformed traffic', () => {
  const HANDSHAKE_MS = 3000;
  const { t, port } = abusedEngine({ handshakeTimeoutMs: HANDSHAKE_MS, idleTimeoutMs: 1500 });

  it('garbage bytes, and a valid HTTP/2 preface followed by garbage, on 100 connections each', async () => {
    const r = await during(t().client, async () => {
      const sockets = await Promise.all(Array.from({ length: 200 }, () => openSocket(port())));
      sockets.forEach((s, i) => {
        s.on('error', noop);
        const garbage = Buffer.alloc(64 * 1024, i % 251);
        s.write(i % 2 ? Buffer.concat([PREFACE, garbage]) : garbage);
      });
      // The server closes each of them: nothing it can parse.
      await Promise.all(sockets.map(socketClosed));
    });
    expectHealthy('garbage bytes / preface + garbage, 200 connections', r, { p99Ms: 2000, rssGrowthMb: 300 });
  });

  it('an undecodable protobuf gets an error status, not a crash', async () => {
    const raw = new grpc.Client(`127.0.0.1:${port()}`, grpc.credentials.createInsecure());
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
    await t().client.call('GetSystemInfo', {});
  });

  it('a slowloris client trickling the preface is closed at the handshake deadline', async () => {
    const r = await during(t().client, async () => {
      const s = await openSocket(port());
      s.on('error', noop);
      let i = 0;
      const trickle = setInterval(() => {
        if (!s.closed) s.write(PREFACE.subarray(i % PREFACE.length, (i % PREFACE.length) + 1));
        i += 1;
      }, 100);
      const t0 = Date.now();
      await socketClosed(s);
      clearInterval(trickle);
      expect(Date.now() - t0).toBeLessThan(HANDSHAKE_MS + 2000);
    });
    expectHealthy('slowloris preface trickle', r, { p99Ms: 2000, rssGrowthMb: 300 });
  });
});

describe('thousands of idle connections', () => {
  const CAP = 1000;
  const IDLE_MS = 4000;
  const ABUSERS = 1500;
  const { t, port } = abusedEngine({ maxConnections: CAP, idleTimeoutMs: IDLE_MS });

  it(`${ABUSERS} idle connections past a cap of ${CAP}: the longest idle make room, a new client is served, all are closed after the idle timeout`, async () => {
    const metricsPort = t().engine.metricsPort ?? 0;
    const sockets: Socket[] = [];
    const closedAt: number[] = [];
    let newClientMs = Infinity;
    let peakOpen = 0;
    let opened = Date.now();
    const r = await during(t().client, async () => {
      for (let i = 0; i < ABUSERS; i += 100) {
        const batch = await Promise.all(Array.from({ length: 100 }, () => openSocket(port())));
        for (const s of batch) {
          s.on('error', noop);
          // A completed handshake, then nothing: what an idle client is.
          s.write(HANDSHAKE);
          s.once('close', () => closedAt.push(Date.now()));
          sockets.push(s);
        }
      }
      opened = Date.now();
      // Past the cap, the longest idle were closed as the others arrived (not at the idle timeout).
      expect(await until(() => sockets.filter((s) => s.closed).length >= ABUSERS - CAP, 3000)).toBe(true);
      const m = await scrape(metricsPort);
      peakOpen = m.get('stampede_transport_connections_open') ?? Infinity;
      expect(peakOpen).toBeLessThanOrEqual(CAP);
      expect(m.get('stampede_transport_connections_evicted_total')).toBeGreaterThanOrEqual(ABUSERS - CAP);
      expect(m.get('stampede_transport_setting{key="stampede.frontend.maxConnections"}')).toBe(CAP);
      // A new client, arriving with the cap reached, is served.
      const fresh = new WorkflowServiceClient(`127.0.0.1:${port()}`);
      const t0 = performance.now();
      await fresh.call('GetSystemInfo', {}, { timeoutMs: 5000 });
      newClientMs = performance.now() - t0;
      fresh.close();
    });
    // Every idle connection gets the idle GOAWAY, which these ignore (they never close a socket): the engine closes
    // them anyway.
    const allClosed = await until(() => sockets.every((s) => s.closed), IDLE_MS + 5000 + 3000);
    const closedAfterMs = Math.max(...closedAt) - opened;
    const idleClosed = (await scrape(metricsPort)).get('stampede_transport_idle_closed_total') ?? 0;
    process.stdout.write(
      `[abuse] ${ABUSERS} idle connections, cap ${CAP}: open at most ${peakOpen}, new client served in ` +
        `${newClientMs.toFixed(1)} ms, the last closed ${closedAfterMs} ms after the last opened (idle timeout ${IDLE_MS} ms; ` +
        `${idleClosed} destroyed by the guard after ignoring the idle GOAWAY, the rest closed by grpc-js with it)\n`,
    );
    expect(allClosed).toBe(true);

    expect(newClientMs).toBeLessThan(2000);
    expectHealthy(`${ABUSERS} idle connections, cap ${CAP}`, r, { p99Ms: 2000, rssGrowthMb: 300 });
    // And the port is free for clients again.
    await t().client.call('GetSystemInfo', {});
  });
});

/** A workflow whose history's first event carries a payload of `bytes`: every read of it is that large. */
async function bigHistory(t: TestEngine, workflowId: string, bytes: number): Promise<Buffer> {
  await t.client.call('StartWorkflowExecution', {
    namespace: 'default',
    workflowId,
    requestId: workflowId,
    workflowType: { name: 'abuse' },
    taskQueue: { name: 'abuse-tq' },
    input: { payloads: [{ metadata: { encoding: Buffer.from('binary/plain') }, data: Buffer.alloc(bytes, 7) }] },
  });
  const request = api.workflowservice.v1.GetWorkflowExecutionHistoryRequest.encode({
    namespace: 'default',
    execution: { workflowId },
  }).finish();
  return grpcFrame(request);
}

describe('a client that opens thousands of streams and never reads', () => {
  const STREAMS_PER_CONNECTION = 100;
  const PENDING_MB = 16;
  const { t, port } = abusedEngine({ maxConcurrentStreams: STREAMS_PER_CONNECTION, maxPendingReplyMb: PENDING_MB });

  it('3 connections x 1,000 unread 1 MB replies: the connections are closed, their queued calls dropped', async () => {
    const request = await bigHistory(t(), 'unread-streams', 1024 * 1024);
    const sessions = Array.from({ length: 3 }, () => http2Session(port(), { initialWindowSize: 0 }));
    let opened = 0;
    const r = await during(t().client, async () => {
      for (const session of sessions) {
        // A window of 0: the engine can send no reply data, so every reply it makes stays buffered on its side.
        for (let i = 0; i < 1000; i++) {
          // Once the engine has closed this connection (a GOAWAY, then the socket), there is nothing to abuse.
          if (session.closed || session.destroyed) break;
          try {
            rawCall(session, 'GetWorkflowExecutionHistory', request);
          } catch {
            break;
          }
          opened += 1;
          // The abuser shares this process with the engine: it lets the loop turn as a remote client would.
          if (i % 100 === 99) await new Promise((resolve) => setImmediate(resolve));
        }
      }
      expect(await until(() => sessions.every((s) => s.closed || s.destroyed), 10_000)).toBe(true);
      await new Promise((resolve) => setTimeout(resolve, 500));
    });
    const history = (await t().engine.stats()).rpc.GetWorkflowExecutionHistory;
    const ok = (history?.count ?? 0) - (history?.errors ?? 0);
    const m = await scrape(t().engine.metricsPort ?? 0);
    const closedSlow = m.get('stampede_transport_slow_readers_closed_total') ?? 0;
    process.stdout.write(
      `[abuse] ${opened} unread streams of 1 MB replies on 3 connections (max ${STREAMS_PER_CONNECTION} streams per ` +
        `connection, ${PENDING_MB} MB unsent): replies made ${ok}, calls dropped ${JSON.stringify(history?.errorsByCode)}, ` +
        `connections closed as slow readers ${closedSlow}\n`,
    );
    expect(closedSlow).toBe(3);
    // Each connection is closed soon after its unsent replies pass the bound: far fewer than the 300 its streams allowed.
    expect(ok).toBeLessThan(3 * STREAMS_PER_CONNECTION);
    // The bound leaves room for the replies made before the sweep saw the connections (measured 0.4-1 s; 7.5 s before).
    expectHealthy(`${opened} unread streams`, r, { p99Ms: 3000, rssGrowthMb: 300 });
  });
});

describe('large messages at once', () => {
  const LARGE = 4 * 1024 * 1024;
  const AT_ONCE = 2;
  const { t, port } = abusedEngine({ largeMessageBytes: LARGE, maxLargeMessages: AT_ONCE });

  it('12 messages of 60 MB at once: a bounded number is received and decoded, the rest refused RESOURCE_EXHAUSTED', async () => {
    const start = (mb: number): Uint8Array =>
      api.workflowservice.v1.StartWorkflowExecutionRequest.encode({
        namespace: 'default',
        workflowId: 'huge',
        requestId: 'huge',
        workflowType: { name: 'abuse' },
        taskQueue: { name: 'abuse-tq' },
        input: { payloads: [{ metadata: {}, data: Buffer.alloc(mb * 1024 * 1024, 1) }] },
      }).finish();
    const request = start(60);
    const eightMb = Buffer.from(start(8));
    // One buffer for all 12 streams: the abuser's own memory stays out of the figures.
    const framed = grpcFrame(request);
    // Twelve clients, one message each.
    const sessions = Array.from({ length: 12 }, () => http2Session(port()));
    const codes: (number | undefined)[] = [];
    let sdkCode: number | undefined;
    let peakMb = 0;
    const r = await during(t().client, async () => {
      const sampler = setInterval(() => (peakMb = Math.max(peakMb, rssMb())), 20);
      try {
        const calls = sessions.map((session) => grpcStatus(rawCall(session, 'StartWorkflowExecution', framed)));
        // And one more, 8 MB, from a grpc-js client (what the SDK's client is), while those are being received.
        sdkCode = await sdkCall(port(), 'StartWorkflowExecution', eightMb);
        codes.push(...(await Promise.all(calls)));
      } finally {
        clearInterval(sampler);
      }
    });
    for (const s of sessions) s.destroy();
    const m = await scrape(t().engine.metricsPort ?? 0);
    const refused = codes.filter((c) => c === grpc.status.RESOURCE_EXHAUSTED).length;
    process.stdout.write(
      `[abuse] 12 x 60 MB messages at once (at most ${AT_ONCE} large at a time): statuses ${JSON.stringify(codes)}, ` +
        `grpc-js client's 8 MB call ${String(sdkCode)}, ` +
        `refused ${refused}, peak RSS ${peakMb.toFixed(0)} MB (from ${r.rssBeforeMb.toFixed(0)} MB)\n`,
    );
    // Every one got an answer: those let through were decoded and refused by the blob size limit (2 MiB), as
    // Temporal does; the others were refused before they were received.
    expect(codes.every((c) => c === grpc.status.RESOURCE_EXHAUSTED || c === grpc.status.INVALID_ARGUMENT)).toBe(true);
    expect(refused).toBeGreaterThanOrEqual(12 - 2 * AT_ONCE);
    expect(sdkCode).toBe(grpc.status.RESOURCE_EXHAUSTED);
    expect(m.get('stampede_transport_large_messages_refused_total')).toBe(refused + 1);
    expect(m.get('stampede_transport_large_messages_in_flight')).toBe(0);
    expect(peakMb - r.rssBeforeMb).toBeLessThan(700);
    expectHealthy('12 x 60 MB messages at once', r, { p99Ms: 2000, rssGrowthMb: 500 });
  });
});

describe('work cancelled when its client is gone', () => {
  const { t, port } = abusedEngine({});

  it('30 reads of a 20 MB history whose client cancels at once are dropped, not served', async () => {
    const workflowId = 'cancelled-reads';
    await bigHistory(t(), workflowId, 1536 * 1024);
    for (let i = 0; i < 12; i++)
      await t().client.call('SignalWorkflowExecution', {
        namespace: 'default',
        workflowExecution: { workflowId },
        signalName: 'pad',
        identity: 'abuse',
        requestId: `pad-${i}`,
        input: { payloads: [{ metadata: {}, data: Buffer.alloc(1536 * 1024, i) }] },
      });
    const request = Buffer.from(
      api.workflowservice.v1.GetWorkflowExecutionHistoryRequest.encode({
        namespace: 'default',
        execution: { workflowId },
      }).finish(),
    );
    const reads = async (): Promise<void> => {
      const raw = new grpc.Client(`127.0.0.1:${port()}`, grpc.credentials.createInsecure());
      await new Promise<void>((resolve, reject) =>
        raw.waitForReady(Date.now() + 5000, (err) => (err ? reject(err) : resolve())),
      );
      const calls = Array.from({ length: 30 }, () =>
        raw.makeUnaryRequest(
          '/temporal.api.workflowservice.v1.WorkflowService/GetWorkflowExecutionHistory',
          (b: Buffer) => b,
          (b: Buffer) => b,
          request,
          noop,
        ),
      );
      // Sent, then cancelled a moment later: a reader that went away.
      await new Promise((resolve) => setTimeout(resolve, 5));
      for (const c of calls) c.cancel();
      closeLater.push(raw);
    };
    const historyOk = async (): Promise<number> => {
      const h = (await t().engine.stats()).rpc.GetWorkflowExecutionHistory;
      return (h?.count ?? 0) - (h?.errors ?? 0);
    };
    const finished = async (): Promise<number> =>
      (await t().engine.stats()).rpc.GetWorkflowExecutionHistory?.count ?? 0;
    const closeLater: grpc.Client[] = [];
    const cpu0 = process.cpuUsage();
    const count0 = await finished();
    const ok0 = await historyOk();
    const r = await during(t().client, async () => {
      await reads();
      // Every read the engine received has finished, one way or the other.
      await until(async () => (await finished()) - count0 >= 30, 10_000);
      await new Promise((resolve) => setTimeout(resolve, 300));
    });
    const cpu = process.cpuUsage(cpu0);
    for (const c of closeLater) c.close();
    const h = (await t().engine.stats()).rpc.GetWorkflowExecutionHistory;
    const served = (await historyOk()) - ok0;
    process.stdout.write(
      `[abuse] 30 reads of a 20 MB history, cancelled at once: served ${served}, ` +
        `finished ${(h?.count ?? 0) - count0} (${JSON.stringify(h?.errorsByCode)}), ` +
        `CPU ${((cpu.user + cpu.system) / 1000).toFixed(0)} ms\n`,
    );
    expect((h?.count ?? 0) - count0).toBe(30);
    expect(served).toBeLessThanOrEqual(5);
    expectHealthy('30 cancelled reads of a 20 MB history', r, { p99Ms: 2000, rssGrowthMb: 400 });
  });
});

describe('rapid reset (CVE-2023-44487)', () => {
  const STREAMS = 20_000;
  const IDLE_MS = 2000;
  const { t, port } = abusedEngine({ maxConcurrentStreams: 100, idleTimeoutMs: IDLE_MS });

  it(`up to ${STREAMS} streams opened and reset at once on one connection: the engine stays usable and drops the connection`, async () => {
    const metricsPort = t().engine.metricsPort ?? 0;
    const openConnections = async (): Promise<number> =>
      (await scrape(metricsPort)).get('stampede_transport_connections_open') ?? Infinity;
    const calls = async (): Promise<number> => (await t().engine.stats()).rpc.GetSystemInfo?.count ?? 0;
    const calls0 = await calls();
    const framed = grpcFrame(api.workflowservice.v1.GetSystemInfoRequest.encode({}).finish());
    const session = http2Session(port());
    let goaway: number | undefined;
    session.on('goaway', (code: number) => (goaway = code));
    let opened = 0;
    let closed = 0;
    let droppedAfterMs = Infinity;
    const r = await during(t().client, async () => {
      for (let i = 0; i < STREAMS; i++) {
        // The engine (node's HTTP/2 layer under it) may end the connection: then there is nothing left to abuse.
        if (session.closed || session.destroyed) break;
        try {
          const stream = rawCall(session, 'GetSystemInfo', framed);
          stream.once('close', () => (closed += 1));
          // HEADERS and the request, then RST_STREAM(CANCEL) at once: a stream reset this way stops counting
          // against the concurrent-stream limit, which is what makes the attack cheap for the client.
          stream.close(constants.NGHTTP2_CANCEL);
        } catch {
          break;
        }
        opened += 1;
        // The abuser shares this process with the engine: it lets the loop turn as a remote client would.
        if (i % 100 === 99) await new Promise((resolve) => setTimeout(resolve, 5));
      }
      // Every reset is seen through, or the connection ended, within a bound.
      expect(await until(() => closed === opened || session.closed || session.destroyed, 10_000)).toBe(true);
      session.destroy();
      // Then the engine lets the connection go: only the normal client's is left, within the idle timeout and the
      // guard's grace (a connection node's HTTP/2 layer ended with a GOAWAY is no longer read, so the client's close
      // is not seen before that).
      const t0 = Date.now();
      expect(await until(async () => (await openConnections()) <= 1, IDLE_MS + 5000 + 3000)).toBe(true);
      droppedAfterMs = Date.now() - t0;
    });
    const reached = (await calls()) - calls0;
    process.stdout.write(
      `[abuse] rapid reset: ${opened} streams opened and reset on one connection (max 100 concurrent), ` +
        `${closed} seen closed, ${reached} reached the handler, GOAWAY ${goaway === undefined ? 'none' : `code ${goaway}`}, ` +
        `connection dropped by the engine ${droppedAfterMs} ms after the client closed it (idle timeout ${IDLE_MS} ms)\n`,
    );
    expect(opened).toBeGreaterThan(0);
    expectHealthy(`rapid reset, ${opened} streams`, r, { p99Ms: 2000, rssGrowthMb: 300 });
    // A new client is served.
    const fresh = new WorkflowServiceClient(`127.0.0.1:${port()}`);
    try {
      await fresh.call('GetSystemInfo', {}, { timeoutMs: 5000 });
    } finally {
      fresh.close();
    }
  });
});
