/**
 * Schema administration for `stampede schema`: connect, create or verify. On Astra DB keyspaces are created in
 * the Astra UI, not over CQL, so a missing keyspace there is reported with what to do.
 */
import { StoreUnavailableError } from '../errors.js';
import { connect, describeTarget, type ConnectOptions } from './connection.js';
import { createSchema, schemaStatements, verifySchema, type SchemaOptions } from './schema.js';

export interface SchemaAdminOptions extends ConnectOptions {
  keyspace: string;
  replication: SchemaOptions['replication'];
}

function options(o: SchemaAdminOptions, astra: boolean): SchemaOptions {
  return { keyspace: o.keyspace, createKeyspace: !astra, replication: o.replication };
}

/** The CQL `create` would run, without connecting. */
export function schemaPlan(o: SchemaAdminOptions): string[] {
  return schemaStatements(options(o, Boolean(o.secureConnectBundle)));
}

/** Connects without selecting the keyspace (it may not exist yet). */
function connectTo(o: SchemaAdminOptions): ReturnType<typeof connect> {
  const { keyspace: _keyspace, ...rest } = o;
  return connect(rest);
}

export async function createCassandraSchema(
  o: SchemaAdminOptions,
  log: (line: string) => void,
): Promise<{ releaseVersion: string }> {
  const conn = await connectTo(o);
  try {
    if (conn.astra) {
      await conn.client.metadata.refreshKeyspace(o.keyspace).catch(() => undefined);
      if (!conn.client.metadata.keyspaces[o.keyspace]) {
        throw new StoreUnavailableError(
          `keyspace ${o.keyspace} does not exist in this Astra database: create it in the Astra UI (your database, then Keyspaces, Add Keyspace) and run this again`,
        );
      }
    }
    await createSchema(conn.client, options(o, conn.astra), log);
    const problems = await verifySchema(conn.client, o.keyspace);
    if (problems.length > 0) throw new StoreUnavailableError(`schema created but incomplete: ${problems.join('; ')}`);
    return { releaseVersion: conn.releaseVersion };
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
