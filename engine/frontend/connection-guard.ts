/**
 * The transport bounds grpc-js has no option for (engine/frontend/transport.ts declares them): a cap on open
 * connections, a handshake deadline, connections that ignore the idle GOAWAY destroyed, and large messages decoded a
 * bounded number at a time. Each is counted for /metrics.
 */
import type * as grpc from '@grpc/grpc-js';
import type { Http2Server, ServerHttp2Session } from 'node:http2';
import type { Server as NetServer } from 'node:net';
import { LargeMessageGate } from './large-messages.js';
import type { TransportCounters, TransportOptions } from './transport.js';

/** How long after its idle GOAWAY a connection may linger before it is destroyed. */
const CLOSE_GRACE_MS = 5000;

/**
 * Caps the open connections of every port `server` listens on and guards each connection (call after binding).
 * grpc-js's listening servers are Node net servers, whose `maxConnections` closes connections past the cap as they
 * arrive (and says so with a 'drop' event). They are reached through grpc-js's own map of them: if a grpc-js release
 * renames it, the guards are reported missing (returns false) rather than silently assumed.
 */
export function guardConnections(server: grpc.Server, t: TransportOptions, counters: TransportCounters): boolean {
  const listening = (server as unknown as { http2Servers?: unknown }).http2Servers;
  if (!(listening instanceof Map)) return false;
  const gate = new LargeMessageGate(t.largeMessageBytes, t.maxLargeMessages, counters);
  let guarded = false;
  for (const s of listening.keys() as IterableIterator<Http2Server & NetServer>) {
    if (typeof s.listen !== 'function') continue;
    s.maxConnections = t.maxConnections;
    s.on('drop', () => (counters.connectionsRefused += 1));
    s.on('session', (session) => guardSession(session, t, counters, gate));
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
function guardSession(
  session: ServerHttp2Session,
  t: TransportOptions,
  counters: TransportCounters,
  gate: LargeMessageGate,
): void {
  counters.connectionsOpen += 1;
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
    gate.watch(stream);
    stream.once('close', () => {
      active -= 1;
      if (active === 0) arm();
    });
  });
  session.once('close', () => {
    counters.connectionsOpen -= 1;
    clearTimeout(idle);
    clearTimeout(handshake);
  });
  arm();
}
