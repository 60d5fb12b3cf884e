/** Schema administration for `stampede schema --store postgres`: connect, create (idempotent) or verify. */
import { StoreUnavailableError } from '../errors.js';
import { describeTarget, openPool, type PostgresConnectOptions } from './connection.js';
import { createSchema, verifySchema } from './schema.js';

export async function createPostgresSchema(
  o: PostgresConnectOptions,
  log: (line: string) => void,
): Promise<{ version: string; target: string }> {
  const { pool, version } = await openPool({ ...o, poolSize: 1 });
  try {
    await createSchema(pool, log);
    const problems = await verifySchema(pool);
    if (problems.length > 0) throw new StoreUnavailableError(`schema created but incomplete: ${problems.join('; ')}`);
    return { version, target: describeTarget(o.url) };
  } finally {
    await pool.end();
  }
}

export async function verifyPostgresSchema(
  o: PostgresConnectOptions,
): Promise<{ version: string; problems: string[]; target: string }> {
  const { pool, version } = await openPool({ ...o, poolSize: 1 });
  try {
    return { version, problems: await verifySchema(pool), target: describeTarget(o.url) };
  } finally {
    await pool.end();
  }
}
