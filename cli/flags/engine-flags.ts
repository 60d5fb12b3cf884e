/** Flags of the reference engine, shared by `stampede engine` and the embedded engine of `stampede run`. */
import { existsSync, readFileSync } from 'node:fs';
import {
  postgresUrlProblem,
  splitPostgresPassword,
  type CassandraOptions,
  type EngineOptions,
  type StoreKind,
} from '../../engine/index.js';
import { parseDurationMs } from '../../result/units.js';
import type { FlagDecl, FlagDecls } from './flag-decls.js';
import { show } from '../../scenarios/sdk/show.js';
import { compileTransportFlags, TRANSPORT_FLAGS } from './transport-flags.js';

const G = 'Engine:';

/** The PostgreSQL URL flag (engine and `schema` share it). */
export const POSTGRES_URL_FLAG: FlagDecl = {
  type: 'string',
  describe:
    'PostgreSQL connection URL, postgres://user@host:port/database (password from STAMPEDE_POSTGRES_PASSWORD or PGPASSWORD; one in the URL is accepted and never printed)',
  group: G,
};

export const ENGINE_FLAGS: FlagDecls = {
  store: {
    type: 'string',
    choices: ['memory', 'cassandra', 'postgres'],
    default: 'memory',
    describe: 'persistence backend',
    group: G,
  },
  shards: { type: 'number', default: 4, describe: 'history shards (one Cassandra partition each)', group: G },
  shardIoConcurrency: {
    type: 'number',
    default: 1,
    describe: 'LWT-bearing writes in flight per shard (Temporal: 1; more = contention stress)',
    group: G,
  },
  injectStoreLatency: {
    type: 'string',
    default: '0ms',
    describe: 'fault injection for testing gates: every store call waits this long first',
    group: G,
    hidden: true,
  },
  timeScale: {
    type: 'number',
    default: 1,
    describe: 'virtual time speed-up for durable timers (86400 = a day per second)',
    group: G,
  },
  retention: {
    type: 'string',
    default: '24h',
    describe: 'retention of closed workflows in the default namespace, virtual time (default: 24h of real time)',
    group: G,
  },
  contactPoints: {
    type: 'string',
    describe: 'Cassandra contact points, comma-separated host[:port]',
    group: G,
    list: true,
  },
  localDataCenter: { type: 'string', default: 'dc1', describe: 'Cassandra local data center', group: G },
  keyspace: { type: 'string', default: 'stampede', describe: 'Cassandra keyspace', group: G },
  replicationFactor: {
    type: 'number',
    default: 1,
    describe: 'replication factor when creating the keyspace',
    group: G,
  },
  astraBundle: {
    type: 'string',
    describe:
      'Astra secure connect bundle (zip); the token comes from ASTRA_DB_APPLICATION_TOKEN or --astra-token-file',
    group: G,
  },
  astraTokenFile: {
    type: 'string',
    describe: 'file holding the Astra application token (else ASTRA_DB_APPLICATION_TOKEN)',
    group: G,
  },
  metricsPort: {
    type: 'number',
    describe: 'serve Prometheus metrics on http://<host>:<port>/metrics (0 = any free port)',
    group: G,
  },
  cassandraUser: {
    type: 'string',
    describe: 'Cassandra username (password from STAMPEDE_CASSANDRA_PASSWORD)',
    group: G,
  },
  postgresUrl: { ...POSTGRES_URL_FLAG, group: G },
  postgresPoolSize: { type: 'number', default: 16, describe: 'PostgreSQL connections in the pool', group: G },
  ...TRANSPORT_FLAGS,
};

/** PostgreSQL options from raw values: the URL's password split off (it is redacted from results by its key). */
export function compilePostgres(
  raw: Record<string, unknown>,
  env: NodeJS.ProcessEnv,
  problems: string[],
): EngineOptions['postgres'] {
  if (raw.postgresUrl === undefined || show(raw.postgresUrl) === '') {
    problems.push('--store postgres needs --postgres-url postgres://user@host:port/database');
    return undefined;
  }
  const problem = postgresUrlProblem(show(raw.postgresUrl));
  if (problem) {
    problems.push(`--postgres-url: ${problem}`);
    return undefined;
  }
  const { url, password } = splitPostgresPassword(show(raw.postgresUrl));
  const poolSize = Number(raw.postgresPoolSize ?? 16);
  if (!Number.isInteger(poolSize) || poolSize < 1 || poolSize > 1000)
    problems.push(`--postgres-pool-size must be an integer in [1, 1000], got ${show(raw.postgresPoolSize)}`);
  const pw = password ?? env.STAMPEDE_POSTGRES_PASSWORD;
  return { url, poolSize, ...(pw !== undefined ? { password: pw } : {}) };
}

