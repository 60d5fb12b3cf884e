/** Finds the run a request refers to: the given run id, or the workflow's current run. */
import { WorkflowNotFoundError } from '../../errors.js';
import type { WorkflowKey } from '../../persistence/records.js';
import type { HistoryContext } from '../context.js';
import type { Shard } from '../shard.js';

export async function resolveRun(
  ctx: HistoryContext,
  namespaceId: string,
  workflowId: string,
  runId: string | null | undefined,
): Promise<{ shard: Shard; key: WorkflowKey }> {
  const shard = ctx.shardFor(namespaceId, workflowId);
  if (runId) return { shard, key: { namespaceId, workflowId, runId } };
  const current = await ctx.persistence.executions.getCurrentExecution(shard.id, namespaceId, workflowId);
  if (!current) throw new WorkflowNotFoundError(workflowId);
  return { shard, key: { namespaceId, workflowId, runId: current.runId } };
}
