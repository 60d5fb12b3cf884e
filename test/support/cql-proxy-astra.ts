/**
 * An Astra DB Serverless stand-in: a TEST DOUBLE for what a real Cassandra cannot be here. The project's CQL proxy
 * (cql-proxy.ts) in front of the real test Cassandra, made to behave like Astra where stampede depends on it:
 *
 * - a secure connect bundle generated for the test (config.json, a CA, a client certificate and key, made with the
 *   machine's `openssl`), a metadata service over mutual TLS that answers the driver's `GET /metadata` with the SNI
 *   proxy's address, and the CQL endpoint behind TLS with SNI (the driver names each node by its host id);
 * - authentication as Astra asks for it: the server demands credentials, and only user `token` with the
 *   configured application token as password gets in;
 * - the guardrails: CREATE KEYSPACE refused (keyspaces are made in the Astra UI), CREATE TABLE with a compaction
 *   other than UnifiedCompactionStrategy refused, and UCS rewritten to LCS for the Cassandra 2.1 node behind it
 *   (it has no UCS); logged batches whose bound values pass 50 KiB refused as an invalid request "Batch too large";
 *   statements over a configured rate refused with an OverloadedException saying "Rate limit reached".
 *
 * The refusals carry the error codes Astra uses (overloaded 0x1001, invalid 0x2200, unauthorized 0x2100, bad
 * credentials 0x0100); their wording is this stand-in's, modelled on Astra's.
 */
import { execFileSync } from 'node:child_process';
import https from 'node:https';
import type net from 'node:net';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import AdmZip from 'adm-zip';
import cassandra from 'cassandra-driver';
import {
  encodeInt,
  encodeString,
  errorResponse,
  responseFrame,
  startCqlProxy,
  withBody,
  withWarnings,
  type ConnectionInterceptor,
  type CqlProxy,
  type Frame,
  type Statement,
} from './cql-proxy.js';

export const ASTRA_BATCH_FAIL_BYTES = 50 * 1024;
export const ASTRA_BATCH_WARN_BYTES = 5 * 1024;

const OPCODE_STARTUP = 0x01;
const OPCODE_READY = 0x02;
const OPCODE_AUTHENTICATE = 0x03;
const OPCODE_OPTIONS = 0x05;
const OPCODE_AUTH_RESPONSE = 0x0f;
const OPCODE_AUTH_SUCCESS = 0x10;
const OPCODE_RESULT = 0x08;
const ERROR_BAD_CREDENTIALS = 0x0100;
const ERROR_OVERLOADED = 0x1001;
const ERROR_UNAUTHORIZED = 0x2100;
const ERROR_INVALID = 0x2200;
const AUTHENTICATOR = 'org.apache.cassandra.auth.PasswordAuthenticator';
const UCS = /UnifiedCompactionStrategy/;

export interface AstraStandInStats {
  authenticated: number;
  badCredentials: number;
  throttled: number;
  batchesTooLarge: number;
  batchesOverWarn: number;
  /** Results of batches over the warn threshold sent back with the server's warning attached. */
  warningsSent: number;
  largestBatchBytes: number;
  keyspacesRefused: number;
  compactionsRefused: number;
  compactionsRewritten: number;
}

export interface AstraStandIn {
  /** The generated secure connect bundle (a zip), to give to `--astra-bundle`. */
  readonly bundle: string;
  readonly proxy: CqlProxy;
  readonly stats: AstraStandInStats;
  /** Statements (QUERY, EXECUTE, BATCH) allowed per second; 0 = no limit. */
  setRateLimit(perSecond: number): void;
  stop(): Promise<void>;
}

export interface AstraStandInOptions {
  /** The real Cassandra, host:port. */
  target: string;
  localDataCenter: string;
  /** The application token the stand-in accepts (AstraCS:...). */
  token: string;
  /** Where the certificates and the bundle go. */
  dir: string;
  /** The keyspace config.json names (Astra's bundle names the database's first keyspace). */
  keyspace: string;
  rateLimitPerSec?: number;
}