/**
 * The Astra application token: from --astra-token-file, else ASTRA_DB_APPLICATION_TOKEN. Never from a flag value
 * (it would show in process lists and shell history) and never echoed in a message.
 */
export function astraToken(
  raw: Record<string, unknown>,
  env: NodeJS.ProcessEnv,
  problems: string[],
): string | undefined {
  if (raw.astraTokenFile !== undefined) {
    const file = show(raw.astraTokenFile);
    try {
      const token = readFileSync(file, 'utf8').trim();
      if (token === '') problems.push(`--astra-token-file ${file} is empty`);
      return token;
    } catch {
      problems.push(`--astra-token-file: cannot read ${file}`);
      return undefined;
    }
  }
  const token = env.ASTRA_DB_APPLICATION_TOKEN?.trim();
  if (!token)
    problems.push('Astra needs an application token: set ASTRA_DB_APPLICATION_TOKEN or pass --astra-token-file <file>');
  return token;
}

/** Compiles engine options from raw values; problems are collected, not thrown. */
export function compileEngineFlags(
  raw: Record<string, unknown>,
  env: NodeJS.ProcessEnv,
  problems: string[],
  given: (name: string) => boolean = () => true,
): Partial<EngineOptions> {
  const store = show(raw.store ?? 'memory') as StoreKind;
  const num = (name: string, flag: string, integer: boolean, min: number): number => {
    const v = Number(raw[name]);
    if (!Number.isFinite(v) || (integer && !Number.isInteger(v)) || v < min) {
      problems.push(`--${flag} must be ${integer ? 'an integer' : 'a number'} >= ${min}, got ${String(raw[name])}`);
    }
    return v;
  };
  const numShards = num('shards', 'shards', true, 1);
  const shardIOConcurrency = num('shardIoConcurrency', 'shard-io-concurrency', true, 1);
  const timeScale = num('timeScale', 'time-scale', false, Number.MIN_VALUE);
  const retentionMs = parseDurationMs(show(raw.retention));
  if (retentionMs === undefined || retentionMs <= 0)
    problems.push(`--retention must be a positive duration like 24h, got ${show(raw.retention)}`);
  const injectMs = parseDurationMs(show(raw.injectStoreLatency ?? '0ms'));
  if (injectMs === undefined || injectMs < 0)
    problems.push(`--inject-store-latency must be a duration like 5ms, got ${show(raw.injectStoreLatency)}`);
  const out: Partial<EngineOptions> = {
    store,
    ...(injectMs ? { injectStoreLatencyMs: injectMs } : {}),
    numShards,
    shardIOConcurrency,
    timeScale,
    // Retention is durable (virtual) time. Under a compressed clock the default keeps closed runs for 24 h of
    // real time, so they can still be read back when the run ends.
    defaultRetentionMs: (retentionMs ?? 0) * (!given('retention') && timeScale > 1 ? timeScale : 1),
    ...compileTransportFlags(raw, problems),
  };
  if (raw.metricsPort !== undefined) {
    out.metricsPort = num('metricsPort', 'metrics-port', true, 0);
    if (out.metricsPort > 65535) problems.push(`--metrics-port must be at most 65535, got ${out.metricsPort}`);
  }
  if (store === 'postgres') {
    const postgres = compilePostgres(raw, env, problems);
    if (postgres) out.postgres = postgres;
  }
  if (store === 'cassandra') {
    const cassandra: CassandraOptions = {
      contactPoints: show(raw.contactPoints ?? '')
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean),
      localDataCenter: show(raw.localDataCenter ?? 'dc1'),
      keyspace: show(raw.keyspace ?? 'stampede'),
      replicationFactor: Number(raw.replicationFactor ?? 1),
    };
    if (raw.astraBundle) {
      cassandra.secureConnectBundle = show(raw.astraBundle);
      if (!existsSync(cassandra.secureConnectBundle))
        problems.push(`--astra-bundle: no file at ${cassandra.secureConnectBundle}`);
      const token = astraToken(raw, env, problems);
      if (token !== undefined) {
        cassandra.username = 'token';
        cassandra.password = token;
      }
    }
    if (raw.cassandraUser) {
      cassandra.username = show(raw.cassandraUser);
      cassandra.password = env.STAMPEDE_CASSANDRA_PASSWORD ?? '';
    }
    if (cassandra.contactPoints.length === 0 && !cassandra.secureConnectBundle) {
      problems.push('--store cassandra needs --contact-points host[:port] or --astra-bundle <zip>');
    }
    if (!/^[A-Za-z][A-Za-z0-9_]{0,47}$/.test(cassandra.keyspace))
      problems.push(`--keyspace must be a valid CQL identifier, got ${cassandra.keyspace}`);
    out.cassandra = cassandra;
  }
  return out;
}
