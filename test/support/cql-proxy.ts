/**
 * A CQL fault-injection proxy: a test double that sits between a driver and a real Cassandra and injects, on
 * demand, the faults a healthy single-node Cassandra cannot produce when a test wants them: a write timeout before
 * the write (nothing written) or after it (written, but the reply lost), an unavailable error, a held request, a
 * dropped connection, extra latency, or a node that stops answering. Everything else passes through byte for byte.
 *
 * It reads native protocol frames (v3/v4 9-byte headers; the 8-byte headers of v1/v2 too) from both directions.
 * Rules match statements by opcode and by query text: the text of a QUERY, the text behind an EXECUTE's prepared id
 * (learnt from PREPARE requests and their results, on any connection), or any statement of a BATCH. Compressed
 * frames pass through unparsed, so no rule matches them; a byte stream that is not CQL frames closes the connection,
 * as Cassandra would.
 */
import net from 'node:net';
import tls from 'node:tls';

export type StatementOpcode = 'QUERY' | 'PREPARE' | 'EXECUTE' | 'BATCH';

const CONSISTENCY_CODES = {
  ANY: 0x00,
  ONE: 0x01,
  TWO: 0x02,
  THREE: 0x03,
  QUORUM: 0x04,
  ALL: 0x05,
  LOCAL_QUORUM: 0x06,
  EACH_QUORUM: 0x07,
  SERIAL: 0x08,
  LOCAL_SERIAL: 0x09,
  LOCAL_ONE: 0x0a,
} as const;
export type Consistency = keyof typeof CONSISTENCY_CODES;

export type WriteType = 'SIMPLE' | 'BATCH' | 'UNLOGGED_BATCH' | 'COUNTER' | 'BATCH_LOG' | 'CAS' | 'VIEW' | 'CDC';

export type FaultAction =
  | {
      kind: 'write-timeout';
      /** 'before': the request is not forwarded (nothing written); 'after': it is, and Cassandra's reply is replaced. */
      when: 'before' | 'after';
      /** Default: BATCH, UNLOGGED_BATCH or COUNTER for a batch (by its type), else SIMPLE. */
      writeType?: WriteType;
      /** Default: the request's own consistency level. */
      consistency?: Consistency;
      /** Replicas that acknowledged the write; default 0. */
      received?: number;
      /** Replicas the consistency level needed; default 1. */
      blockFor?: number;
    }
  | { kind: 'unavailable'; consistency?: Consistency; required?: number; alive?: number }
  | { kind: 'delay'; ms: number }
  | { kind: 'reset' };

export type FaultKind = FaultAction['kind'];

export interface FaultRule {
  /**
   * What the rule applies to; both parts must match. `query` is a substring (string) or a pattern (RegExp) of the
   * statement text. Without `opcode` a rule matches QUERY, EXECUTE and BATCH; PREPARE only when named.
   */
  match: { query?: string | RegExp; opcode?: StatementOpcode };
  action: FaultAction;
  /** Apply at most this many times (default: unlimited). */
  times?: number;
  /** The chance (0..1) that a matching statement is hit, drawn from the proxy's seeded generator (default 1). */
  probability?: number;
}

export interface RuleHandle {
  remove(): void;
  /** How many times the rule has been applied. */
  readonly hits: number;
}

export interface ProxyStats {
  /** Frames read, in both directions. */
  frames: number;
  /** Client connections accepted. */
  connections: number;
  injected: Record<FaultKind, number>;
}

export interface CqlProxy {
  /** `127.0.0.1:<port>`, the contact point to give the driver. */
  readonly address: string;
  readonly host: string;
  readonly port: number;
  /** Rules are tried in the order they were added; the first that applies wins. */
  addRule(rule: FaultRule): RuleHandle;
  clearRules(): void;
  /** Holds every frame from Cassandra to the client this long (order is kept). */
  setLatency(ms: number): void;
  /** Destroys every open client and server socket; the driver has to reconnect. */
  resetConnections(): void;
  /** While on, every frame in both directions is dropped and connections stay open: a node that hangs. */
  setBlackhole(on: boolean): void;
  readonly stats: ProxyStats;
  /** The SNI server names TLS clients asked for (empty without TLS). */
  readonly serverNames: ReadonlySet<string>;
  stop(): Promise<void>;
}

