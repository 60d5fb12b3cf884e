/**
 * The test Cassandra itself: starts its own server (not the global setup's) so that it can also prove stop() leaves
 * no JVM, no open port and no temp dir behind. With STAMPEDE_TEST_CASSANDRA set it runs the CQL part against that
 * cluster instead and skips the process checks.
 */
import { access, readFile, readdir } from 'node:fs/promises';
import net from 'node:net';
import cassandra, { type Client } from 'cassandra-driver';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCassandra, testCassandra, type TestCassandra } from './cassandra-server.js';

const external = Boolean(process.env.STAMPEDE_TEST_CASSANDRA?.trim());
const TIMEOUT = 180_000;

describe('test Cassandra server', { timeout: TIMEOUT }, () => {
  const keyspace = `stampede_support_${process.pid}_${Date.now().toString(36)}`;
  const table = `${keyspace}.items`;
  let server: TestCassandra | undefined;
  let client: Client | undefined;

  beforeAll(async () => {
    server = external ? await testCassandra() : await startCassandra();
    client = new cassandra.Client({ contactPoints: server.contactPoints, localDataCenter: server.localDataCenter });
    await client.connect();
  }, TIMEOUT);

  afterAll(async () => {
    // On the shared external cluster, leave nothing behind; a bundled server's data goes with its temp dir.
    if (external) await client?.execute(`DROP KEYSPACE IF EXISTS ${keyspace}`).catch(() => undefined);
    await client?.shutdown();
    await server?.stop();
  }, TIMEOUT);

  it('reports the release it runs', () => {
    expect(server!.releaseVersion).toMatch(/^\d+\.\d+/);
    if (!external) {
      expect(server!.releaseVersion.startsWith('2.1')).toBe(true);
      expect(server!.contactPoints).toEqual([`${server!.host}:${server!.port}`]);
      expect(server!.localDataCenter).toBe('dc1');
    }
  });

  it('creates a keyspace and a table', async () => {
    await client!.execute(
      `CREATE KEYSPACE ${keyspace} WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 1}`,
    );
    await client!.execute(
      `CREATE TABLE ${table} (pk text, ck int, value text, version int static, PRIMARY KEY (pk, ck))`,
    );
  });

  it('runs a prepared INSERT', async () => {
    await client!.execute(`INSERT INTO ${table} (pk, ck, value, version) VALUES (?, ?, ?, ?)`, ['a', 1, 'one', 1], {
      prepare: true,
    });
  });

  it('applies INSERT ... IF NOT EXISTS once', async () => {
    const insert = `INSERT INTO ${table} (pk, ck, value) VALUES (?, ?, ?) IF NOT EXISTS`;
    const first = await client!.execute(insert, ['b', 1, 'first'], { prepare: true });
    expect(first.wasApplied()).toBe(true);
    expect(applied(first)).toBe(true);

    const second = await client!.execute(insert, ['b', 1, 'second'], { prepare: true });
    expect(second.wasApplied()).toBe(false);
    expect(applied(second)).toBe(false);
    // A failed condition returns the row that is there.
    expect(second.first()?.get('value')).toBe('first');
  });

  it('applies a conditional logged batch on one partition only while its condition holds', async () => {
    const batch = [
      { query: `UPDATE ${table} SET version = ? WHERE pk = ? IF version = ?`, params: [2, 'a', 1] },
      { query: `INSERT INTO ${table} (pk, ck, value) VALUES (?, ?, ?)`, params: ['a', 2, 'two'] },
    ];
    const first = await client!.batch(batch, { prepare: true, logged: true });
    expect(first.wasApplied()).toBe(true);

    const again = await client!.batch(batch, { prepare: true, logged: true });
    expect(again.wasApplied()).toBe(false);
    expect(again.first()?.get('version')).toBe(2);
  });

  it('reads back what was written', async () => {
    const a = await client!.execute(`SELECT ck, value, version FROM ${table} WHERE pk = ?`, ['a'], { prepare: true });
    expect(a.rows.map((row): unknown[] => [row.get('ck'), row.get('value'), row.get('version')])).toEqual([
      [1, 'one', 2],
      [2, 'two', 2],
    ]);
    const b = await client!.execute(`SELECT value FROM ${table} WHERE pk = ? AND ck = ?`, ['b', 1], { prepare: true });
    expect(b.first()?.get('value')).toBe('first');
  });

  it.skipIf(external)('stop() ends the JVM, closes the port and removes the temp dir', async () => {
    const { dataDir, host, port } = server!;
    if (process.platform === 'linux') expect(await javaPidsFor(dataDir)).toHaveLength(1);

    await client!.shutdown();
    client = undefined;
    await server!.stop();

    if (process.platform === 'linux') expect(await javaPidsFor(dataDir)).toEqual([]);
    expect(await connectError(host, port)).toBe('ECONNREFUSED');
    await expect(access(dataDir)).rejects.toThrow();
    // A second stop() is harmless (afterAll calls it again).
    await server!.stop();
  });
});

function applied(rs: cassandra.types.ResultSet): unknown {
  const value: unknown = rs.first()?.get('[applied]');
  return value;
}

/** Processes whose command line names this server's storage dir: the JVM started for it, if still alive. */
async function javaPidsFor(dataDir: string): Promise<number[]> {
  const marker = `-Dcassandra.storagedir=${dataDir}`;
  const pids: number[] = [];
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const cmdline = await readFile(`/proc/${entry}/cmdline`, 'utf8').catch(() => '');
    if (cmdline.split('\0').includes(marker)) pids.push(Number(entry));
  }
  return pids;
}

function connectError(host: string, port: number): Promise<string> {
  return new Promise((resolve) => {
    const socket = net.connect({ host, port });
    socket.once('connect', () => {
      socket.destroy();
      resolve('connected');
    });
    socket.once('error', (err: NodeJS.ErrnoException) => resolve(err.code ?? err.message));
  });
}