export async function startAstraStandIn(o: AstraStandInOptions): Promise<AstraStandIn> {
  const pki = makeCertificates(o.dir);
  const hostId = await realHostId(o.target, o.localDataCenter);
  const stats: AstraStandInStats = {
    authenticated: 0,
    badCredentials: 0,
    throttled: 0,
    batchesTooLarge: 0,
    batchesOverWarn: 0,
    warningsSent: 0,
    largestBatchBytes: 0,
    keyspacesRefused: 0,
    compactionsRefused: 0,
    compactionsRewritten: 0,
  };
  const limiter = new RateLimiter(o.rateLimitPerSec ?? 0);
  const mutualTls = {
    key: pki.serverKey,
    cert: pki.serverCert,
    ca: pki.ca,
    requestCert: true,
    rejectUnauthorized: true,
  };
  const proxy = await startCqlProxy({
    target: o.target,
    tls: mutualTls,
    interceptor: () => new AstraConnection(o.token, stats, limiter),
  });
  const metadata = https.createServer(mutualTls, (req, res) => {
    if (req.url !== '/metadata') {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, { 'content-type': 'application/json' }).end(
      JSON.stringify({
        version: 1,
        region: 'stand-in',
        contact_info: {
          type: 'sni_proxy',
          local_dc: o.localDataCenter,
          contact_points: [hostId],
          sni_proxy_address: `127.0.0.1:${proxy.port}`,
        },
      }),
    );
  });
  await new Promise<void>((resolve) => metadata.listen(0, '127.0.0.1', resolve));
  const metadataPort = (metadata.address() as net.AddressInfo).port;

  const zip = new AdmZip();
  zip.addFile(
    'config.json',
    Buffer.from(
      JSON.stringify({ host: '127.0.0.1', port: metadataPort, keyspace: o.keyspace, localDC: o.localDataCenter }),
    ),
  );
  zip.addFile('ca.crt', pki.ca);
  zip.addFile('cert', pki.clientCert);
  zip.addFile('key', pki.clientKey);
  const bundle = join(o.dir, 'secure-connect-standin.zip');
  zip.writeZip(bundle);

  return {
    bundle,
    proxy,
    stats,
    setRateLimit: (perSecond) => limiter.set(perSecond),
    stop: async () => {
      await proxy.stop();
      metadata.closeAllConnections();
      await new Promise<void>((resolve) => metadata.close(() => resolve()));
    },
  };
}

/** What one client connection goes through: authentication first, then the guardrails, then the rate limit. */
class AstraConnection implements ConnectionInterceptor {
  private authenticated = false;
  /** Streams of STARTUP requests whose READY is replaced by the demand for credentials. */
  private readonly startups = new Set<number>();
  /** Streams of batches over the warn threshold, with the warning their result carries back. */
  private readonly batchWarnings = new Map<number, string>();

  constructor(
    private readonly token: string,
    private readonly stats: AstraStandInStats,
    private readonly limiter: RateLimiter,
  ) {}

  request(frame: Frame, statement: Statement | undefined): { forward: Buffer } | { reply: Buffer } {
    if (frame.opcode === OPCODE_STARTUP) this.startups.add(frame.stream);
    if (frame.opcode === OPCODE_AUTH_RESPONSE) return { reply: this.authenticate(frame) };
    if (!this.authenticated && frame.opcode !== OPCODE_STARTUP && frame.opcode !== OPCODE_OPTIONS)
      return { reply: errorResponse(frame, ERROR_BAD_CREDENTIALS, 'Authentication required') };
    if (!statement) return { forward: frame.bytes };
    const [text = ''] = statement.queries;
    // DDL is refused (or rewritten) as it is prepared or run: the driver prepares everything by default.
    const ddl = statement.opcode === 'QUERY' || statement.opcode === 'PREPARE';
    if (ddl && /^\s*CREATE\s+KEYSPACE/i.test(text)) {
      this.stats.keyspacesRefused += 1;
      return {
        reply: errorResponse(
          frame,
          ERROR_UNAUTHORIZED,
          'Keyspaces cannot be created over CQL in Astra DB: create it in the Astra UI or with the DevOps API',
        ),
      };
    }
    if (ddl && /^\s*(CREATE|ALTER)\s+TABLE/i.test(text) && /compaction/i.test(text)) {
      if (!UCS.test(text)) {
        this.stats.compactionsRefused += 1;
        return {
          reply: errorResponse(frame, ERROR_INVALID, 'Guardrail violated: only UnifiedCompactionStrategy is allowed'),
        };
      }
      // The 2.1 node behind the stand-in has no UCS: what Astra would store as UCS is stored as LCS.
      this.stats.compactionsRewritten += 1;
      return { forward: rewriteQuery(frame, text.replace(UCS, 'LeveledCompactionStrategy')) };
    }
    if (statement.opcode === 'BATCH') {
      this.stats.largestBatchBytes = Math.max(this.stats.largestBatchBytes, statement.valueBytes);
      if (statement.valueBytes > ASTRA_BATCH_FAIL_BYTES) {
        this.stats.batchesTooLarge += 1;
        return { reply: errorResponse(frame, ERROR_INVALID, 'Batch too large') };
      }
      if (statement.valueBytes > ASTRA_BATCH_WARN_BYTES) {
        this.stats.batchesOverWarn += 1;
        this.batchWarnings.set(frame.stream, batchWarning(statement));
      }
    }
    if (statement.opcode !== 'PREPARE' && !this.limiter.take()) {
      this.stats.throttled += 1;
      return { reply: errorResponse(frame, ERROR_OVERLOADED, 'Rate limit reached') };
    }
    return { forward: frame.bytes };
  }

  response(frame: Frame): Buffer {
    if (frame.opcode === OPCODE_READY && this.startups.delete(frame.stream))
      return responseFrame(frame, OPCODE_AUTHENTICATE, encodeString(AUTHENTICATOR));
    const warning = this.batchWarnings.get(frame.stream);
    if (warning !== undefined) {
      this.batchWarnings.delete(frame.stream);
      // An applied batch over the warn threshold comes back with the server's warning, as Astra sends it.
      if (frame.opcode === OPCODE_RESULT) {
        this.stats.warningsSent += 1;
        return withWarnings(frame, [warning]);
      }
    }
    return frame.bytes;
  }

