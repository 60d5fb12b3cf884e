/**
 * Measurement (not a test): the Cassandra statements of one Workflow Update beside those of one hello workflow, with
 * the real SDK worker and client against the engine on a fresh keyspace. Each figure is the engine's statement
 * counters' difference over N operations, divided by N (hello: N greeting workflows, start to result; update: N
 * executeUpdate calls on one idle workflow, each accepted and completed in one workflow task).
 *
 *   STAMPEDE_TEST_CASSANDRA=host:port node --import tsx tools/perf/update-statement-mix.ts [N]
 */
import { fileURLToPath } from 'node:url';
import { bundleWorkflowCode } from '@temporalio/worker';
import { installRuntime, sdkClient, sdkWorker } from '../../test/helpers/sdk.js';
import { engineOnFreshKeyspace, perWorkflow, statementCounts, type Counts } from './statement-counts.js';
import type * as workflows from './update-mix-workflows.js';

const N = Number(process.argv[2] ?? 20);

async function main(): Promise<void> {
  const { engine, cassandra } = await engineOnFreshKeyspace('stampede_mix');
  installRuntime();
  const workflowBundle = await bundleWorkflowCode({
    workflowsPath: fileURLToPath(new URL('./update-mix-workflows.ts', import.meta.url)),
  });
  const { worker, connection } = await sdkWorker(engine.address, 'mix', { workflowBundle });
  const running = worker.run();
  const { client, connection: cc } = await sdkClient(engine.address);
  try {
    // Warm up both paths (task queues leased, shards' caches filled).
    await client.workflow.execute<typeof workflows.greeting>('greeting', {
      taskQueue: 'mix',
      workflowId: 'warm',
      args: ['x'],
    });
    const h = await client.workflow.start<typeof workflows.counter>('counter', {
      taskQueue: 'mix',
      workflowId: 'c',
      args: [0],
    });
    await h.executeUpdate<number, [number]>('add', { args: [1] });

    let before = statementCounts(engine);
    for (let i = 0; i < N; i++)
      await client.workflow.execute<typeof workflows.greeting>('greeting', {
        taskQueue: 'mix',
        workflowId: `hello-${i}`,
        args: ['x'],
      });
    const hello = perWorkflow(before, statementCounts(engine), N);

    before = statementCounts(engine);
    for (let i = 0; i < N; i++) await h.executeUpdate<number, [number]>('add', { args: [1] });
    const update = perWorkflow(before, statementCounts(engine), N);

    const classes = [...new Set([...Object.keys(hello), ...Object.keys(update)])].sort();
    console.log(
      `statements per operation on Cassandra (N=${N} each, one engine, 4 shards, SDK worker with sticky queue)`,
    );
    console.log(`${'class'.padEnd(34)} ${'hello workflow'.padStart(15)} ${'one update'.padStart(12)}`);
    for (const c of classes)
      console.log(`${c.padEnd(34)} ${String(hello[c] ?? 0).padStart(15)} ${String(update[c] ?? 0).padStart(12)}`);
    const total = (x: Counts) =>
      Object.values(x)
        .reduce((a, b) => a + b, 0)
        .toFixed(2);
    console.log(`${'total'.padEnd(34)} ${total(hello).padStart(15)} ${total(update).padStart(12)}`);
    await h.terminate('measured');
  } finally {
    worker.shutdown();
    await running;
    await connection.close();
    await cc.close();
    await engine.stop();
    await cassandra.stop();
  }
}

await main();
