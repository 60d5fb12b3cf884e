/** Flags of the reference engine, shared by `stampede engine` and the embedded engine of `stampede run`. */
import type { CassandraOptions, EngineOptions, StoreKind } from '../../engine/index.js';
import { parseDurationMs } from '../units.js';
import type { FlagDecls } from './flags.js';
import { show } from './show.js';

const G = 'Engine:';

export const ENGINE_FLAGS: FlagDecls = {
  store: {
    type: 'string',
    choices: ['memory', 'cassandra'],
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
  timeScale: {
    type: 'number',
    default: 1,
    describe: 'virtual time speed-up for durable timers (86400 = a day per second)',
    group: G,
  },
  retention: {
    type: 'string',
    default: '24h',
    describe: 'retention of closed workflows in the default namespace (virtual time)',
    group: G,
  },
  contactPoints: { type: 'string', describe: 'Cassandra contact points, comma-separated host[:port]', group: G },
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
  astraTokenFile: { type: 'string', describe: 'file holding the Astra application token', group: G },
  cassandraUser: {
    type: 'string',
    describe: 'Cassandra username (password from STAMPEDE_CASSANDRA_PASSWORD)',
    group: G,
  },
};

/** Compiles engine options from raw values; problems are collected, not thrown. */
export function compileEngineFlags(
  raw: Record<string, unknown>,
  env: NodeJS.ProcessEnv,
  problems: string[],
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
  const out: Partial<EngineOptions> = {
    store,
    numShards,
    shardIOConcurrency,
    timeScale,
    defaultRetentionMs: retentionMs ?? 0,
  };
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
    if (raw.astraBundle) cassandra.secureConnectBundle = show(raw.astraBundle);
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
