/**
 * The statement mix of a parent with one child on another shard, beside hello's (one activity), on Cassandra: the
 * engine's statement counters (the `class` label of stampede_persistence_statements_total) over N workflows of each
 * kind, run one after another with the real @temporalio/worker, divided by N. Background queue work (task reads and
 * range deletes) is counted too, as it is part of what a workflow costs; it is batched, so it varies a little.
 *
 *   STAMPEDE_TEST_CASSANDRA=host:port node --import tsx tools/perf/child-statements.ts [N]
 */
import { randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { Client, Connection } from '@temporalio/client';
import { bundleWorkflowCode, NativeConnection, Worker } from '@temporalio/worker';
import { shardFor } from '../../engine/util/hash.js';
import { engineOnFreshKeyspace, perWorkflow, statementCounts } from './statement-counts.js';
import * as activities from '../../test/temporal-sdk/activities.js';

const SHARDS = 4;

async function main(): Promise<void> {
  const n = Number(process.argv[2] ?? 20);
  const { engine, cassandra: c } = await engineOnFreshKeyspace('stampede_childmix', { numShards: SHARDS });
  const wc = await NativeConnection.connect({ address: engine.address });
  const worker = await Worker.create({
    connection: wc,
    taskQueue: 'mix',
    workflowBundle: await bundleWorkflowCode({
      workflowsPath: fileURLToPath(new URL('../../test/temporal-sdk/workflows.ts', import.meta.url)),
    }),
    activities,
  });
  const running = worker.run();
  const cc = await Connection.connect({ address: engine.address });
  const client = new Client({ connection: cc });
  const nsId = (await client.workflowService.describeNamespace({ namespace: 'default' })).namespaceInfo?.id ?? '';
  const otherShard = (parentId: string): string => {
    for (;;) {
      const id = `mix-child-${randomUUID().slice(0, 8)}`;
      if (shardFor(nsId, id, SHARDS) !== shardFor(nsId, parentId, SHARDS)) return id;
    }
  };
  const settle = () => new Promise((r) => setTimeout(r, 1500));
  try {
    // Warm-up: bundle, caches, task queues.
    await client.workflow.execute('greeting', { taskQueue: 'mix', workflowId: `warm-${randomUUID()}`, args: ['x'] });
    await settle();
    let before = statementCounts(engine);
    for (let i = 0; i < n; i++)
      await client.workflow.execute('greeting', { taskQueue: 'mix', workflowId: `hello-${randomUUID()}`, args: ['x'] });
    await settle();
    const hello = perWorkflow(before, statementCounts(engine), n);
    before = statementCounts(engine);
    for (let i = 0; i < n; i++) {
      const parentId = `mix-parent-${randomUUID().slice(0, 8)}`;
      await client.workflow.execute('parentThatAwaitsChild', {
        taskQueue: 'mix',
        workflowId: parentId,
        args: [otherShard(parentId)],
      });
    }
    await settle();
    const parent = perWorkflow(before, statementCounts(engine), n);
    const classes = [...new Set([...Object.keys(hello), ...Object.keys(parent)])].sort();
    const sum = (r: Record<string, number>) => Object.values(r).reduce((a, b) => a + b, 0);
    console.log(`statements per workflow on Cassandra ${c.releaseVersion}, N=${n} each, ${SHARDS} shards`);
    console.log(`${'class'.padEnd(32)} ${'hello'.padStart(8)} ${'parent+child'.padStart(14)}`);
    for (const k of classes)
      console.log(`${k.padEnd(32)} ${String(hello[k] ?? 0).padStart(8)} ${String(parent[k] ?? 0).padStart(14)}`);
    console.log(`${'total'.padEnd(32)} ${sum(hello).toFixed(2).padStart(8)} ${sum(parent).toFixed(2).padStart(14)}`);
  } finally {
    worker.shutdown();
    await running;
    await wc.close();
    await cc.close();
    await engine.stop();
    await c.stop();
  }
}

await main();