/**
 * A server in front of the proxy's rules, per client connection: it answers requests itself (refusals, an auth
 * exchange), forwards them rewritten, or replaces Cassandra's responses (test/support/cql-proxy-astra.ts makes
 * Astra DB's behaviour this way).
 */
export interface ConnectionInterceptor {
  request(frame: Frame, statement: Statement | undefined): { forward: Buffer } | { reply: Buffer };
  response(frame: Frame): Buffer;
}

export interface CqlProxyOptions {
  target: string;
  seed?: number;
  /** Serve TLS (with SNI: the server names clients asked for are kept in `serverNames`) instead of plain TCP. */
  tls?: tls.TlsOptions;
  /** Made for every client connection. */
  interceptor?: () => ConnectionInterceptor;
}

export async function startCqlProxy(opts: CqlProxyOptions): Promise<CqlProxy> {
  const proxy = new FaultProxy(parseHostPort(opts.target), opts.seed ?? DEFAULT_SEED, opts.tls, opts.interceptor);
  await proxy.listen();
  return proxy;
}

// ---------------------------------------------------------------------------------------------------------------
// Protocol

const DEFAULT_SEED = 0x5eed;
const RESPONSE_BIT = 0x80;
const FLAG_COMPRESSION = 0x01;
const FLAG_TRACING = 0x02;
const FLAG_CUSTOM_PAYLOAD = 0x04;
const FLAG_WARNING = 0x08;
const OPCODE_ERROR = 0x00;
const OPCODE_RESULT = 0x08;
const STATEMENT_OPCODES = new Map<number, StatementOpcode>([
  [0x07, 'QUERY'],
  [0x09, 'PREPARE'],
  [0x0a, 'EXECUTE'],
  [0x0d, 'BATCH'],
]);
const RESULT_KIND_PREPARED = 0x0004;
const ERROR_UNAVAILABLE = 0x1000;
const ERROR_WRITE_TIMEOUT = 0x1100;
const TRACING_ID_LENGTH = 16;
/** The protocol caps a frame body at 256 MB; a larger length means the bytes are not a frame header. */
const MAX_BODY_LENGTH = 256 * 1024 * 1024;
/** Batch types 0, 1, 2 (logged, unlogged, counter), as a write timeout names them. */
const BATCH_WRITE_TYPES: readonly WriteType[] = ['BATCH', 'UNLOGGED_BATCH', 'COUNTER'];

export interface Frame {
  /** The protocol version, without the response bit. */
  version: number;
  flags: number;
  stream: number;
  opcode: number;
  body: Buffer;
  /** The whole frame as received, header included. */
  bytes: Buffer;
}

/** What a rule can match in a request. */
export interface Statement {
  opcode: StatementOpcode;
  /** The bytes of the values bound to it (all statements of a batch): what batch-size guardrails measure. */
  valueBytes: number;
  /** The texts known for it (an EXECUTE of an id the proxy never saw prepared has none). */
  queries: string[];
  consistency: number;
  batchType?: number;
}

function headerLength(version: number): number {
  return version >= 3 ? 9 : 8;
}

/** Cuts a TCP byte stream into frames, however the bytes arrive split or coalesced. */
class FrameSplitter {
  private pending: Buffer = Buffer.alloc(0);

  /** The frames `chunk` completes; throws if the bytes cannot be CQL frames. */
  push(chunk: Buffer): Frame[] {
    this.pending = this.pending.length === 0 ? chunk : Buffer.concat([this.pending, chunk]);
    const frames: Frame[] = [];
    for (let frame = this.next(); frame; frame = this.next()) frames.push(frame);
    return frames;
  }

