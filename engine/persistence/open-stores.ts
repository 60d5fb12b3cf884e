/** Opens the backend the options name: memory, Cassandra/Astra, or PostgreSQL. */
import { createCassandraStores } from './cassandra/index.js';
import { createMemoryStores } from './memory/index.js';
import { createPostgresStores } from './postgres/index.js';
import type { Stores } from './store.js';
import type { CassandraOptions, PostgresOptions, StoreKind } from '../options.js';

export interface BackendOptions {
  store: StoreKind;
  cassandra?: CassandraOptions;
  postgres?: PostgresOptions;
}

/** Undefined when the options lack what the store needs (the caller reports it as an options problem). */
export function openBackend(o: BackendOptions): Promise<Stores> | undefined {
  if (o.store === 'memory') return Promise.resolve(createMemoryStores());
  if (o.store === 'postgres') {
    const p = o.postgres;
    if (!p) return undefined;
    return createPostgresStores({
      url: p.url,
      poolSize: p.poolSize,
      ...(p.password !== undefined ? { password: p.password } : {}),
    });
  }
  const c = o.cassandra;
  if (!c) return undefined;
  return createCassandraStores({
    contactPoints: c.contactPoints,
    localDataCenter: c.localDataCenter,
    keyspace: c.keyspace,
    ...(c.username !== undefined ? { username: c.username } : {}),
    ...(c.password !== undefined ? { password: c.password } : {}),
    ...(c.secureConnectBundle !== undefined ? { secureConnectBundle: c.secureConnectBundle } : {}),
  });
}
