/**
 * UpdateWorkflowExecution and PollWorkflowExecutionUpdate: admit (or find) the update under the run's lock, then
 * wait outside it for the stage the caller asked for, answering with the stage reached when the wait runs out.
 */
import { NotFoundError } from '../../errors.js';
import { enums, type temporal, type Wire } from '../../proto.js';
import type { HistoryContext } from '../context.js';
import { admitUpdate } from '../updates/admit.js';
import { findUpdate, readCompletedOutcome, type FoundUpdate } from '../updates/lookup.js';
import type { UpdateRequest } from '../updates/registry.js';
import { softDeadline, UPDATE_LONG_POLL_MS, waitForStage, type StageReached } from '../updates/wait.js';
import { updateCurrentOrNamedRun } from './resolve.js';

type UpdateResponse = Wire<temporal.api.workflowservice.v1.IUpdateWorkflowExecutionResponse>;
type PollResponse = Wire<temporal.api.workflowservice.v1.IPollWorkflowExecutionUpdateResponse>;

const Stage = enums.UpdateWorkflowExecutionLifecycleStage;

export interface UpdateParams {
  namespaceId: string;
  workflowId: string;
  runId: string;
  firstExecutionRunId: string;
  request: UpdateRequest;
  stage: number;
  deadlineMs: number | undefined;
  signal: AbortSignal;
}

/** Waits for the stage on whatever form the update was found in. */
export async function stageOf(
  ctx: HistoryContext,
  found: FoundUpdate,
  stage: number,
  deadlineMs: number | undefined,
  signal: AbortSignal,
): Promise<StageReached> {
  switch (found.kind) {
    case 'outcome':
      return { stage: Stage.UPDATE_WORKFLOW_EXECUTION_LIFECYCLE_STAGE_COMPLETED, outcome: found.outcome };
    case 'completed':
      return {
        stage: Stage.UPDATE_WORKFLOW_EXECUTION_LIFECYCLE_STAGE_COMPLETED,
        outcome: await readCompletedOutcome(ctx, found),
      };
    case 'pending': {
      const wait = Math.min(UPDATE_LONG_POLL_MS, ctx.config.longPollTimeoutMs);
      return waitForStage(found.update, stage, softDeadline(deadlineMs, wait), signal);
    }
  }
}

export async function updateWorkflow(ctx: HistoryContext, p: UpdateParams): Promise<UpdateResponse> {
  const { found, runId } = await updateCurrentOrNamedRun(ctx, p.namespaceId, p.workflowId, p.runId, (ms) => ({
    found: admitUpdate(ctx, ms, p.request, p.firstExecutionRunId),
    runId: ms.info.runId,
  }));
  const reached = await stageOf(ctx, found, p.stage, p.deadlineMs, p.signal);
  return {
    updateRef: { workflowExecution: { workflowId: p.workflowId, runId }, updateId: p.request.meta?.updateId ?? '' },
    stage: reached.stage,
    ...(reached.outcome ? { outcome: reached.outcome } : {}),
  };
}

export interface PollUpdateParams {
  namespaceId: string;
  workflowId: string;
  runId: string;
  updateId: string;
  stage: number;
  deadlineMs: number | undefined;
  signal: AbortSignal;
}

export async function pollWorkflowExecutionUpdate(ctx: HistoryContext, p: PollUpdateParams): Promise<PollResponse> {
  const { found, runId } = await updateCurrentOrNamedRun(ctx, p.namespaceId, p.workflowId, p.runId, (ms) => ({
    found: findUpdate(ctx, ms, p.updateId),
    runId: ms.info.runId,
  }));
  if (!found) throw new NotFoundError(`update "${p.updateId}" not found`);
  const reached = await stageOf(ctx, found, p.stage, p.deadlineMs, p.signal);
  return {
    updateRef: { workflowExecution: { workflowId: p.workflowId, runId }, updateId: p.updateId },
    stage: reached.stage,
    ...(reached.outcome ? { outcome: reached.outcome } : {}),
  };
}
