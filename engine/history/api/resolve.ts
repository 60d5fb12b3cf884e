/** Finds the run a request refers to: the given run id, or the workflow's current run. */
import { WorkflowNotFoundError } from '../../errors.js';
import type { WorkflowKey } from '../../persistence/records.js';
import type { HistoryContext } from '../context.js';
import type { Shard } from '../shard.js';
import type { MutableState } from '../mutable-state.js';

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

const MOVED = Symbol('moved');

/**
 * Runs `action` on the named run, or on the workflow's current run when no run id is given. Addressed by
 * workflow id only, the current run can change between reading the current row and taking the run's lock
 * (continue-as-new commits meanwhile): the action then follows the new current run, as Temporal's consistency
 * check does, instead of failing against the run that just closed.
 */
export async function updateCurrentOrNamedRun<T>(
  ctx: HistoryContext,
  namespaceId: string,
  workflowId: string,
  runId: string | null | undefined,
  action: (ms: MutableState) => T,
): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    const { shard, key } = await resolveRun(ctx, namespaceId, workflowId, runId);
    const follow = !runId && attempt < 5;
    const result = await ctx.tx.update(shard, key, (ms): T | typeof MOVED => {
      if (follow && !ms.isRunning()) return MOVED;
      return action(ms);
    });
    if (result !== MOVED) return result;
    const current = await ctx.persistence.executions.getCurrentExecution(shard.id, namespaceId, workflowId);
    // Still the same (closed) run: let the action see it and answer as it does for a closed run.
    if (current?.runId === key.runId) return ctx.tx.update(shard, key, action);
  }
}
