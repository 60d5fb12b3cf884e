/**
 * The histogram codec: HDR histograms of latency in microseconds, 3 significant digits, auto-resizing so one
 * histogram covers microseconds to days (long timers), and their one encoding, HdrHistogram's compressed base64 (what
 * crosses threads, fills result.json and the .hlog, and what HdrHistogram's tools read). Pure-JS histograms: no WASM
 * memory to free. This is the only module that knows the encoder's parameters.
 */
import * as hdr from 'hdr-histogram-js';

export type Histogram = hdr.Histogram;

/** Bucket size of the encoded form, as the decoder must be told it. */
const BIT_BUCKET_SIZE = 32;

export function newHistogram(): Histogram {
  return hdr.build({
    bitBucketSize: BIT_BUCKET_SIZE,
    lowestDiscernibleValue: 1,
    highestTrackableValue: 60_000_000,
    numberOfSignificantValueDigits: 3,
    autoResize: true,
    useWebAssembly: false,
  });
}

export function encodeHistogram(h: Histogram): string {
  return hdr.encodeIntoCompressedBase64(h);
}

/** Decodes any stampede histogram: the harness's own, and the engine's statement and RPC latencies. */
export function decodeHistogram(encoded: string): Histogram {
  return hdr.decodeFromCompressedBase64(encoded, BIT_BUCKET_SIZE, false);
}

/** Adds an encoded histogram into `into`. */
export function addEncoded(into: Histogram, encoded: string | undefined): void {
  if (encoded) into.add(decodeHistogram(encoded));
}

/** Records a value in µs, clamped to the histogram's lowest discernible value. */
export function recordUs(h: Histogram, us: number): void {
  h.recordValue(us < 1 ? 1 : Math.round(us));
}

/**
 * An operation's three latencies, wrk2's and cassandra-stress's trio: service time (send -> reply), response time
 * (intended start -> reply, which carries any queueing a stalled target causes: no coordinated omission) and wait
 * time (intended start -> send). Response and wait exist only for operations with an intended start (the open
 * model); the others have service time alone.
 */
export const LATENCY_KINDS = ['service', 'response', 'wait'] as const;
export type LatencyKind = (typeof LATENCY_KINDS)[number];

/** Something per latency kind: service always, response and wait for operations with an intended start. */
export type OpLatencies<T> = { service: T } & Partial<Record<Exclude<LatencyKind, 'service'>, T>>;

/** An operation's histograms, as threads record them and the main thread merges them. */
export class OpHistograms {
  readonly service = newHistogram();
  readonly response = newHistogram();
  readonly wait = newHistogram();
  /** Whether any sample had an intended start (then response and wait are measured). */
  open = false;

  /** An operation of the open model: times in µs on one clock. */
  recordScheduled(intendedUs: number, sentUs: number, doneUs: number): void {
    this.open = true;
    recordUs(this.service, doneUs - sentUs);
    recordUs(this.response, doneUs - intendedUs);
    recordUs(this.wait, sentUs - intendedUs);
  }

  /** An operation with no intended start (closed model, pollers): service time only. */
  recordService(serviceUs: number): void {
    recordUs(this.service, serviceUs);
  }

  get count(): number {
    return this.service.totalCount;
  }

  add(other: OpHistograms): void {
    this.service.add(other.service);
    if (other.open) {
      this.open = true;
      this.response.add(other.response);
      this.wait.add(other.wait);
    }
  }

  addEncoded(e: OpLatencies<string>): void {
    addEncoded(this.service, e.service);
    if (e.response) {
      this.open = true;
      addEncoded(this.response, e.response);
      addEncoded(this.wait, e.wait);
    }
  }

  /** The histograms that were measured: service, and response and wait when the operation is open. */
  measured(): OpLatencies<Histogram> {
    return this.open ? { service: this.service, response: this.response, wait: this.wait } : { service: this.service };
  }

  encode(): OpLatencies<string> {
    const m = this.measured();
    return {
      service: encodeHistogram(m.service),
      ...(m.response ? { response: encodeHistogram(m.response) } : {}),
      ...(m.wait ? { wait: encodeHistogram(m.wait) } : {}),
    };
  }

  reset(): void {
    this.service.reset();
    this.response.reset();
    this.wait.reset();
  }
}
