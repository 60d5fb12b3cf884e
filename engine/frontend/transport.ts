/**
 * The frontend's transport bounds, after Temporal's frontend keepalive settings (frontend.keepAlive*): a port
 * reachable by anyone must not let idle or hostile connections exhaust it. Tried before these existed: 21,000 idle
 * connections took every file descriptor (no idle timeout, no cap; connections sent a GOAWAY were left open), and
 * 50,000 unread streams grew RSS from 109 to 422 MB. Now: past a cap of connections, a new one replaces the longest
 * idle (or is closed at once when every connection is busy); a connection
 * with no call for `idleTimeoutMs` gets a GOAWAY and is closed; every connection is recycled after
 * `maxConnectionAgeMs` (+ grace for calls in flight, longer than a long poll); a peer that stops answering pings is
 * dropped; streams per connection and the memory HTTP/2 may buffer per connection are bounded; messages above
 * `largeMessageBytes` are decoded `maxLargeMessages` at a time (12 messages of 64 MB at once took 1.1 GB); a
 * connection whose client stops reading is closed once it holds `maxPendingReplyMb` of unsent replies.
 * The guards grpc-js has no option for are in connection-guard.ts.
 */
import type * as grpc from '@grpc/grpc-js';

export interface TransportOptions {
  /** Open connections at most; at the cap a new one replaces the longest idle, or is closed if none is idle. @default 4096 */
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
  /** A request message declared at least this large counts as large, bytes. @default 4 MiB */
  largeMessageBytes: number;
  /** Large request messages received and decoded at once; more are refused with RESOURCE_EXHAUSTED. @default 4 */
  maxLargeMessages: number;
  /** Reply bytes a connection may hold unsent while its client reads nothing; past it the connection is closed, MB. @default 16 */
  maxPendingReplyMb: number;
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
  largeMessageBytes: 4 * 1024 * 1024,
  maxLargeMessages: 4,
  maxPendingReplyMb: 16,
});

/** Each setting's key (stampede's own, in the style of Temporal's frontend keys), for docs and /metrics. */
export const TRANSPORT_KEYS: Readonly<Record<keyof TransportOptions, string>> = {
  maxConnections: 'stampede.frontend.maxConnections',
  idleTimeoutMs: 'frontend.keepAliveMaxConnectionIdle',
  maxConnectionAgeMs: 'frontend.keepAliveMaxConnectionAge',
  maxConnectionAgeGraceMs: 'frontend.keepAliveMaxConnectionAgeGrace',
  keepaliveTimeMs: 'frontend.keepAliveTime',
  keepaliveTimeoutMs: 'frontend.keepAliveTimeout',
  maxConcurrentStreams: 'stampede.frontend.maxConcurrentStreams',
  maxSessionMemoryMb: 'stampede.frontend.maxSessionMemoryMb',
  handshakeTimeoutMs: 'stampede.frontend.handshakeTimeout',
  largeMessageBytes: 'stampede.frontend.largeMessageBytes',
  maxLargeMessages: 'stampede.frontend.maxLargeMessages',
  maxPendingReplyMb: 'stampede.frontend.maxPendingReplyMb',
};

/** Each setting with its key, in declaration order (for /metrics and docs). */
export function transportEntries(t: TransportOptions): { name: keyof TransportOptions; key: string; value: number }[] {
  return (Object.keys(TRANSPORT_KEYS) as (keyof TransportOptions)[]).map((name) => ({
    name,
    key: TRANSPORT_KEYS[name],
    value: t[name],
  }));
}

/** What the transport guards counted (for /metrics). */
export class TransportCounters {
  /** Connections open now. */
  connectionsOpen = 0;
  /** Connections closed on arrival because `maxConnections` were open, each with a call in flight. */
  connectionsRefused = 0;
  /** Idle connections closed to make room for a new one at `maxConnections`. */
  connectionsEvicted = 0;
  /** Connections closed for not completing the HTTP/2 handshake in time. */
  handshakeTimeouts = 0;
  /** Connections destroyed after ignoring the idle GOAWAY. */
  idleClosed = 0;
  /** Large request messages being received or handled now. */
  largeMessagesInFlight = 0;
  /** Large request messages refused with RESOURCE_EXHAUSTED. */
  largeMessagesRefused = 0;
  /** Connections closed for holding replies unsent while their client read nothing. */
  slowReadersClosed = 0;
}

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
