/**
 * The engine's port under abuse, on loopback: garbage bytes, a valid HTTP/2 preface followed by garbage, an
 * undecodable protobuf, a slowloris client that trickles a preface, thousands of idle connections past the cap, a
 * client that opens thousands of streams and never reads, bursts of large history reads whose client then
 * cancels, and a dozen 60 MB messages at once. Throughout, a normal client keeps calling on its own connection;
 * each abuse asserts the engine stays up, the normal client's p99 stays under a generous bound, and the process's
 * RSS (engine and abusers together) grows by a bounded amount; the figures are printed ("[abuse] ..." lines). The
 * bounds are the engine's transport options (engine/frontend/transport.ts), lowered here so each case takes seconds.
 */
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
    let newClientMs = Infinity;
    let peakOpen = 0;
    const opened = Date.now();
    const r = await during(t().client, async () => {
      for (let i = 0; i < ABUSERS; i += 100) {
        const batch = await Promise.all(Array.from({ length: 100 }, () => openSocket(port())));
        for (const s of batch) {
          s.on('error', noop);
          // A completed handshake, then nothing: what an idle client is.
          s.write(HANDSHAKE);
          sockets.push(s);
        }
      }
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
    // Every idle connection gets the idle GOAWAY, which these ignore: the engine closes them anyway.
    const allClosed = await until(() => sockets.every((s) => s.closed), IDLE_MS + 5000 + 3000);
    const closedAfterMs = Date.now() - opened;
    const idleClosed = (await scrape(metricsPort)).get('stampede_transport_idle_closed_total') ?? 0;
    process.stdout.write(
      `[abuse] ${ABUSERS} idle connections, cap ${CAP}: open at most ${peakOpen}, new client served in ` +
        `${newClientMs.toFixed(1)} ms, all closed ${closedAfterMs} ms after opening (idle timeout ${IDLE_MS} ms; ` +
        `${idleClosed} destroyed after ignoring the idle GOAWAY)\n`,
    );
    expect(allClosed).toBe(true);
    // They ignored the GOAWAY and kept their sockets: the engine's guard, not the peers, closed them.
    expect(idleClosed).toBeGreaterThan(0);
    expect(newClientMs).toBeLessThan(2000);
    expectHealthy(`${ABUSERS} idle connections, cap ${CAP}`, r, { p99Ms: 2000, rssGrowthMb: 300 });
    // And the port is free for clients again.
    await t().client.call('GetSystemInfo', {});
  });
});
