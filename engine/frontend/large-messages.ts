/**
 * Large request messages decoded a bounded number at a time. grpc-js gathers a whole message (up to the maximum
 * message size) before anything of the engine's sees it, and then decodes it: tried before this gate, 12 messages
 * of 64 MB sent at once took the engine to 1.1 GB and a normal client's p99 to 2.1 s. The gate reads the length
 * each request declares in its gRPC frame header (the first 5 bytes of the stream), before grpc-js has gathered
 * more than a frame of it; past `max` large ones in flight, the stream is reset at once (clients see
 * RESOURCE_EXHAUSTED, which Temporal's SDKs retry with backoff), so the rest of it is never received.
 */
import { constants, type ServerHttp2Stream } from 'node:http2';
import type { TransportCounters } from './transport.js';

/** A gRPC message's frame header: a compressed flag and a 4-byte big-endian length. */
const FRAME_HEADER_BYTES = 5;

export class LargeMessageGate {
  private inFlight = 0;

  constructor(
    private readonly largeBytes: number,
    private readonly max: number,
    private readonly counters: TransportCounters,
  ) {}

  /** Watches a new stream's first message header (call from the session's 'stream' event). */
  watch(stream: ServerHttp2Stream): void {
    let head: Buffer | undefined;
    const onData = (chunk: Buffer): void => {
      head = head ? Buffer.concat([head, chunk]) : chunk;
      if (head.length < FRAME_HEADER_BYTES) return;
      stream.removeListener('data', onData);
      const declared = head.readUInt32BE(1);
      head = undefined;
      if (declared < this.largeBytes) return;
      if (this.inFlight >= this.max) {
        this.refuse(stream);
        return;
      }
      this.inFlight += 1;
      this.counters.largeMessagesInFlight += 1;
      stream.once('close', () => {
        this.inFlight -= 1;
        this.counters.largeMessagesInFlight -= 1;
      });
    };
    // Prepended, so it sees the first frame before grpc-js does (a paused stream stays paused: grpc-js pauses it).
    stream.prependListener('data', onData);
  }

  /**
   * Resets the stream with ENHANCE_YOUR_CALM, which gRPC clients report as RESOURCE_EXHAUSTED (grpc-js, grpc-go and
   * tonic map it so) and SDKs retry with backoff. A status in headers would be dropped by the reset that must go
   * with it, and the stream cannot be left open without grpc-js gathering the rest of the message.
   */
  private refuse(stream: ServerHttp2Stream): void {
    this.counters.largeMessagesRefused += 1;
    stream.close(constants.NGHTTP2_ENHANCE_YOUR_CALM);
  }
}
