/**
 * Building blocks for fuzzing the engine over gRPC from outside its process: the `stampede engine` child
 * process (re-exported), a deterministic PRNG, a protobuf wire writer (to write what protobufjs would refuse to encode), a
 * raw unary call with identity serializers and a hard deadline, and a per-phase tally of status codes.
 */
import * as grpc from '@grpc/grpc-js';

// The engine as a child process (a crash shows as the process exiting): test/helpers/engine-process.ts.
export { spawnEngine, type EngineProcess } from '../helpers/engine-process.js';

// ---------------------------------------------------------------------------------------------------------------
// Deterministic randomness (mulberry32).

export class Rng {
  private state: number;

  constructor(seed: number) {
    this.state = seed >>> 0;
  }

  /** Uniform in [0, 1). */
  next(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  /** Integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.next() * n);
  }

  pick<T>(items: readonly T[]): T {
    const item = items[this.int(items.length)];
    if (item === undefined) throw new Error('pick from an empty list');
    return item;
  }

  bytes(n: number): Buffer {
    const b = Buffer.allocUnsafe(n);
    for (let i = 0; i < n; i++) b[i] = this.int(256);
    return b;
  }

  /** `k` distinct items (all of them when there are fewer), in random order. */
  sample<T>(items: readonly T[], k: number): T[] {
    const copy = [...items];
    for (let i = copy.length - 1; i > 0; i--) {
      const j = this.int(i + 1);
      [copy[i], copy[j]] = [copy[j] as T, copy[i] as T];
    }
    return copy.slice(0, k);
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Protobuf wire format, written by hand.

export const WireType = { VARINT: 0, I64: 1, LEN: 2, SGROUP: 3, EGROUP: 4, I32: 5 } as const;

export function varint(value: number | bigint): Buffer {
  let v = BigInt.asUintN(64, BigInt(value));
  const out: number[] = [];
  do {
    let byte = Number(v & 0x7fn);
    v >>= 7n;
    if (v > 0n) byte |= 0x80;
    out.push(byte);
  } while (v > 0n);
  return Buffer.from(out);
}

export function tag(field: number, wireType: number): Buffer {
  return varint((BigInt(field) << 3n) | BigInt(wireType & 7));
}

export function lenField(field: number, payload: Buffer): Buffer {
  return Buffer.concat([tag(field, WireType.LEN), varint(payload.length), payload]);
}

export function stringField(field: number, value: string): Buffer {
  return lenField(field, Buffer.from(value, 'utf8'));
}

// ---------------------------------------------------------------------------------------------------------------
// A raw unary call: bytes in, bytes out, always with a deadline, and a watchdog in case a call never ends.

export const HANG = 'HANG';

export interface Outcome {
  method: string;
  /** A gRPC status code, or HANG when not even the deadline ended the call. */
  code: grpc.status | typeof HANG;
  details: string;
  ms: number;
  response: Buffer | undefined;
}

const identity = (b: Buffer): Buffer => b;

export function methodPath(service: string, method: string): string {
  return `/${service}/${method}`;
}

export function rawCall(
  client: grpc.Client,
  path: string,
  body: Buffer,
  timeoutMs: number,
  opts: { cancelAfterMs?: number } = {},
): Promise<Outcome> {
  const method = path.slice(path.lastIndexOf('/') + 1);
  const started = performance.now();
  return new Promise<Outcome>((resolve) => {
    let done = false;
    const finish = (o: Omit<Outcome, 'method' | 'ms'>): void => {
      if (done) return;
      done = true;
      clearTimeout(watchdog);
      if (canceller) clearTimeout(canceller);
      resolve({ method, ms: Math.round(performance.now() - started), ...o });
    };
    const call = client.makeUnaryRequest<Buffer, Buffer>(
      path,
      identity,
      identity,
      body,
      new grpc.Metadata(),
      { deadline: Date.now() + timeoutMs },
      (err, value) => {
        if (err) finish({ code: err.code, details: err.details, response: undefined });
        else finish({ code: grpc.status.OK, details: '', response: value });
      },
    );
    const watchdog = setTimeout(() => {
      finish({
        code: HANG,
        details: `no status ${timeoutMs + 5000} ms after a ${timeoutMs} ms deadline`,
        response: undefined,
      });
      call.cancel();
    }, timeoutMs + 5000);
    const canceller =
      opts.cancelAfterMs !== undefined ? setTimeout(() => call.cancel(), opts.cancelAfterMs) : undefined;
  });
}

// ---------------------------------------------------------------------------------------------------------------
// Bounded concurrency with a time budget.

/** Runs `fn` over `items`, `limit` at a time, starting no new item after `budgetMs`. Returns how many ran. */
export async function runBounded<T>(
  items: readonly T[],
  limit: number,
  budgetMs: number,
  fn: (item: T) => Promise<void>,
): Promise<{ ran: number; skipped: number }> {
  const stopAt = Date.now() + budgetMs;
  let next = 0;
  let ran = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length && Date.now() < stopAt) {
      const item = items[next++] as T;
      ran++;
      await fn(item);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return { ran, skipped: items.length - ran };
}

// ---------------------------------------------------------------------------------------------------------------
// What each phase saw.

/** grpc-js's answer when the request bytes do not decode (the engine's handlers never see them). */
export const UNDECODABLE = 'Error deserializing request';

export interface Violation {
  method: string;
  input: string;
  code: string;
  details: string;
}

export class PhaseTally {
  readonly codes = new Map<string, number>();
  /** Answers that break the contract: hangs, UNKNOWN, INTERNAL from a handler. */
  readonly violations: Violation[] = [];
  /** Known weaknesses seen (by name), allowed here and pinned by their own tests. */
  readonly known = new Map<string, number>();
  calls = 0;
  skipped = 0;
  /** The slowest answer, ms. */
  maxMs = 0;
  startedAt = Date.now();
  elapsedMs = 0;

  constructor(readonly name: string) {}

  /**
   * Counts one answer and checks it: it must be a gRPC status, never UNKNOWN, and INTERNAL only when grpc-js
   * could not decode the bytes (grpc-js answers that before the engine sees the call).
   */
  record(o: Outcome, input: string): void {
    this.calls++;
    this.maxMs = Math.max(this.maxMs, o.ms);
    const name = o.code === HANG ? HANG : (grpc.status[o.code] ?? `code ${String(o.code)}`);
    this.codes.set(name, (this.codes.get(name) ?? 0) + 1);
    const bad = (): void => {
      this.violations.push({ method: o.method, input, code: name, details: o.details });
    };
    if (o.code === HANG || !Number.isInteger(o.code) || o.code < 0 || o.code > 16) return bad();
    if (o.code === grpc.status.UNKNOWN) return bad();
    if (o.code === grpc.status.INTERNAL) {
      if (o.details === UNDECODABLE) {
        this.known.set(
          'INTERNAL for undecodable protobuf',
          (this.known.get('INTERNAL for undecodable protobuf') ?? 0) + 1,
        );
        return;
      }
      return bad();
    }
  }

  summary(): string {
    const codes = [...this.codes].sort((a, b) => b[1] - a[1]).map(([c, n]) => `${c}=${n}`);
    const known = [...this.known].map(([k, n]) => `${k}: ${n}`);
    return (
      `${this.name}: ${this.calls} calls${this.skipped ? ` (${this.skipped} skipped, over budget)` : ''} in ` +
      `${(this.elapsedMs / 1000).toFixed(1)} s (slowest call ${this.maxMs} ms); ${codes.join(' ')}` +
      (known.length ? `; known: ${known.join('; ')}` : '') +
      (this.violations.length ? `; VIOLATIONS: ${this.violations.length}` : '')
    );
  }
}
