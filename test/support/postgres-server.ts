/**
 * A real PostgreSQL for integration tests: Debian's `postgresql` server binaries (/usr/lib/postgresql/<major>/bin),
 * `initdb` into a temporary folder and `postgres` on a free loopback port with its unix socket in that folder, or an
 * external server named by STAMPEDE_TEST_POSTGRES (a connection URL). Mirrors cassandra-server.ts.
 *
 * PostgreSQL refuses to run as root: when the tests run as root (CI containers), the server runs as the `postgres`
 * user the Debian package creates (or `nobody`), and its folder is handed to that user.
 *
 * As a script:
 *   node --import tsx test/support/postgres-server.ts start   # run one until SIGINT/SIGTERM, print its URL
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { chownSync, existsSync, readdirSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import pg from 'pg';

const execFileAsync = promisify(execFile);

const READY_TIMEOUT_MS = 30_000;
const READY_POLL_MS = 100;
const STOP_GRACE_MS = 10_000;
const OUTPUT_TAIL_LINES = 40;

export interface TestPostgres {
  /** Connection URL of the server's `postgres` database (user `postgres`, no password: trust on loopback). */
  url: string;
  host: string;
  port: number;
  /** The server's temp directory (data and socket); '' for an external server. */
  dataDir: string;
  /** `server_version` as the server reports it. */
  version: string;
  stop(): Promise<void>;
  /** Fast shutdown, `downMs` down, then up again on the same data and port. Only for a server this process started. */
  restart(downMs?: number): Promise<void>;
  /** SIGKILLs the postmaster (its backends exit when they notice); `start()` brings it back after crash recovery. */
  kill(): Promise<void>;
  start(): Promise<void>;
}

export interface StartPostgresOptions {
  /** `fsync` setting; off by default (tests crash processes, never the machine). */
  fsync?: boolean;
  /** Extra `-c name=value` settings. */
  settings?: Record<string, string>;
  log?: (line: string) => void;
}

/** The newest installed server's bin directory. */
export function postgresBinDir(): string {
  const root = '/usr/lib/postgresql';
  const majors = existsSync(root)
    ? readdirSync(root)
        .filter((d) => existsSync(path.join(root, d, 'bin', 'initdb')))
        .sort((a, b) => Number(b) - Number(a))
    : [];
  const major = majors[0];
  if (major === undefined)
    throw new Error(
      "no PostgreSQL server binaries under /usr/lib/postgresql/*/bin: install Debian's postgresql package (bash scripts/ensure-system-deps.sh), or set STAMPEDE_TEST_POSTGRES to a server URL",
    );
  return path.join(root, major, 'bin');
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const addr = s.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      s.close(() => resolve(port));
    });
  });
}

/** Who the server runs as: ourselves, or (as root, which PostgreSQL refuses) the `postgres` user. */
async function serverUser(): Promise<{ uid: number; gid: number } | undefined> {
  if (process.getuid?.() !== 0) return undefined;
  for (const name of ['postgres', 'nobody']) {
    try {
      const uid = Number((await execFileAsync('id', ['-u', name])).stdout.trim());
      const gid = Number((await execFileAsync('id', ['-g', name])).stdout.trim());
      if (Number.isInteger(uid) && Number.isInteger(gid)) return { uid, gid };
    } catch {
      // try the next one
    }
  }
  throw new Error('running as root, and neither a postgres nor a nobody user exists to run PostgreSQL as');
}

async function serverVersion(url: string): Promise<string> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    const r = await c.query<{ server_version: string }>('SHOW server_version');
    return r.rows[0]?.server_version ?? 'unknown';
  } finally {
    await c.end();
  }
}

