/**
 * The engine on Cassandra: the rows a workflow leaves in each table (Temporal's pattern), and fencing between
 * two engines on the same keyspace (the one with the stale range id is refused and none of its writes land).
 */
import { randomUUID } from 'node:crypto';
import cassandra from 'cassandra-driver';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../engine/index.js';
import { freshKeyspace, testCluster, testEngine, type TestEngine } from './helpers/engine.js';
import { cmd, RawWorker } from './helpers/raw-worker.js';

let session: cassandra.Client;

beforeAll(async () => {
  const c = testCluster();
  session = new cassandra.Client({
    contactPoints: c.contactPoints,
    localDataCenter: c.localDataCenter,
    encoding: { map: Map, set: Set },
  });
  await session.connect();
});

afterAll(async () => {
  await session?.shutdown();
});

const CURRENT_RUN_ID = '30000000-0000-f000-f000-000000000001';

async function hello(w: RawWorker, id: string): Promise<void> {
  await w.start(id);
  await w.complete(await w.pollWorkflowTask(), [cmd.activity('greet', { startToClose: 10 })]);
  const at = await w.pollActivityTask();
  await w.client.call('RespondActivityTaskCompleted', { taskToken: at.taskToken, identity: 'raw' });
  await w.complete(await w.pollWorkflowTask(), [cmd.complete()]);
}

async function countRows(keyspace: string, shards: number): Promise<Record<string, number>> {
  const counts: Record<string, number> = {};
  const add = (k: string, n = 1): void => {
    counts[k] = (counts[k] ?? 0) + n;
  };
  for (let shard = 1; shard <= shards; shard++) {
    const rs = await session.execute(`SELECT type, run_id FROM ${keyspace}.executions WHERE shard_id = ?`, [shard], {
      prepare: true,
    });
    for (const r of rs.rows) {
      const type = Number(r.get('type'));
      if (type === 1) add(String(r.get('run_id')) === CURRENT_RUN_ID ? 'current rows' : 'execution rows');
      else
        add(
          ({ 0: 'shard rows', 2: 'transfer tasks', 3: 'timer tasks', 6: 'visibility tasks' } as Record<number, string>)[
            type
          ] ?? `type ${type}`,
        );
    }
  }
  const one = async (cql: string): Promise<number> => (await session.execute(cql)).rows.length;
  add('history nodes', await one(`SELECT tree_id FROM ${keyspace}.history_node`));
  add('history trees', await one(`SELECT tree_id FROM ${keyspace}.history_tree`));
  const tasks = await session.execute(`SELECT type FROM ${keyspace}.tasks`);
  add('matching tasks', tasks.rows.filter((r) => Number(r.get('type')) === 0).length);
  add('task queue rows', tasks.rows.filter((r) => Number(r.get('type')) === 1).length);
  add('namespaces', await one(`SELECT name FROM ${keyspace}.namespaces`));
  return counts;
}

describe('rows per table', () => {
  it('after N hello workflows: 2 execution rows, 6 history nodes and 1 tree each; completed tasks deleted', async () => {
    const clock = new ManualClock();
    const t = await testEngine({ store: 'cassandra', clock, numShards: 4, queueAckIntervalMs: 100 });
    try {
      const n = 12;
      const w = new RawWorker(t.client, `rows-${randomUUID().slice(0, 6)}`);
      for (let i = 0; i < n; i++) await hello(w, `rows-${i}`);
      // Let every timeout fire (they find nothing to do), then wait for the queues to range-delete what they acked.
      clock.advance(11_000);
      const keyspace = t.keyspace ?? '';
      await expect
        .poll(() => countRows(keyspace, 4), { timeout: 20_000, interval: 250 })
        .toEqual({
          'shard rows': 4,
          'current rows': n,
          'execution rows': n,
          // Only each run's retention timer (24 h out) is still pending.
          'timer tasks': n,
          'history nodes': 6 * n,
          'history trees': n,
          'matching tasks': 0,
          'task queue rows': 2,
          namespaces: 1,
        });
      // Statement counts: 7 conditional batches and 6 history inserts per workflow (Temporal's figures).
      const stats = await t.engine.stats();
      expect(stats.persistence['execution.create']?.outcomes?.applied).toBe(n);
      expect(stats.persistence['execution.update']?.outcomes?.applied).toBe(6 * n);
      expect(
        (stats.persistence['history.append']?.count ?? 0) +
          (stats.persistence['history.append_new_branch']?.count ?? 0),
      ).toBe(6 * n);
      // A 2.1 node has no system_views to read its batch thresholds from: the defaults stand, said to be defaults.
      expect(stats.batchThresholds).toEqual({
        warnBytes: 5120,
        failBytes: 51_200,
        source: expect.stringContaining('defaults') as string,
      });
    } finally {
      await t.close();
    }
  });
});

describe('fencing', () => {
  let a: TestEngine;
  let b: TestEngine | undefined;

  afterAll(async () => {
    await b?.close();
    await a?.close();
  });

  it('a second engine takes the shard; the first is refused and none of its writes land', async () => {
    const keyspace = await freshKeyspace('fencing');
    a = await testEngine({ store: 'cassandra', keyspace, numShards: 1 });
    const wa = new RawWorker(a.client, 'fence');
    await wa.start('fenced-1');
    await wa.complete(await wa.pollWorkflowTask(), []);

    b = await testEngine({ store: 'cassandra', keyspace, numShards: 1 });
    const wb = new RawWorker(b.client, 'fence');

    await expect(wa.signal('fenced-1', 'from-a')).rejects.toMatchObject({ code: 14 });
    await expect(wa.start('fenced-2')).rejects.toMatchObject({ code: 14 });

    await wb.signal('fenced-1', 'from-b');
    const signals = (await wb.history('fenced-1'))
      .filter((e) => e.workflowExecutionSignaledEventAttributes)
      .map((e) => e.workflowExecutionSignaledEventAttributes?.signalName);
    expect(signals).toEqual(['from-b']);
    await expect(
      b.client.call('DescribeWorkflowExecution', { namespace: 'default', execution: { workflowId: 'fenced-2' } }),
    ).rejects.toMatchObject({ code: 5 });
    const statsA = await a.engine.stats();
    expect(statsA.history.shardsOwned).toBe(0);
    expect(statsA.persistence['execution.update']?.outcomes?.shard_ownership_lost).toBeGreaterThanOrEqual(1);
  });
});
