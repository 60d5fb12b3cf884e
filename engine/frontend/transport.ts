/**
 * The frontend's transport bounds, after Temporal's frontend keepalive settings (frontend.keepAlive*): a port
 * reachable by anyone must not let idle or hostile connections exhaust it. Tried before these existed: 21,000 idle
 * connections took every file descriptor (no idle timeout, no cap; connections sent a GOAWAY were left open), and
 * 50,000 unread streams grew RSS from 109 to 422 MB. Now: connections past a cap are closed at once; a connection
 * with no call for `idleTimeoutMs` gets a GOAWAY and is closed; every connection is recycled after
 * `maxConnectionAgeMs` (+ grace for calls in flight, longer than a long poll); a peer that stops answering pings is
 * dropped; streams per connection and the memory HTTP/2 may buffer per connection are bounded.
 */
import type * as grpc from '@grpc/grpc-js';
import type { Http2Server, ServerHttp2Session } from 'node:http2';
import type { Server as NetServer } from 'node:net';

export interface TransportOptions {
  /** Open connections accepted at most; more are closed as they arrive. @default 4096 */
  maxConnections: number;
  /** A connection with no call in flight for this long is sent a GOAWAY and closed (frontend.keepAliveMaxConnectionIdle). @default 120000 */
  idleTimeoutMs: number;
  /** Connections are recycled after this long (frontend.keepAliveMaxConnectionAge). @default 300000 */
  maxConnectionAgeMs: number;
  /** Calls in flight get this long after a recycling GOAWAY (frontend.keepAliveMaxConnectionAgeGrace). @default 70000 */
  maxConnectionAgeGraceMs: number;
  /** The server pings a connection quiet for this long (frontend.keepAliveTime). @default 60000 */
  keepaliveTimeMs: number;
  /** A ping unanswered for this long drops the connection (frontend.keepAliveTimeout). @default 10000 */
  keepaliveTimeoutMs: number;
  /** Concurrent streams (calls) per connection. @default 1000 */
  maxConcurrentStreams: number;
  /** Memory HTTP/2 may buffer per connection before it refuses new streams, MB (Node's maxSessionMemory). @default 10 */
  maxSessionMemoryMb: number;
  /** A connection that has not completed the HTTP/2 handshake (its SETTINGS) by then is closed. @default 10000 */
  handshakeTimeoutMs: number;
}

export const TRANSPORT_DEFAULTS: Readonly<TransportOptions> = Object.freeze({
  maxConnections: 4096,
  idleTimeoutMs: 120_000,
  maxConnectionAgeMs: 300_000,
  maxConnectionAgeGraceMs: 70_000,
  keepaliveTimeMs: 60_000,
  keepaliveTimeoutMs: 10_000,
  maxConcurrentStreams: 1000,
  maxSessionMemoryMb: 10,
  handshakeTimeoutMs: 10_000,
});

/** How long after its idle GOAWAY a connection may linger before it is destroyed. */
const CLOSE_GRACE_MS = 5000;

export function validateTransport(t: TransportOptions): string[] {
  const problems: string[] = [];
  for (const [k, v] of Object.entries(t)) {
    if (!Number.isSafeInteger(v) || v < 1) problems.push(`transport ${k} must be a positive integer, got ${String(v)}`);
  }
  return problems;
}

/** grpc-js server options for the bounds, with the message size limit (engine/limits.ts). */
export function serverOptions(t: TransportOptions, maxMessageBytes: number): grpc.ServerOptions {
  return {
    'grpc.max_receive_message_length': maxMessageBytes,
    'grpc.max_send_message_length': maxMessageBytes,
    'grpc.max_connection_idle_ms': t.idleTimeoutMs,
    'grpc.max_connection_age_ms': t.maxConnectionAgeMs,
    'grpc.max_connection_age_grace_ms': t.maxConnectionAgeGraceMs,
    'grpc.keepalive_time_ms': t.keepaliveTimeMs,
    'grpc.keepalive_timeout_ms': t.keepaliveTimeoutMs,
    'grpc.max_concurrent_streams': t.maxConcurrentStreams,
    'grpc-node.max_session_memory': t.maxSessionMemoryMb,
    // Nothing serves channelz here; with it on, grpc-js tracks every call and stream (closures, counters and clock
    // reads per call on the hot path).
    'grpc.enable_channelz': 0,
  };
}

/**
 * Caps the open connections of every port `server` listens on and guards each connection (call after binding). grpc-js offers no option for it;
 * its listening servers are Node net servers, whose `maxConnections` closes connections past the cap as they arrive.
 * They are reached through grpc-js's own map of them: if a grpc-js release renames it, the cap is reported missing
 * (returns false) rather than silently assumed.
 */
export function guardConnections(server: grpc.Server, t: TransportOptions): boolean {
  const listening = (server as unknown as { http2Servers?: unknown }).http2Servers;
  if (!(listening instanceof Map)) return false;
  let guarded = false;
  for (const s of listening.keys() as IterableIterator<Http2Server & NetServer>) {
    if (typeof s.listen !== 'function') continue;
    s.maxConnections = t.maxConnections;
    s.on('session', (session) => guardSession(session, t));
    guarded = true;
  }
  return guarded;
}

/**
 * What grpc-js does not enforce on a connection: a peer that never completes the handshake (garbage bytes, a preface
 * trickled one byte at a time) is destroyed after `handshakeTimeoutMs`; one left without calls is destroyed
 * `CLOSE_GRACE_MS` after grpc-js's idle GOAWAY should have ended it (a GOAWAY'd peer that keeps its socket open
 * was left holding it).
 */
function guardSession(session: ServerHttp2Session, t: TransportOptions): void {
  let active = 0;
  let idle: NodeJS.Timeout | undefined;
  const arm = (): void => {
    clearTimeout(idle);
    idle = setTimeout(() => session.destroy(), t.idleTimeoutMs + CLOSE_GRACE_MS).unref();
  };
  const handshake = setTimeout(() => session.destroy(), t.handshakeTimeoutMs).unref();
  session.once('remoteSettings', () => clearTimeout(handshake));
  session.on('stream', (stream) => {
    active += 1;
    clearTimeout(idle);
    stream.once('close', () => {
      active -= 1;
      if (active === 0) arm();
    });
  });
  session.once('close', () => {
    clearTimeout(idle);
    clearTimeout(handshake);
  });
  arm();
}
