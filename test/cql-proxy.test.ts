/** The CQL fault-injection proxy (test/support/cql-proxy.ts) between cassandra-driver and the test Cassandra. */
import { randomUUID } from 'node:crypto';
import { once } from 'node:events';
import net from 'node:net';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import cassandra from 'cassandra-driver';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { testCluster } from './helpers/engine.js';
import { startCqlProxy, type CqlProxy } from './support/cql-proxy.js';

const { errors, policies, types } = cassandra;
const codes = types.responseErrorCodes;

const INSERT = 'INSERT INTO kv (k, v) VALUES (?, ?)';
const INSERT_IF_NOT_EXISTS = 'INSERT INTO kv (k, v) VALUES (?, ?) IF NOT EXISTS';
const SELECT = 'SELECT v FROM kv WHERE k = ?';
/** Generous: the machines are shared and slow. */
const SLACK_MS = 5_000;

let proxy: CqlProxy;
/** Talks to Cassandra through the proxy. */
let client: cassandra.Client;
/** Talks to Cassandra directly, to see what was really written. */
let direct: cassandra.Client;
let keyspace = '';

beforeAll(async () => {
  const cluster = testCluster();
  proxy = await startCqlProxy({ target: cluster.contactPoints[0]!, seed: 42 });
  keyspace = `cql_proxy_${randomUUID().replace(/-/g, '').slice(0, 12)}`;
  direct = new cassandra.Client({ contactPoints: cluster.contactPoints, localDataCenter: cluster.localDataCenter });
  await direct.execute(
    `CREATE KEYSPACE ${keyspace} WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 1}`,
  );
  await direct.execute(`CREATE TABLE ${keyspace}.kv (k text PRIMARY KEY, v text)`);
  client = new cassandra.Client({
    contactPoints: [proxy.address],
    localDataCenter: cluster.localDataCenter,
    keyspace,
    policies: {
      // Only the proxy, even if the cluster reports other nodes.
      loadBalancing: new policies.loadBalancing.AllowListPolicy(
        new policies.loadBalancing.DCAwareRoundRobinPolicy(cluster.localDataCenter),
        [proxy.address],
      ),
      reconnection: new policies.reconnection.ConstantReconnectionPolicy(100),
      // Every injected error reaches the test as it is, without the driver retrying.
      retry: new policies.retry.FallthroughRetryPolicy(),
    },
  });
  await client.connect();
});

afterEach(() => {
  proxy.clearRules();
  proxy.setLatency(0);
  proxy.setBlackhole(false);
});

afterAll(async () => {
  await client?.shutdown();
  await direct?.execute(`DROP KEYSPACE IF EXISTS ${keyspace}`).catch(() => undefined);
  await direct?.shutdown();
  await proxy?.stop();
});

/** v for k as Cassandra has it, read around the proxy; undefined when there is no row. */
async function storedValue(k: string): Promise<unknown> {
  const result = await direct.execute(`SELECT v FROM ${keyspace}.kv WHERE k = ?`, [k]);
  return result.first()?.get('v');
}

async function elapsedMs(run: () => Promise<unknown>): Promise<number> {
  const start = performance.now();
  await run();
  return performance.now() - start;
}

/** Retries `run` until it succeeds or `timeoutMs` passes (then rethrows the last failure). */
async function eventually<T>(run: () => Promise<T>, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await run();
    } catch (err) {
      if (Date.now() > deadline) throw err;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
}

/** A protocol v3 QUERY frame at consistency ONE, with no values. */
function queryFrame(stream: number, query: string): Buffer {
  const text = Buffer.from(query, 'utf8');
  const body = Buffer.alloc(4 + text.length + 3);
  body.writeInt32BE(text.length, 0);
  text.copy(body, 4);
  body.writeUInt16BE(types.consistencies.one, 4 + text.length);
  const header = Buffer.from([0x03, 0x00, 0x00, 0x00, 0x07, 0x00, 0x00, 0x00, 0x00]);
  header.writeInt16BE(stream, 2);
  header.writeInt32BE(body.length, 5);
  return Buffer.concat([header, body]);
}

/** The first `length` bytes `socket` receives. */
async function receive(socket: net.Socket, length: number): Promise<Buffer> {
  let received = Buffer.alloc(0);
  while (received.length < length) {
    const [chunk] = (await once(socket, 'data')) as [Buffer];
    received = Buffer.concat([received, chunk]);
  }
  return received;
}

