/**
 * ResetWorkflowExecution: a new run of the workflow from a workflow task's end in an earlier run (see
 * state/reset.ts), made current; the current run, if still running, is terminated first (as a start with
 * TERMINATE_EXISTING does here). A retried request (same request id) answers with the run it created.
 */
import { randomUUID } from 'node:crypto';
import { InvalidArgumentError } from '../../errors.js';
import { WorkflowState } from '../../persistence/records.js';
import type { HistoryContext } from '../context.js';
import { terminateWorkflow } from '../state/close.js';
import { resetRun } from '../state/reset.js';
import { resolveRun } from './resolve.js';

export interface ResetWorkflowParams {
  namespaceId: string;
  workflowId: string;
  runId: string;
  finishEventId: number;
  requestId: string;
  reason: string;
  identity: string;
}

export async function resetWorkflow(ctx: HistoryContext, p: ResetWorkflowParams): Promise<{ runId: string }> {
  const { shard, key } = await resolveRun(ctx, p.namespaceId, p.workflowId, p.runId);
  const executions = ctx.persistence.executions;
  const current = await executions.getCurrentExecution(shard.id, p.namespaceId, p.workflowId);
  if (current && current.createRequestId === p.requestId) return { runId: current.runId };
  const base = structuredClone((await ctx.tx.read(shard, key)).info);
  if (!(p.finishEventId > 1 && p.finishEventId < base.nextEventId))
    throw new InvalidArgumentError('Workflow task finish ID must be > 1 && <= workflow last event ID.');
  const page = await executions.readHistoryBranch({
    treeId: base.treeId,
    branchId: base.branchId,
    minEventId: 1,
    maxEventId: base.nextEventId,
    pageSize: 1_000_000,
    pageToken: undefined,
  });
  const runId = randomUUID();
  const ms = resetRun({
    base,
    events: page.events,
    finishEventId: p.finishEventId,
    newRunId: runId,
    requestId: p.requestId,
    reason: p.reason,
    identity: p.identity,
    nowMs: ctx.clock.now(),
    timeScale: ctx.clock.timeScale,
  });
  if (current && current.state !== WorkflowState.Completed) {
    await ctx.tx.update(shard, { ...key, runId: current.runId }, (run) => {
      if (run.isRunning()) terminateWorkflow(run, p.reason, undefined, 'history-resetter');
    });
  }
  await ctx.tx.create(
    shard,
    ms,
    current ? { kind: 'reuse-closed', previousRunId: current.runId } : { kind: 'brand-new' },
  );
  return { runId };
}