  private next(): Frame | undefined {
    const buffer = this.pending;
    if (buffer.length === 0) return undefined;
    const version = buffer.readUInt8(0) & ~RESPONSE_BIT;
    const header = headerLength(version);
    if (buffer.length < header) return undefined;
    const bodyLength = buffer.readInt32BE(header - 4);
    if (bodyLength < 0 || bodyLength > MAX_BODY_LENGTH) throw new Error(`not a CQL frame (body length ${bodyLength})`);
    if (buffer.length < header + bodyLength) return undefined;
    const bytes = buffer.subarray(0, header + bodyLength);
    this.pending = buffer.subarray(header + bodyLength);
    return {
      version,
      flags: bytes.readUInt8(1),
      stream: version >= 3 ? bytes.readInt16BE(2) : bytes.readInt8(2),
      opcode: bytes.readUInt8(header - 5),
      body: bytes.subarray(header),
      bytes,
    };
  }
}

/** Reads the protocol's notations from a frame body; throws RangeError past its end. */
class BodyReader {
  private offset = 0;

  constructor(private readonly body: Buffer) {}

  byte(): number {
    return this.body.readUInt8(this.advance(1));
  }

  short(): number {
    return this.body.readUInt16BE(this.advance(2));
  }

  int(): number {
    return this.body.readInt32BE(this.advance(4));
  }

  take(length: number): Buffer {
    const at = this.advance(length);
    return this.body.subarray(at, at + length);
  }

  longString(): string {
    return this.take(this.int()).toString('utf8');
  }

  shortBytes(): Buffer {
    return this.take(this.short());
  }

  /** A [bytes] or [value]: a negative length is null (or unset) and has no content. */
  skipValue(): number {
    const length = this.int();
    if (length > 0) this.advance(length);
    return Math.max(0, length);
  }

  skipStringList(): void {
    for (let n = this.short(); n > 0; n--) this.advance(this.short());
  }

  skipBytesMap(): void {
    for (let n = this.short(); n > 0; n--) {
      this.advance(this.short());
      this.skipValue();
    }
  }

  private advance(length: number): number {
    if (length < 0 || this.offset + length > this.body.length) throw new RangeError('truncated CQL frame body');
    const at = this.offset;
    this.offset += length;
    return at;
  }
}

/** The statement a request carries, or undefined for other requests and bodies it cannot read. */
function readStatement(frame: Frame, preparedQueries: ReadonlyMap<string, string>): Statement | undefined {
  const opcode = STATEMENT_OPCODES.get(frame.opcode);
  if (opcode === undefined || frame.flags & FLAG_COMPRESSION) return undefined;
  const body = new BodyReader(frame.body);
  try {
    if (frame.version >= 4 && frame.flags & FLAG_CUSTOM_PAYLOAD) body.skipBytesMap();
    switch (opcode) {
      case 'QUERY': {
        const query = body.longString();
        return { opcode, queries: [query], consistency: body.short(), valueBytes: 0 };
      }
      case 'PREPARE':
        return { opcode, queries: [body.longString()], consistency: CONSISTENCY_CODES.ONE, valueBytes: 0 };
      case 'EXECUTE': {
        const query = preparedQueries.get(body.shortBytes().toString('hex'));
        return { opcode, queries: query === undefined ? [] : [query], consistency: body.short(), valueBytes: 0 };
      }
      case 'BATCH':
        return readBatch(body, preparedQueries);
    }
  } catch {
    return undefined; // A malformed body: forwarded as it is, for Cassandra to reject.
  }
}

/**
 * `<type><n><query_1>...<query_n><consistency>...`, each query `<kind><string_or_id><n><value_1>...<value_n>`. The
 * values carry no names: the spec's names flag for batches cannot work (CASSANDRA-10246) and drivers never set it.
 */