describe('pass-through', () => {
  it('carries plain and prepared statements both ways', async () => {
    const before = proxy.stats.frames;
    await client.execute(INSERT, ['plain', 'p1']);
    await client.execute(INSERT, ['prepared', 'p2'], { prepare: true });

    expect((await client.execute(SELECT, ['plain'])).first()?.get('v')).toBe('p1');
    expect((await client.execute(SELECT, ['prepared'], { prepare: true })).first()?.get('v')).toBe('p2');
    expect(proxy.stats.frames).toBeGreaterThanOrEqual(before + 8);
    expect(proxy.stats.injected).toEqual({ 'write-timeout': 0, unavailable: 0, delay: 0, reset: 0 });
  });
});

describe('write timeouts', () => {
  it("'before' fails a lightweight transaction with a CAS write timeout and writes nothing", async () => {
    const rule = proxy.addRule({
      match: { query: /IF NOT EXISTS$/ },
      action: { kind: 'write-timeout', when: 'before', writeType: 'CAS' },
    });

    const failure = client.execute(INSERT_IF_NOT_EXISTS, ['lwt-before', 'x']);

    await expect(failure).rejects.toBeInstanceOf(errors.ResponseError);
    await expect(failure).rejects.toMatchObject({ code: codes.writeTimeout, writeType: 'CAS', received: 0 });
    expect(rule.hits).toBe(1);
    expect(await storedValue('lwt-before')).toBeUndefined();
  });

  it("'after' fails it the same way, but the write happened", async () => {
    proxy.addRule({
      match: { query: /IF NOT EXISTS$/ },
      action: { kind: 'write-timeout', when: 'after', writeType: 'CAS', consistency: 'SERIAL' },
    });

    await expect(client.execute(INSERT_IF_NOT_EXISTS, ['lwt-after', 'y'])).rejects.toMatchObject({
      code: codes.writeTimeout,
      writeType: 'CAS',
      consistencies: types.consistencies.serial,
    });
    expect(await storedValue('lwt-after')).toBe('y');
  });
});

describe('matching by query text', () => {
  it('matches an EXECUTE by the text it was prepared from, and only EXECUTE when the rule says so', async () => {
    const ttlInsert = 'INSERT INTO kv (k, v) VALUES (?, ?) USING TTL 86400';
    const rule = proxy.addRule({
      match: { query: 'USING TTL 86400', opcode: 'EXECUTE' },
      action: { kind: 'write-timeout', when: 'before' },
    });

    await expect(client.execute(ttlInsert, ['exec', 'e'], { prepare: true })).rejects.toMatchObject({
      code: codes.writeTimeout,
      writeType: 'SIMPLE',
    });
    expect(await storedValue('exec')).toBeUndefined();
    await client.execute(ttlInsert, ['exec', 'q']); // the same text as a QUERY
    expect(await storedValue('exec')).toBe('q');
    expect(rule.hits).toBe(1);
  });

  it('matches a statement inside a logged BATCH, prepared or not', async () => {
    const update = 'UPDATE kv SET v = ? WHERE k = ?';
    const rule = proxy.addRule({
      match: { query: update, opcode: 'BATCH' },
      action: { kind: 'write-timeout', when: 'before' },
    });
    const batch = [
      { query: INSERT, params: ['batch-a', 'a'] },
      { query: update, params: ['b', 'batch-b'] },
    ];

    for (const prepare of [true, false]) {
      await expect(client.batch(batch, { prepare })).rejects.toMatchObject({
        code: codes.writeTimeout,
        writeType: 'BATCH',
      });
    }
    expect(rule.hits).toBe(2);
    expect(await storedValue('batch-a')).toBeUndefined();

    await client.batch([batch[0]!], { prepare: true }); // no UPDATE in it
    expect(await storedValue('batch-a')).toBe('a');
  });
});

