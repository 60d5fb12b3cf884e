/**
 * The transport bounds grpc-js has no option for (engine/frontend/transport.ts declares them): a cap on open
 * connections, a handshake deadline, connections that ignore the idle GOAWAY destroyed, and large messages decoded a
 * bounded number at a time, connections whose client reads no replies closed. Each is counted for /metrics.
 */
import type * as grpc from '@grpc/grpc-js';
import type { Http2Server, ServerHttp2Session } from 'node:http2';
import { LargeMessageGate } from './large-messages.js';
import { SlowReaderSweep } from './slow-readers.js';
import type { TransportCounters, TransportOptions } from './transport.js';

/** How long after its idle GOAWAY a connection may linger before it is destroyed. */
const CLOSE_GRACE_MS = 5000;

/**
 * Caps the open connections of every port `server` listens on and guards each connection (call after binding).
 * At the cap, a new connection takes the place of the one that has been idle longest (no call in flight), so
 * thousands of idle connections cannot lock a new client out for as long as they stay; only when every open
 * connection has a call in flight is the newcomer closed on arrival. grpc-js's listening servers are reached through
 * its own map of them: if a grpc-js release renames it, the guards are reported missing (returns false) rather than
 * silently assumed.
 */
export function guardConnections(server: grpc.Server, t: TransportOptions, counters: TransportCounters): boolean {
  const listening = (server as unknown as { http2Servers?: unknown }).http2Servers;
  if (!(listening instanceof Map)) return false;
  const gate = new LargeMessageGate(t.largeMessageBytes, t.maxLargeMessages, counters);
  const pool = new ConnectionPool(t.maxConnections, counters);
  const slow = new SlowReaderSweep(t.maxPendingReplyMb * 1024 * 1024, counters);
  let guarded = false;
  for (const s of listening.keys() as IterableIterator<Http2Server>) {
    if (typeof s.listen !== 'function') continue;
    s.on('session', (session) => {
      if (pool.admit(session)) guardSession(session, t, counters, { gate, pool, slow });
    });
    guarded = true;
  }
  return guarded;
}

/** The open connections; the idle ones in the order they became idle (a Map keeps insertion order). */
class ConnectionPool {
  private readonly open = new Set<ServerHttp2Session>();
  private readonly idle = new Map<ServerHttp2Session, true>();

  constructor(
    private readonly max: number,
    private readonly counters: TransportCounters,
  ) {}

  /** Whether `session` may stay: at the cap, the longest-idle connection is closed for it, or else it is. */
  admit(session: ServerHttp2Session): boolean {
    if (this.open.size >= this.max) {
      const oldest = this.idle.keys().next();
      if (oldest.done) {
        this.counters.connectionsRefused += 1;
        session.destroy();
        return false;
      }
      this.counters.connectionsEvicted += 1;
      this.remove(oldest.value);
      oldest.value.destroy();
    }
    this.open.add(session);
    this.idle.set(session, true);
    this.counters.connectionsOpen = this.open.size;
    session.once('close', () => this.remove(session));
    return true;
  }

  /** A call started on it. */
  busy(session: ServerHttp2Session): void {
    this.idle.delete(session);
  }

  /** Its last call ended: now the newest idle connection. */
  rested(session: ServerHttp2Session): void {
    if (!this.open.has(session)) return;
    this.idle.delete(session);
    this.idle.set(session, true);
  }

  private remove(session: ServerHttp2Session): void {
    this.open.delete(session);
    this.idle.delete(session);
    this.counters.connectionsOpen = this.open.size;
  }
}

/**
 * What grpc-js does not enforce on a connection: a peer that never completes the handshake (garbage bytes, a preface
 * trickled one byte at a time) is destroyed after `handshakeTimeoutMs`; one left without calls is destroyed
 * `CLOSE_GRACE_MS` after grpc-js's idle GOAWAY should have ended it (a GOAWAY'd peer that keeps its socket open
 * was left holding it).
 */
function guardSession(
  session: ServerHttp2Session,
  t: TransportOptions,
  counters: TransportCounters,
  { gate, pool, slow }: { gate: LargeMessageGate; pool: ConnectionPool; slow: SlowReaderSweep },
): void {
  let active = 0;
  let idle: NodeJS.Timeout | undefined;
  const arm = (): void => {
    clearTimeout(idle);
    idle = setTimeout(() => {
      counters.idleClosed += 1;
      session.destroy();
    }, t.idleTimeoutMs + CLOSE_GRACE_MS).unref();
  };
  const handshake = setTimeout(() => {
    counters.handshakeTimeouts += 1;
    session.destroy();
  }, t.handshakeTimeoutMs).unref();
  session.once('remoteSettings', () => clearTimeout(handshake));
  session.on('stream', (stream) => {
    active += 1;
    clearTimeout(idle);
    pool.busy(session);
    gate.watch(stream);
    slow.track(session, stream);
    stream.once('close', () => {
      active -= 1;
      if (active > 0) return;
      pool.rested(session);
      arm();
    });
  });
  session.once('close', () => {
    clearTimeout(idle);
    clearTimeout(handshake);
  });
  arm();
}