function readBatch(body: BodyReader, preparedQueries: ReadonlyMap<string, string>): Statement {
  const batchType = body.byte();
  const queries: string[] = [];
  let valueBytes = 0;
  for (let n = body.short(); n > 0; n--) {
    const kind = body.byte();
    if (kind !== 0 && kind !== 1) throw new RangeError(`unknown batch statement kind ${kind}`);
    const query = kind === 0 ? body.longString() : preparedQueries.get(body.shortBytes().toString('hex'));
    if (query !== undefined) queries.push(query);
    for (let values = body.short(); values > 0; values--) valueBytes += body.skipValue();
  }
  return { opcode: 'BATCH', queries, consistency: body.short(), batchType, valueBytes };
}

/** The id in a RESULT of kind Prepared, or undefined for any other response. */
function preparedId(frame: Frame): Buffer | undefined {
  if (frame.opcode !== OPCODE_RESULT || frame.flags & FLAG_COMPRESSION) return undefined;
  const body = new BodyReader(frame.body);
  try {
    if (frame.flags & FLAG_TRACING) body.take(TRACING_ID_LENGTH);
    if (frame.version >= 4 && frame.flags & FLAG_WARNING) body.skipStringList();
    if (frame.version >= 4 && frame.flags & FLAG_CUSTOM_PAYLOAD) body.skipBytesMap();
    return body.int() === RESULT_KIND_PREPARED ? body.shortBytes() : undefined;
  } catch {
    return undefined;
  }
}

function encodeShort(value: number): Buffer {
  const buffer = Buffer.alloc(2);
  buffer.writeUInt16BE(value);
  return buffer;
}

export function encodeInt(value: number): Buffer {
  const buffer = Buffer.alloc(4);
  buffer.writeInt32BE(value);
  return buffer;
}

export function encodeString(value: string): Buffer {
  const bytes = Buffer.from(value, 'utf8');
  return Buffer.concat([encodeShort(bytes.length), bytes]);
}

/** An ERROR response to `request`: `<code><message>` then the code's own fields. */
export function errorResponse(request: Frame, code: number, message: string, fields: Buffer[] = []): Buffer {
  return responseFrame(request, OPCODE_ERROR, Buffer.concat([encodeInt(code), encodeString(message), ...fields]));
}

/** A response frame to `request` (same version and stream) with this opcode and body. */
export function responseFrame(request: Frame, opcode: number, body: Buffer): Buffer {
  return frameBytes(request.version | RESPONSE_BIT, request.stream, opcode, body);
}

/** `request` with a new body (a rewritten statement), as bytes to forward. */
export function withBody(request: Frame, body: Buffer): Buffer {
  return frameBytes(request.version, request.stream, request.opcode, body, request.flags);
}

/**
 * `response` with server warnings attached, as Cassandra 2.2+ and Astra send them: the warning flag set and a
 * [string list] before the body (no tracing id or custom payload precede it in the frames this is used on).
 */
export function withWarnings(response: Frame, warnings: string[]): Buffer {
  const list = Buffer.concat([encodeShort(warnings.length), ...warnings.map(encodeString)]);
  return frameBytes(
    response.version | RESPONSE_BIT,
    response.stream,
    response.opcode,
    Buffer.concat([list, response.body]),
    response.flags | FLAG_WARNING,
  );
}

function frameBytes(versionByte: number, stream: number, opcode: number, body: Buffer, flags = 0): Buffer {
  const version = versionByte & ~RESPONSE_BIT;
  const header = Buffer.alloc(headerLength(version));
  header.writeUInt8(versionByte, 0);
  header.writeUInt8(flags, 1);
  if (version >= 3) header.writeInt16BE(stream, 2);
  else header.writeInt8(stream, 2);
  header.writeUInt8(opcode, header.length - 5);
  header.writeInt32BE(body.length, header.length - 4);
  return Buffer.concat([header, body]);
}

type WriteTimeoutAction = Extract<FaultAction, { kind: 'write-timeout' }>;
type UnavailableAction = Extract<FaultAction, { kind: 'unavailable' }>;

