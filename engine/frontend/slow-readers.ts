/**
 * Connections that take calls but do not read the replies (a slowloris reader: HTTP/2 flow control lets a client
 * hold every reply in the engine's memory by never granting window). Node's session memory limit only refuses new
 * streams and is checked when a stream opens, before its reply exists: tried before this, 3 connections opening
 * 1,000 streams each for 1 MB replies and granting no window held 300 replies (RSS +450 MB) and queued the normal
 * client behind them for 4-7 s. Every `SWEEP_MS`, the reply bytes each busy connection has written but not sent
 * are added up; a connection holding more than `maxPendingReplyBytes` whose socket moved less than
 * `MIN_PROGRESS_BYTES` since the last sweep is closed, which also drops the calls it still has queued.
 */
import type { ServerHttp2Session, ServerHttp2Stream } from 'node:http2';
import type { TransportCounters } from './transport.js';

const SWEEP_MS = 200;
/** Bytes a reading client moves in a sweep on any link worth serving (64 KB per 200 ms: 320 KB/s). */
const MIN_PROGRESS_BYTES = 64 * 1024;

interface Busy {
  streams: Set<ServerHttp2Stream>;
  /** The socket's bytes written at the last sweep. */
  written: number;
}

export class SlowReaderSweep {
  private readonly busy = new Map<ServerHttp2Session, Busy>();
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly maxPendingReplyBytes: number,
    private readonly counters: TransportCounters,
  ) {}

  /** Watches `stream` until it closes. */
  track(session: ServerHttp2Session, stream: ServerHttp2Stream): void {
    let b = this.busy.get(session);
    if (!b) {
      b = { streams: new Set(), written: written(session) };
      this.busy.set(session, b);
    }
    const entry = b;
    entry.streams.add(stream);
    stream.once('close', () => {
      entry.streams.delete(stream);
      if (entry.streams.size === 0) this.busy.delete(session);
    });
    this.timer ??= setInterval(this.sweep, SWEEP_MS).unref();
  }

  private readonly sweep = (): void => {
    if (this.busy.size === 0) {
      clearInterval(this.timer);
      this.timer = undefined;
      return;
    }
    for (const [session, b] of this.busy) {
      let pending = 0;
      for (const s of b.streams) pending += s.writableLength;
      const now = written(session);
      const progress = now - b.written;
      b.written = now;
      if (pending > this.maxPendingReplyBytes && progress < MIN_PROGRESS_BYTES) {
        this.counters.slowReadersClosed += 1;
        this.busy.delete(session);
        session.destroy();
      }
    }
  };
}

function written(session: ServerHttp2Session): number {
  return session.socket?.bytesWritten ?? 0;
}
