/**
 * A store keeps the history shard count it was set up with: a workflow's shard is its id's hash modulo the count,
 * so an engine started on it with another `--shards` would strand every workflow already stored. Temporal refuses a
 * changed count; so does the engine, with one clear line, on both shared backends.
 */
import { describe, expect, it } from 'vitest';
import { EngineOptionsError } from '../engine/options.js';
import { testEngine } from './helpers/engine.js';

describe.each(['cassandra', 'postgres'] as const)('the shard count of a %s store', (store) => {
  it('is recorded by the first engine; another count is refused before anything is written, the same count starts', async () => {
    const first = await testEngine({ store, numShards: 4 });
    const again = { keyspace: first.keyspace, postgres: first.postgres };
    const started = await first.client.call('StartWorkflowExecution', {
      namespace: 'default',
      workflowId: 'kept',
      workflowType: { name: 'w' },
      taskQueue: { name: 'q' },
      requestId: 'r1',
    });
    expect(started.runId).toBeTruthy();
    await first.close();

    const refused = await testEngine({ store, numShards: 8, ...again }).then(
      async (t) => {
        await t.close();
        return undefined;
      },
      (err: unknown) => err,
    );
    expect(refused).toBeInstanceOf(EngineOptionsError);
    expect(String((refused as Error).message)).toMatch(/set up with 4 history shards, not 8: .*run with --shards 4/);

    const same = await testEngine({ store, numShards: 4, ...again });
    try {
      const d = await same.client.call('DescribeWorkflowExecution', {
        namespace: 'default',
        execution: { workflowId: 'kept' },
      });
      expect(d.workflowExecutionInfo?.execution?.runId).toBe(started.runId);
    } finally {
      await same.close();
    }
  });
});