/** Write_timeout: `<cl><received><blockfor><writeType>`. */
function writeTimeoutResponse(request: Frame, statement: Statement, action: WriteTimeoutAction): Buffer {
  const received = action.received ?? 0;
  const writeType =
    action.writeType ??
    (statement.batchType === undefined ? 'SIMPLE' : (BATCH_WRITE_TYPES[statement.batchType] ?? 'BATCH'));
  return errorResponse(
    request,
    ERROR_WRITE_TIMEOUT,
    `Operation timed out - received only ${received} responses. (injected by cql-proxy)`,
    [
      encodeShort(consistencyCode(action.consistency, statement)),
      encodeInt(received),
      encodeInt(action.blockFor ?? 1),
      encodeString(writeType),
    ],
  );
}

/** Unavailable: `<cl><required><alive>`. */
function unavailableResponse(request: Frame, statement: Statement, action: UnavailableAction): Buffer {
  return errorResponse(request, ERROR_UNAVAILABLE, 'Cannot achieve consistency level (injected by cql-proxy)', [
    encodeShort(consistencyCode(action.consistency, statement)),
    encodeInt(action.required ?? 1),
    encodeInt(action.alive ?? 0),
  ]);
}

function consistencyCode(named: Consistency | undefined, statement: Statement): number {
  return named === undefined ? statement.consistency : CONSISTENCY_CODES[named];
}

// ---------------------------------------------------------------------------------------------------------------
// Rules

class ActiveRule implements RuleHandle {
  hits = 0;
  private readonly probability: number;

  constructor(
    private readonly rule: FaultRule,
    private readonly detach: (rule: ActiveRule) => void,
  ) {
    validateRule(rule);
    this.probability = rule.probability ?? 1;
  }

  get action(): FaultAction {
    return this.rule.action;
  }

  remove(): void {
    this.detach(this);
  }

  /** Whether it applies to `statement` now, drawing from `random` when it applies only by chance. */
  applies(statement: Statement, random: () => number): boolean {
    if (this.rule.times !== undefined && this.hits >= this.rule.times) return false;
    if (!matches(this.rule.match, statement)) return false;
    return this.probability >= 1 || random() < this.probability;
  }
}

function matches(match: FaultRule['match'], statement: Statement): boolean {
  const opcodeMatches = match.opcode === undefined ? statement.opcode !== 'PREPARE' : match.opcode === statement.opcode;
  const pattern = match.query;
  if (!opcodeMatches || pattern === undefined) return opcodeMatches;
  // search() ignores a RegExp's global flag and lastIndex, so a /g pattern matches the same way every time.
  return statement.queries.some((query) =>
    typeof pattern === 'string' ? query.includes(pattern) : query.search(pattern) !== -1,
  );
}

function validateRule(rule: FaultRule): void {
  const { times, probability, action } = rule;
  if (times !== undefined && !(Number.isInteger(times) && times >= 0)) {
    throw new RangeError(`times must be a whole number >= 0, got ${times}`);
  }
  if (probability !== undefined && !(probability >= 0 && probability <= 1)) {
    throw new RangeError(`probability must be within 0..1, got ${probability}`);
  }
  if (action.kind === 'delay' && !(action.ms >= 0)) throw new RangeError(`delay must be >= 0 ms, got ${action.ms}`);
}

/** mulberry32: a small seeded generator of numbers in [0, 1), so a probabilistic rule fires the same way each run. */
function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
  };
}

// ---------------------------------------------------------------------------------------------------------------
// Proxy

class FaultProxy implements CqlProxy {
  readonly host = '127.0.0.1';
  port = 0;
  latencyMs = 0;
  blackholed = false;
  /** Prepared ids (hex) and their query texts, as learnt from PREPARE exchanges on every connection. */
  readonly preparedQueries = new Map<string, string>();
  private readonly server: net.Server;
  /** The SNI server names TLS clients asked for. */
  readonly serverNames = new Set<string>();
  private readonly connections = new Set<ProxiedConnection>();
  private readonly rules: ActiveRule[] = [];
  private readonly random: () => number;
  private frames = 0;
  private accepted = 0;
  private readonly injected: Record<FaultKind, number> = { 'write-timeout': 0, unavailable: 0, delay: 0, reset: 0 };

