/**
 * The pool: node-postgres's Pool over one connection URL. The URL's password is never printed: describeTarget()
 * names host, port, database and user only. A connection that dies while idle in the pool (a server restart,
 * pg_terminate_backend) is an 'error' event on the pool; it is absorbed here, and the next checkout opens a new one.
 */
import pg from 'pg';
import { StoreUnavailableError } from '../errors.js';
import { classifyPgError } from './classify.js';

export interface PostgresConnectOptions {
  /** postgres://user[:password]@host[:port]/database[?sslmode=...] */
  url: string;
  /** Overrides a password in the URL; else node-postgres falls back to PGPASSWORD / ~/.pgpass. */
  password?: string;
  /** Connections in the pool. @default 16 */
  poolSize?: number;
  /** Server-side statement timeout, ms. @default 10000 */
  statementTimeoutMs?: number;
}

export const DEFAULT_POOL_SIZE = 16;
const CONNECT_TIMEOUT_MS = 5_000;

/** host:port/database as user, without the password. */
export function describeTarget(url: string): string {
  try {
    const u = new URL(url);
    const user = u.username ? ` as ${decodeURIComponent(u.username)}` : '';
    return `postgres://${u.hostname}:${u.port || '5432'}${u.pathname}${user}`;
  } catch {
    return 'postgres (unparseable URL)';
  }
}

/** Splits a URL's password off, so that the URL can be shown and recorded and the password kept apart. */
export function splitPassword(url: string): { url: string; password: string | undefined } {
  try {
    const u = new URL(url);
    if (!u.password) return { url, password: undefined };
    const password = decodeURIComponent(u.password);
    u.password = '';
    return { url: u.toString(), password };
  } catch {
    return { url, password: undefined };
  }
}

function withPassword(url: string, password: string | undefined): string {
  if (password === undefined || password === '') return url;
  const u = new URL(url);
  if (u.password) return url;
  u.password = encodeURIComponent(password);
  return u.toString();
}

/** A problem with the URL (undefined when usable). Never echoes the URL itself: it may hold a password. */
export function urlProblem(url: string): string | undefined {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return 'the PostgreSQL URL is not a URL (expected postgres://user[:password]@host[:port]/database)';
  }
  if (u.protocol !== 'postgres:' && u.protocol !== 'postgresql:')
    return `the PostgreSQL URL must start with postgres:// or postgresql://, got ${u.protocol}//`;
  if (!u.hostname) return 'the PostgreSQL URL names no host';
  return undefined;
}

export async function openPool(o: PostgresConnectOptions): Promise<{ pool: pg.Pool; version: string }> {
  const problem = urlProblem(o.url);
  if (problem) throw new StoreUnavailableError(problem);
  const pool = new pg.Pool({
    // (A password in the config would lose to the URL's empty one: node-postgres lets the URL win.)
    connectionString: withPassword(o.url, o.password ?? process.env.PGPASSWORD),
    max: o.poolSize ?? DEFAULT_POOL_SIZE,
    connectionTimeoutMillis: CONNECT_TIMEOUT_MS,
    keepAlive: true,
    statement_timeout: o.statementTimeoutMs ?? 10_000,
    // Client-side bound as well: a connection that went silent (no RST, a frozen server) must not hold a shard's
    // transaction forever. It fails as 'Query read timeout', a connection loss (in doubt for a write).
    query_timeout: (o.statementTimeoutMs ?? 10_000) + 5_000,
    application_name: 'stampede',
  });
  pool.on('error', () => undefined);
  try {
    const r = await pool.query<{ server_version: string }>('SHOW server_version');
    return { pool, version: r.rows[0]?.server_version ?? 'unknown' };
  } catch (err) {
    await pool.end().catch(() => undefined);
    const e = classifyPgError(err, 'read');
    throw new StoreUnavailableError(
      `${openFailure(err, describeTarget(o.url)) ?? `cannot reach PostgreSQL at ${describeTarget(o.url)}`}: ${e.message}`,
      { cause: e, outage: true },
    );
  }
}

/** The server answered but refused: say what to do rather than "cannot reach" (the first thing a new user meets). */
function openFailure(err: unknown, target: string): string | undefined {
  const code = typeof err === 'object' && err !== null && 'code' in err ? String(err.code) : '';
  // invalid_catalog_name: the database in the URL does not exist.
  if (code === '3D000')
    return `PostgreSQL at ${target} has no such database: create it first (createdb, or CREATE DATABASE as its owner), then run \`stampede schema create --store postgres\``;
  // invalid_authorization_specification, invalid_password.
  if (code === '28000' || code === '28P01')
    return `PostgreSQL at ${target} refused the login (the password comes from STAMPEDE_POSTGRES_PASSWORD, PGPASSWORD or the URL)`;
  return undefined;
}