export async function startPostgres(opts: StartPostgresOptions = {}): Promise<TestPostgres> {
  const bin = postgresBinDir();
  const user = await serverUser();
  const dir = await mkdtemp(path.join(os.tmpdir(), 'stampede-pg-'));
  if (user) chownSync(dir, user.uid, user.gid);
  const dataDir = path.join(dir, 'data');
  const spawnAs = user ? { uid: user.uid, gid: user.gid } : {};
  try {
    await execFileAsync(
      path.join(bin, 'initdb'),
      ['-D', dataDir, '-U', 'postgres', '--auth=trust', '-E', 'UTF8', '--locale=C', '--no-sync'],
      { ...spawnAs, cwd: dir },
    );
  } catch (err) {
    await rm(dir, { recursive: true, force: true });
    throw new Error(`initdb failed: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
  }
  const port = await freePort();
  const host = '127.0.0.1';
  const url = `postgres://postgres@${host}:${port}/postgres`;
  const settings: Record<string, string> = {
    fsync: opts.fsync ? 'on' : 'off',
    max_connections: '200',
    shared_buffers: '128MB',
    ...opts.settings,
  };
  let proc: ChildProcess | undefined;
  const tail: string[] = [];

  const launch = async (): Promise<void> => {
    const args = ['-D', dataDir, '-p', String(port), '-h', host, '-k', dir];
    for (const [k, v] of Object.entries(settings)) args.push('-c', `${k}=${v}`);
    const child = spawn(path.join(bin, 'postgres'), args, { ...spawnAs, cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
    proc = child;
    const keep = (b: Buffer): void => {
      for (const line of b.toString().split('\n')) {
        if (!line) continue;
        tail.push(line);
        if (tail.length > OUTPUT_TAIL_LINES) tail.shift();
        opts.log?.(line);
      }
    };
    child.stdout?.on('data', keep);
    child.stderr?.on('data', keep);
    const deadline = Date.now() + READY_TIMEOUT_MS;
    for (;;) {
      if (child.exitCode !== null)
        throw new Error(`postgres exited with ${child.exitCode} while starting:\n${tail.join('\n')}`);
      try {
        const c = new pg.Client({ connectionString: url });
        await c.connect();
        await c.end();
        return;
      } catch {
        if (Date.now() > deadline)
          throw new Error(`postgres not ready after ${READY_TIMEOUT_MS} ms:\n${tail.join('\n')}`);
        await new Promise((r) => setTimeout(r, READY_POLL_MS));
      }
    }
  };

  const exited = (child: ChildProcess): Promise<void> =>
    child.exitCode !== null || child.signalCode !== null
      ? Promise.resolve()
      : new Promise((resolve) => child.once('exit', () => resolve()));

  const halt = async (signal: NodeJS.Signals): Promise<void> => {
    const child = proc;
    if (!child) return;
    proc = undefined;
    child.kill(signal);
    const timer = setTimeout(() => child.kill('SIGKILL'), STOP_GRACE_MS);
    await exited(child);
    clearTimeout(timer);
  };

  /** The postmaster's children (backends, checkpointer, ...), from /proc. */
  const childrenOf = async (pid: number): Promise<number[]> => {
    const out: number[] = [];
    for (const d of readdirSync('/proc')) {
      if (!/^\d+$/.test(d)) continue;
      const stat = await readFile(`/proc/${d}/stat`, 'utf8').catch(() => '');
      // pid (comm) state ppid ...: comm may hold spaces, so read after its closing parenthesis.
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (ppid === pid) out.push(Number(d));
    }
    return out;
  };

  /** SIGKILLs the postmaster, then waits for its orphaned backends to notice and exit (they hold its shared memory). */
  const killHard = async (): Promise<void> => {
    const child = proc;
    if (!child?.pid) return;
    const orphans = await childrenOf(child.pid);
    await halt('SIGKILL');
    const deadline = Date.now() + STOP_GRACE_MS;
    const alive = (pid: number): boolean => existsSync(`/proc/${pid}`);
    while (orphans.some(alive) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    for (const pid of orphans.filter(alive)) process.kill(pid, 'SIGKILL');
  };

  try {
    await launch();
  } catch (err) {
    await halt('SIGKILL');
    await rm(dir, { recursive: true, force: true });
    throw err;
  }
  const version = await serverVersion(url);
  return {
    url,
    host,
    port,
    dataDir,
    version,
    // SIGINT: PostgreSQL's "fast" shutdown (aborts transactions, checkpoints, exits).
    stop: async () => {
      await halt('SIGINT');
      await rm(dir, { recursive: true, force: true });
    },
    restart: async (downMs = 0) => {
      await halt('SIGINT');
      if (downMs > 0) await new Promise((r) => setTimeout(r, downMs));
      await launch();
    },
    kill: killHard,
    start: () => launch(),
  };
}

/** The server STAMPEDE_TEST_POSTGRES names, or one of our own. */
export async function testPostgres(opts: StartPostgresOptions = {}): Promise<TestPostgres> {
  const external = process.env.STAMPEDE_TEST_POSTGRES;
  if (external) {
    const u = new URL(external);
    const refuse = (): Promise<void> =>
      Promise.reject(new Error('STAMPEDE_TEST_POSTGRES names an external server: it is not ours to restart'));
    return {
      url: external,
      host: u.hostname,
      port: Number(u.port || 5432),
      dataDir: '',
      version: await serverVersion(external),
      stop: () => Promise.resolve(),
      restart: refuse,
      kill: refuse,
      start: refuse,
    };
  }
  return startPostgres(opts);
}

/** A new, empty database on `serverUrl`; returns its URL. */
export async function freshDatabase(serverUrl: string, prefix = 'stampede_test'): Promise<string> {
  const name = `${prefix}_${randomUUID().replace(/-/g, '').slice(0, 12)}`;
  const c = new pg.Client({ connectionString: serverUrl });
  await c.connect();
  try {
    await c.query(`CREATE DATABASE ${name}`);
  } finally {
    await c.end();
  }
  const u = new URL(serverUrl);
  u.pathname = `/${name}`;
  return u.toString();
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href && process.argv[2] === 'start') {
  const server = await startPostgres();
  process.stdout.write(`${server.url}\n`);
  const stop = (): void => void server.stop().then(() => process.exit(0));
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}