  constructor(
    private readonly target: { host: string; port: number },
    seed: number,
    tlsOptions: tls.TlsOptions | undefined,
    private readonly interceptor: (() => ConnectionInterceptor) | undefined,
  ) {
    this.random = seededRandom(seed);
    this.server = tlsOptions
      ? tls.createServer(tlsOptions, (client) => {
          if (typeof client.servername === 'string') this.serverNames.add(client.servername);
          this.accept(client);
        })
      : net.createServer((client) => this.accept(client));
  }

  get address(): string {
    return `${this.host}:${this.port}`;
  }

  get stats(): ProxyStats {
    return { frames: this.frames, connections: this.accepted, injected: { ...this.injected } };
  }

  listen(): Promise<void> {
    return new Promise((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(0, this.host, () => {
        this.server.off('error', reject);
        this.port = (this.server.address() as net.AddressInfo).port;
        resolve();
      });
    });
  }

  addRule(rule: FaultRule): RuleHandle {
    const active = new ActiveRule(rule, (removed) => {
      const index = this.rules.indexOf(removed);
      if (index !== -1) this.rules.splice(index, 1);
    });
    this.rules.push(active);
    return active;
  }

  clearRules(): void {
    this.rules.length = 0;
  }

  setLatency(ms: number): void {
    if (!(ms >= 0)) throw new RangeError(`latency must be >= 0 ms, got ${ms}`);
    this.latencyMs = ms;
  }

  setBlackhole(on: boolean): void {
    this.blackholed = on;
  }

  resetConnections(): void {
    for (const connection of [...this.connections]) connection.close();
  }

  async stop(): Promise<void> {
    this.resetConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  countFrame(): void {
    this.frames += 1;
  }

  /** The action of the first rule that applies to `statement`, counted as injected. */
  pickFault(statement: Statement): FaultAction | undefined {
    const rule = this.rules.find((candidate) => candidate.applies(statement, this.random));
    if (!rule) return undefined;
    rule.hits += 1;
    this.injected[rule.action.kind] += 1;
    return rule.action;
  }

  private accept(client: net.Socket): void {
    this.accepted += 1;
    const server = net.connect(this.target);
    const connection = new ProxiedConnection(client, server, this, this.interceptor?.(), () =>
      this.connections.delete(connection),
    );
    this.connections.add(connection);
  }
}

/** One client connection and its own connection to Cassandra. */
class ProxiedConnection {
  private readonly fromClient = new FrameSplitter();
  private readonly fromServer = new FrameSplitter();
  private readonly toClient: DelayedWriter;
  /** Streams with a forwarded PREPARE awaiting its result, and the query text. */
  private readonly preparing = new Map<number, string>();
  /** Streams whose response from Cassandra is swallowed and replaced by this error (write timeouts 'after'). */
  private readonly replacements = new Map<number, Buffer>();
  private readonly timers = new Set<NodeJS.Timeout>();
  private closed = false;

  constructor(
    private readonly client: net.Socket,
    private readonly server: net.Socket,
    private readonly proxy: FaultProxy,
    private readonly interceptor: ConnectionInterceptor | undefined,
    private readonly onClosed: () => void,
  ) {
    this.toClient = new DelayedWriter(client, () => proxy.latencyMs);
    for (const socket of [client, server]) {
      socket.setNoDelay(true);
      socket.on('error', () => this.close());
      socket.on('close', () => this.close());
    }
    client.on('data', (chunk: Buffer) => this.receive(this.fromClient, chunk, (frame) => this.onRequest(frame)));
    server.on('data', (chunk: Buffer) => this.receive(this.fromServer, chunk, (frame) => this.onResponse(frame)));
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
    this.toClient.discard();
    this.client.destroy();
    this.server.destroy();
    this.onClosed();
  }

  private receive(splitter: FrameSplitter, chunk: Buffer, handle: (frame: Frame) => void): void {
    let frames: Frame[];
    try {
      frames = splitter.push(chunk);
    } catch {
      this.close();
      return;
    }
    for (const frame of frames) {
      if (this.closed) return;
      handle(frame);
    }
  }

