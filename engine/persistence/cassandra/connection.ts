/**
 * Connecting to Cassandra or Astra DB: contact points (or a secure connect bundle + application token), the
 * local data center, LOCAL_QUORUM for everything and LOCAL_SERIAL for the Paxos phase of LWTs, and the server's
 * release_version for feature detection (range deletes need 3.0+). Credentials never reach logs or errors.
 */
import cassandra from 'cassandra-driver';
import { StoreUnavailableError } from '../errors.js';
import { isThrottled, retryThrottled } from './classify.js';

export interface ConnectOptions {
  contactPoints: string[];
  localDataCenter: string;
  keyspace?: string;
  username?: string;
  password?: string;
  secureConnectBundle?: string;
  /** How long to keep trying before giving up with a clear error. */
  connectTimeoutMs?: number;
}

export interface Connection {
  client: cassandra.Client;
  releaseVersion: string;
  /** Range deletes on clustering columns (DELETE ... WHERE ck < ?) exist from Cassandra 3.0. */
  rangeDeletes: boolean;
  astra: boolean;
}

export const consistency = {
  normal: cassandra.types.consistencies.localQuorum,
  serial: cassandra.types.consistencies.localSerial,
};

/** Where we connect, for messages: never the credentials. */
export function describeTarget(o: ConnectOptions): string {
  return o.secureConnectBundle ? `Astra (bundle ${o.secureConnectBundle})` : o.contactPoints.join(',');
}

export function parseVersion(v: string): { major: number; minor: number } {
  const m = /^(\d+)\.(\d+)/.exec(v);
  return { major: Number(m?.[1] ?? 0), minor: Number(m?.[2] ?? 0) };
}

export async function connect(o: ConnectOptions): Promise<Connection> {
  const options: cassandra.DseClientOptions = {
    localDataCenter: o.localDataCenter,
    ...(o.keyspace ? { keyspace: o.keyspace } : {}),
    socketOptions: { connectTimeout: o.connectTimeoutMs ?? 10_000, readTimeout: 12_000 },
    queryOptions: { consistency: consistency.normal, serialConsistency: consistency.serial, prepare: true },
    // Map and set columns as JS Map/Set (plain objects cannot key a map<bigint, ...>).
    encoding: { map: Map, set: Set },
    pooling: { coreConnectionsPerHost: { [cassandra.types.distance.local]: 2, [cassandra.types.distance.remote]: 1 } },
    // A node that went down is retried from 200 ms up to every 2 s (the driver's default grows to 10 minutes, which
    // leaves an engine unavailable long after its store is back; an attempt to a node still down costs one refused
    // connection).
    policies: { reconnection: new cassandra.policies.reconnection.ExponentialReconnectionPolicy(200, 2000, false) },
  };
  if (o.secureConnectBundle) {
    options.cloud = { secureConnectBundle: o.secureConnectBundle };
    options.credentials = { username: 'token', password: o.password ?? '' };
  } else {
    options.contactPoints = o.contactPoints;
    if (o.username) options.credentials = { username: o.username, password: o.password ?? '' };
  }
  // The driver's own start-up queries (system tables, schema) may be refused by a rate limit like any other: a
  // connect whose every host said "throttled" is retried with a fresh client, within the same budget.
  const client = await retryThrottled('the connection', () => connectOnce(options, o));
  const rs = await retryThrottled('reading its release version', () =>
    client.execute('SELECT release_version FROM system.local'),
  );
  const releaseVersion = String(rs.first()?.get('release_version') ?? 'unknown');
  const v = parseVersion(releaseVersion);
  return { client, releaseVersion, rangeDeletes: v.major >= 3, astra: Boolean(o.secureConnectBundle) };
}

async function connectOnce(options: cassandra.DseClientOptions, o: ConnectOptions): Promise<cassandra.Client> {
  const client = new cassandra.Client(options);
  const timeoutMs = (o.connectTimeoutMs ?? 10_000) + 5_000;
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      client.connect(),
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
      }),
    ]);
    return client;
  } catch (err) {
    await client.shutdown().catch(() => undefined);
    if (isThrottled(err)) throw err;
    throw new StoreUnavailableError(`cannot connect to Cassandra at ${describeTarget(o)}: ${cleanMessage(err, o)}`, {
      cause: err,
    });
  } finally {
    clearTimeout(timer);
  }
}

/** A driver message with any secret it might echo removed. */
export function cleanMessage(err: unknown, o: ConnectOptions): string {
  // NoHostAvailableError's own message embeds every host's error with its stack: name the first host instead.
  const inner = (err as { innerErrors?: Record<string, Error> }).innerErrors;
  const first = inner ? Object.entries(inner)[0] : undefined;
  let m = first
    ? `no host answered (${first[0]}: ${first[1].message})`
    : err instanceof Error
      ? err.message
      : String(err);
  for (const secret of [o.password].filter((s): s is string => Boolean(s))) m = m.split(secret).join('[redacted]');
  return m;
}