  /** SASL PLAIN as PasswordAuthenticator reads it: `<authzid>\0<user>\0<password>`. */
  private authenticate(frame: Frame): Buffer {
    const length = frame.body.readInt32BE(0);
    const [, user, password] = frame.body
      .subarray(4, 4 + Math.max(0, length))
      .toString('utf8')
      .split('\0');
    if (user === 'token' && password === this.token) {
      this.authenticated = true;
      this.stats.authenticated += 1;
      return responseFrame(frame, OPCODE_AUTH_SUCCESS, encodeInt(-1));
    }
    this.stats.badCredentials += 1;
    return errorResponse(frame, ERROR_BAD_CREDENTIALS, 'Provided username token and/or password are incorrect');
  }
}

/** Cassandra's batch-size warning, worded as 4.x words it (the tables named from the batch's statements). */
function batchWarning(statement: Statement): string {
  const tables = [...new Set(statement.queries.map((q) => /\b(?:INTO|UPDATE|FROM)\s+([\w."]+)/i.exec(q)?.[1] ?? '?'))];
  const kib = (bytes: number): string => `${(bytes / 1024).toFixed(3)}KiB`;
  return `Batch for [${tables.join(', ')}] is of size ${kib(statement.valueBytes)}, exceeding specified threshold of ${kib(ASTRA_BATCH_WARN_BYTES)} by ${kib(statement.valueBytes - ASTRA_BATCH_WARN_BYTES)}.`;
}

/** A QUERY or PREPARE frame with another query text (the rest of the body, its parameters, kept). */
function rewriteQuery(frame: Frame, query: string): Buffer {
  const oldLength = frame.body.readInt32BE(0);
  const text = Buffer.from(query, 'utf8');
  return withBody(frame, Buffer.concat([encodeInt(text.length), text, frame.body.subarray(4 + oldLength)]));
}

/** A token bucket holding one second of the rate. */
class RateLimiter {
  private tokens = 0;
  private at = Date.now();

  constructor(private perSecond: number) {
    this.tokens = perSecond;
  }

  set(perSecond: number): void {
    this.perSecond = perSecond;
    this.tokens = Math.min(this.tokens, perSecond);
  }

  take(): boolean {
    if (this.perSecond <= 0) return true;
    const now = Date.now();
    this.tokens = Math.min(this.perSecond, this.tokens + ((now - this.at) / 1000) * this.perSecond);
    this.at = now;
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }
}

async function realHostId(target: string, localDataCenter: string): Promise<string> {
  const client = new cassandra.Client({ contactPoints: [target], localDataCenter });
  try {
    await client.connect();
    const row = (await client.execute('SELECT host_id FROM system.local')).first();
    return String(row?.get('host_id'));
  } finally {
    await client.shutdown();
  }
}

interface Certificates {
  ca: Buffer;
  serverKey: Buffer;
  serverCert: Buffer;
  clientKey: Buffer;
  clientCert: Buffer;
}

/** A CA, a server certificate for 127.0.0.1 (the SNI proxy's and metadata service's address) and a client one. */
function makeCertificates(dir: string): Certificates {
  mkdirSync(dir, { recursive: true });
  const f = (name: string): string => join(dir, name);
  const openssl = (...args: string[]): void => {
    execFileSync('openssl', args, { stdio: 'pipe' });
  };
  const key = (name: string): void => openssl('ecparam', '-name', 'prime256v1', '-genkey', '-noout', '-out', f(name));
  key('ca.key');
  openssl(
    'req',
    '-x509',
    '-new',
    '-key',
    f('ca.key'),
    '-days',
    '2',
    '-subj',
    '/CN=stampede-astra-stand-in-ca',
    '-out',
    f('ca.crt'),
  );
  const issue = (name: string, subject: string, ext: string): void => {
    key(`${name}.key`);
    openssl('req', '-new', '-key', f(`${name}.key`), '-subj', subject, '-out', f(`${name}.csr`));
    writeFileSync(f(`${name}.ext`), ext);
    openssl(
      'x509',
      '-req',
      '-in',
      f(`${name}.csr`),
      '-CA',
      f('ca.crt'),
      '-CAkey',
      f('ca.key'),
      '-CAcreateserial',
      '-days',
      '2',
      '-extfile',
      f(`${name}.ext`),
      '-out',
      f(`${name}.crt`),
    );
  };
  issue('server', '/CN=127.0.0.1', 'subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth\n');
  issue('client', '/CN=stampede-test-client', 'extendedKeyUsage=clientAuth\n');
  return {
    ca: readFileSync(f('ca.crt')),
    serverKey: readFileSync(f('server.key')),
    serverCert: readFileSync(f('server.crt')),
    clientKey: readFileSync(f('client.key')),
    clientCert: readFileSync(f('client.crt')),
  };
}