  private onRequest(received: Frame): void {
    this.proxy.countFrame();
    if (this.proxy.blackholed) return;
    let frame = received;
    let statement = readStatement(frame, this.proxy.preparedQueries);
    if (this.interceptor) {
      const answer = this.interceptor.request(frame, statement);
      if ('reply' in answer) {
        this.toClient.write(answer.reply);
        return;
      }
      if (answer.forward !== frame.bytes) {
        const header = headerLength(frame.version);
        frame = { ...frame, bytes: answer.forward, body: answer.forward.subarray(header) };
        statement = readStatement(frame, this.proxy.preparedQueries);
      }
    }
    const fault = statement && this.proxy.pickFault(statement);
    if (!statement || !fault) {
      this.forward(frame, statement);
      return;
    }
    switch (fault.kind) {
      case 'write-timeout': {
        const reply = writeTimeoutResponse(frame, statement, fault);
        if (fault.when === 'before') {
          this.toClient.write(reply);
        } else {
          this.replacements.set(frame.stream, reply);
          this.forward(frame, statement);
        }
        return;
      }
      case 'unavailable':
        this.toClient.write(unavailableResponse(frame, statement, fault));
        return;
      case 'delay':
        this.later(fault.ms, () => this.forward(frame, statement));
        return;
      case 'reset':
        this.close();
        return;
    }
  }

  private forward(frame: Frame, statement: Statement | undefined): void {
    const [query] = statement?.opcode === 'PREPARE' ? statement.queries : [];
    if (query !== undefined) this.preparing.set(frame.stream, query);
    if (!this.server.destroyed) this.server.write(frame.bytes);
  }

  private onResponse(frame: Frame): void {
    this.proxy.countFrame();
    this.learnPrepared(frame);
    const replacement = this.replacements.get(frame.stream);
    this.replacements.delete(frame.stream);
    if (this.proxy.blackholed) return;
    this.toClient.write(replacement ?? this.interceptor?.response(frame) ?? frame.bytes);
  }

  private learnPrepared(frame: Frame): void {
    const query = this.preparing.get(frame.stream);
    if (query === undefined) return;
    this.preparing.delete(frame.stream);
    const id = preparedId(frame);
    if (id) this.proxy.preparedQueries.set(id.toString('hex'), query);
  }

  private later(ms: number, run: () => void): void {
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      run();
    }, ms);
    this.timers.add(timer);
  }
}

/** Writes to a socket after a delay that may change over time, never reordering what it was given. */
class DelayedWriter {
  private readonly queue: { due: number; data: Buffer }[] = [];
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly socket: net.Socket,
    private readonly delayMs: () => number,
  ) {}

  write(data: Buffer): void {
    const delay = this.delayMs();
    const last = this.queue.at(-1);
    if (delay <= 0 && !last) {
      this.send(data);
      return;
    }
    this.queue.push({ due: Math.max(Date.now() + delay, last?.due ?? 0), data });
    this.schedule();
  }

  discard(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    this.queue.length = 0;
  }

  private schedule(): void {
    const head = this.queue[0];
    if (this.timer || !head) return;
    this.timer = setTimeout(
      () => {
        this.timer = undefined;
        this.flushDue();
        this.schedule();
      },
      Math.max(0, head.due - Date.now()),
    );
  }

  private flushDue(): void {
    const now = Date.now();
    for (let head = this.queue[0]; head && head.due <= now; head = this.queue[0]) {
      this.queue.shift();
      this.send(head.data);
    }
  }

  private send(data: Buffer): void {
    if (!this.socket.destroyed) this.socket.write(data);
  }
}

function parseHostPort(target: string): { host: string; port: number } {
  const colon = target.lastIndexOf(':');
  const port = Number(target.slice(colon + 1));
  if (colon <= 0 || !Number.isInteger(port) || port <= 0 || port > 65_535) {
    throw new Error(`target must be host:port, got '${target}'`);
  }
  return { host: target.slice(0, colon).replace(/^\[(.*)\]$/, '$1'), port };
}