describe('other faults', () => {
  it('answers unavailable without asking Cassandra', async () => {
    proxy.addRule({ match: { query: SELECT }, action: { kind: 'unavailable', consistency: 'QUORUM', required: 2 } });

    await expect(client.execute(SELECT, ['any'], { prepare: true })).rejects.toMatchObject({
      code: codes.unavailableException,
      consistencies: types.consistencies.quorum,
      required: 2,
      alive: 0,
    });
  });

  it('applies a rule at most `times` times and counts its hits; remove() ends it', async () => {
    const injectedBefore = proxy.stats.injected['write-timeout'];
    const once = proxy.addRule({
      match: { query: INSERT },
      action: { kind: 'write-timeout', when: 'before' },
      times: 1,
    });

    await expect(client.execute(INSERT, ['times', '1'])).rejects.toMatchObject({ code: codes.writeTimeout });
    await client.execute(INSERT, ['times', '2']);
    expect(once.hits).toBe(1);
    expect(proxy.stats.injected['write-timeout']).toBe(injectedBefore + 1);
    expect(await storedValue('times')).toBe('2');

    const always = proxy.addRule({ match: { query: SELECT }, action: { kind: 'unavailable' } });
    await expect(client.execute(SELECT, ['times'])).rejects.toMatchObject({ code: codes.unavailableException });
    always.remove();
    await client.execute(SELECT, ['times']);
    expect(always.hits).toBe(1);
  });

  it('fires a rule with a probability only on some of the matching statements', async () => {
    const rule = proxy.addRule({ match: { query: SELECT }, action: { kind: 'unavailable' }, probability: 0.5 });
    const outcomes = await Promise.allSettled(
      Array.from({ length: 20 }, () => client.execute(SELECT, ['chance'], { prepare: true })),
    );
    const failed = outcomes.filter((outcome) => outcome.status === 'rejected').length;

    expect(failed).toBe(rule.hits);
    expect(failed).toBeGreaterThan(0);
    expect(failed).toBeLessThan(20);
  });

  it('holds a matching request for the delay, and every response for the latency', async () => {
    const delayMs = 300;
    proxy.addRule({ match: { query: SELECT }, action: { kind: 'delay', ms: delayMs }, times: 1 });
    const delayed = await elapsedMs(() => client.execute(SELECT, ['slow']));
    expect(delayed).toBeGreaterThanOrEqual(delayMs);
    expect(delayed).toBeLessThan(delayMs + SLACK_MS);
    expect(proxy.stats.injected.delay).toBe(1);

    const latencyMs = 200;
    proxy.setLatency(latencyMs);
    const slowed = await elapsedMs(() => client.execute(SELECT, ['slow']));
    expect(slowed).toBeGreaterThanOrEqual(latencyMs);
    expect(slowed).toBeLessThan(latencyMs + SLACK_MS);
  });
});

describe('connections', () => {
  it('reads a frame however the bytes are split, and drops a connection that does not speak CQL', async () => {
    proxy.addRule({ match: { query: 'raw split' }, action: { kind: 'unavailable' } });
    const socket = net.connect(proxy.port, proxy.host);
    await once(socket, 'connect');
    const reply = receive(socket, 13);
    for (const byte of queryFrame(7, 'SELECT raw split')) {
      socket.write(Buffer.of(byte));
      await sleep(1);
    }

    const frame = await reply;
    expect(frame.readUInt8(0)).toBe(0x83); // a v3 response
    expect(frame.readInt16BE(2)).toBe(7); // on the request's stream
    expect(frame.readUInt8(4)).toBe(0x00); // ERROR
    expect(frame.readInt32BE(9)).toBe(codes.unavailableException);

    const closed = once(socket, 'close');
    socket.write(Buffer.from([0x03, 0x00, 0x00, 0x01, 0x07, 0x7f, 0xff, 0xff, 0xff])); // a 2 GB body
    await closed;
    await client.execute(SELECT, ['raw']); // the proxy still serves
  });

  it('lets the driver reconnect after resetConnections() and after a reset rule', async () => {
    await client.execute(INSERT, ['reconnect', 'r1']);
    const accepted = proxy.stats.connections;

    proxy.resetConnections();
    await eventually(() => client.execute(INSERT, ['reconnect', 'r2']));
    expect(proxy.stats.connections).toBeGreaterThan(accepted);
    expect(await storedValue('reconnect')).toBe('r2');

    proxy.addRule({ match: { query: INSERT }, action: { kind: 'reset' }, times: 1 });
    await expect(client.execute(INSERT, ['reconnect', 'r3'])).rejects.toThrow();
    expect(proxy.stats.injected.reset).toBe(1);
    await eventually(() => client.execute(INSERT, ['reconnect', 'r4']));
    expect(await storedValue('reconnect')).toBe('r4');
  });

  it('answers nothing while blackholed, and recovers after', async () => {
    await client.execute(SELECT, ['hole']);
    proxy.setBlackhole(true);
    await expect(client.execute(SELECT, ['hole'], { readTimeout: 300 })).rejects.toBeInstanceOf(
      errors.OperationTimedOutError,
    );

    proxy.setBlackhole(false);
    await eventually(() => client.execute(INSERT, ['hole', 'h']));
    expect(await storedValue('hole')).toBe('h');
  });
});
