/**
 * Schema administration for `stampede schema`: connect, create or verify. The schema depends on the target (Astra:
 * UCS and no CREATE KEYSPACE; Cassandra 5.0+: UCS; 2.1–4.x: LCS), detected from the bundle or `release_version`
 * unless the user names it. On Astra DB keyspaces are created in the Astra UI, not over CQL, so a missing keyspace
 * there is reported with what to do.
 */
import { StoreUnavailableError } from '../errors.js';
import { readSecureConnectBundle } from './bundle.js';
import { connect, describeTarget, type ConnectOptions } from './connection.js';
import {
  createSchema,
  detectSchemaTarget,
  SCHEMA_TARGETS,
  schemaStatements,
  verifySchema,
  type SchemaOptions,
  type SchemaTarget,
} from './schema.js';

export interface SchemaAdminOptions extends ConnectOptions {
  keyspace: string;
  replication: SchemaOptions['replication'];
  /** Which schema to write; 'auto' (the default) detects it from the bundle or the cluster's release_version. */
  schemaTarget?: SchemaTarget | 'auto';
}

function options(o: SchemaAdminOptions, target: SchemaTarget): SchemaOptions {
  const t = SCHEMA_TARGETS[target];
  return {
    keyspace: o.keyspace,
    createKeyspace: t.createKeyspace,
    compaction: t.compaction,
    replication: o.replication,
  };
}

export interface SchemaPlan {
  target: SchemaTarget;
  /** Why this target, for the header of a dry run. */
  because: string;
  statements: string[];
}

/**
 * The CQL `create` would run, without connecting (a bundle is only read). Without a bundle or a named target the
 * cluster's version is unknown: the plan is for 2.1–4.x (LCS) and says how to ask for 5.0's.
 */
export function schemaPlan(o: SchemaAdminOptions): SchemaPlan {
  const named = o.schemaTarget ?? 'auto';
  let target: SchemaTarget;
  let because: string;
  if (named !== 'auto') {
    target = named;
    because = `--schema-target ${named}`;
  } else if (o.secureConnectBundle) {
    const bundle = readSecureConnectBundle(o.secureConnectBundle);
    target = 'astra';
    because = `secure connect bundle for ${bundle.host}${bundle.keyspace ? ` (keyspace ${bundle.keyspace})` : ''}`;
  } else {
    target = 'lcs';
    because = 'not connected, so the release is unknown: for Cassandra 5.0+ pass --schema-target ucs';
  }
  return { target, because, statements: schemaStatements(options(o, target)) };
}

/** Connects without selecting the keyspace (it may not exist yet). */
function connectTo(o: SchemaAdminOptions): ReturnType<typeof connect> {
  const { keyspace: _keyspace, schemaTarget: _target, ...rest } = o;
  return connect(rest);
}

export async function createCassandraSchema(
  o: SchemaAdminOptions,
  log: (line: string) => void,
): Promise<{ releaseVersion: string; target: SchemaTarget }> {
  const conn = await connectTo(o);
  try {
    const named = o.schemaTarget ?? 'auto';
    const target = named === 'auto' ? detectSchemaTarget(conn.astra, conn.releaseVersion) : named;
    log(
      `target: ${SCHEMA_TARGETS[target].name}${named === 'auto' ? `, detected (release ${conn.releaseVersion})` : ''}`,
    );
    if (target === 'astra') {
      await conn.client.metadata.refreshKeyspace(o.keyspace).catch(() => undefined);
      if (!conn.client.metadata.keyspaces[o.keyspace]) {
        throw new StoreUnavailableError(
          `keyspace ${o.keyspace} does not exist in this Astra database: create it in the Astra UI (your database, then Keyspaces, Add Keyspace) and run this again`,
        );
      }
    }
    await createSchema(conn.client, options(o, target), log);
    const problems = await verifySchema(conn.client, o.keyspace);
    if (problems.length > 0) throw new StoreUnavailableError(`schema created but incomplete: ${problems.join('; ')}`);
    return { releaseVersion: conn.releaseVersion, target };
  } finally {
    await conn.client.shutdown();
  }
}

export async function verifyCassandraSchema(
  o: SchemaAdminOptions,
): Promise<{ releaseVersion: string; problems: string[]; target: string }> {
  const conn = await connectTo(o);
  try {
    return {
      releaseVersion: conn.releaseVersion,
      problems: await verifySchema(conn.client, o.keyspace),
      target: describeTarget(o),
    };
  } finally {
    await conn.client.shutdown();
  }
}
