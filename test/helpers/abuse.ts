/**
 * Tools for the transport abuse tests (test/transport-abuse.test.ts): raw sockets and raw HTTP/2 streams to the
 * engine's port, a normal client's latencies measured while an abuse runs, and the engine's /metrics read back.
 * Everything is on loopback and every loop is bounded by its caller.
 */
import { connect as http2Connect, constants, type ClientHttp2Session, type ClientHttp2Stream } from 'node:http2';
import { connect as tcpConnect, type Socket } from 'node:net';
import { expect } from 'vitest';
import { grpc, type WorkflowServiceClient } from '../../bench/client/workflow-service.js';

export const PREFACE = Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n');
/** The client preface, an empty SETTINGS frame and the ACK of the server's: a completed handshake, then nothing. */
export const HANDSHAKE = Buffer.concat([
  PREFACE,
  Buffer.from([0, 0, 0, 4, 0, 0, 0, 0, 0]),
  Buffer.from([0, 0, 0, 4, 1, 0, 0, 0, 0]),
]);

export function openSocket(port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const s = tcpConnect(port, '127.0.0.1', () => resolve(s));
    s.on('error', reject);
    // Read (and drop) what the server sends, so that its closing the connection is seen.
    s.resume();
  });
}

export function socketClosed(s: Socket): Promise<void> {
  return new Promise((resolve) => (s.closed ? resolve() : s.once('close', () => resolve())));
}

/** Waits until `cond` holds, polling, at most `ms`: whether it held. */
export async function until(cond: () => boolean | Promise<boolean>, ms: number): Promise<boolean> {
  const end = Date.now() + ms;
  for (;;) {
    if (await cond()) return true;
    if (Date.now() >= end) return false;
    await new Promise((r) => setTimeout(r, 50));
  }
}

export const rssMb = (): number => process.memoryUsage().rss / 1e6;

export interface AbuseFigures {
  /** The normal client's calls during the abuse, and their p99 and max latency, ms. */
  n: number;
  p99: number;
  max: number;
  /** RSS (engine and abusers: one process) before the abuse and when it ended, MB. */
  rssBeforeMb: number;
  rssAfterMb: number;
}

/** A normal client's latencies (ms) while `abuse` runs, and RSS before and after it. */
export async function during(client: WorkflowServiceClient, abuse: () => Promise<void>): Promise<AbuseFigures> {
  const rssBeforeMb = rssMb();
  const latencies: number[] = [];
  let done = false;
  const normal = (async () => {
    while (!done) {
      const t0 = performance.now();
      await client.call('DescribeNamespace', { namespace: 'default' }, { timeoutMs: 10_000 });
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
  return {
    n: latencies.length,
    p99,
    max: latencies[latencies.length - 1] ?? Infinity,
    rssBeforeMb,
    rssAfterMb: rssMb(),
  };
}

/** Prints the figures (for the table) and asserts them against generous bounds. */
export function expectHealthy(label: string, r: AbuseFigures, bounds: { p99Ms: number; rssGrowthMb: number }): void {
  process.stdout.write(
    `[abuse] ${label}: normal client n=${r.n} p99=${r.p99.toFixed(1)} ms max=${r.max.toFixed(1)} ms; ` +
      `RSS ${r.rssBeforeMb.toFixed(0)} -> ${r.rssAfterMb.toFixed(0)} MB\n`,
  );
  expect(r.n).toBeGreaterThan(5);
  expect(r.p99).toBeLessThan(bounds.p99Ms);
  expect(r.rssAfterMb - r.rssBeforeMb).toBeLessThan(bounds.rssGrowthMb);
}

/** The engine's /metrics, as name{labels} -> value. */
export async function scrape(metricsPort: number): Promise<Map<string, number>> {
  const text = await (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text();
  const out = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const i = line.lastIndexOf(' ');
    out.set(line.slice(0, i), Number(line.slice(i + 1)));
  }
  return out;
}

/** A gRPC message frame: uncompressed, 4-byte big-endian length, then the bytes. */
export function grpcFrame(message: Uint8Array): Buffer {
  const head = Buffer.alloc(5);
  head.writeUInt32BE(message.length, 1);
  return Buffer.concat([head, message]);
}

/** A raw HTTP/2 connection to the engine, for clients the gRPC libraries would not be (one that never reads). */
export function http2Session(port: number, settings: { initialWindowSize?: number } = {}): ClientHttp2Session {
  const session = http2Connect(`http://127.0.0.1:${port}`, { settings });
  session.on('error', () => undefined);
  return session;
}

/** Starts a unary WorkflowService call on `session` with an already framed request; the stream is returned unread. */
export function rawCall(session: ClientHttp2Session, method: string, framed: Buffer): ClientHttp2Stream {
  const stream = session.request({
    ':method': 'POST',
    ':path': `/temporal.api.workflowservice.v1.WorkflowService/${method}`,
    'content-type': 'application/grpc',
    te: 'trailers',
  });
  stream.on('error', () => undefined);
  stream.end(framed);
  return stream;
}

/**
 * The gRPC status a raw call ended with (from its trailers, or trailers-only headers); a stream reset with
 * ENHANCE_YOUR_CALM counts as RESOURCE_EXHAUSTED, as gRPC clients report it. Undefined if reset otherwise.
 */
export function grpcStatus(stream: ClientHttp2Stream): Promise<number | undefined> {
  return new Promise((resolve) => {
    let code: number | undefined;
    const take = (h: Record<string, unknown>): void => {
      if (h['grpc-status'] !== undefined) code = Number(h['grpc-status']);
    };
    stream.on('response', take);
    stream.on('trailers', take);
    stream.resume();
    stream.once('close', () => {
      if (code === undefined && stream.rstCode === constants.NGHTTP2_ENHANCE_YOUR_CALM) code = RESOURCE_EXHAUSTED;
      resolve(code);
    });
  });
}

const RESOURCE_EXHAUSTED = 8;

/** One unary call from a grpc-js client of its own (what the SDK's client is), with the request already encoded: its status code. */
export async function sdkCall(port: number, method: string, request: Buffer): Promise<number> {
  const client = new grpc.Client(`127.0.0.1:${port}`, grpc.credentials.createInsecure(), {
    'grpc.max_send_message_length': -1,
  });
  try {
    return await new Promise<number>((resolve) =>
      client.makeUnaryRequest(
        `/temporal.api.workflowservice.v1.WorkflowService/${method}`,
        (b: Buffer) => b,
        (b: Buffer) => b,
        request,
        (err) => resolve(err?.code ?? grpc.status.OK),
      ),
    );
  } finally {
    client.close();
  }
}
