/**
 * ExecuteMultiOperation [Start, Update] (update-with-start), as Temporal's multioperation API: an update id already
 * completed on the current run answers from there; a running current run takes the update when the start is a
 * retry of the one that created it, the update id is in flight there, or the conflict policy is USE_EXISTING;
 * otherwise the workflow starts (with its id-reuse and conflict policies) and the update is admitted in the same
 * transaction, so the first workflow task carries it.
 */
import { MultiOperationError, UnavailableError } from '../../errors.js';
import { enums, type temporal, type Wire } from '../../proto.js';
import type { HistoryContext } from '../context.js';
import { admitUpdate } from '../updates/admit.js';
import { findUpdate, type FoundUpdate } from '../updates/lookup.js';
import type { UpdateRequest } from '../updates/registry.js';
import { startWorkflow, type StartParams } from './start-workflow.js';
import { stageOf } from './update-workflow.js';

type MultiResponse = Wire<temporal.api.workflowservice.v1.IExecuteMultiOperationResponse>;

const Conflict = enums.WorkflowIdConflictPolicy;
const Status = enums.WorkflowExecutionStatus;

export interface UpdateWithStartParams {
  start: StartParams;
  request: UpdateRequest;
  stage: number;
  deadlineMs: number | undefined;
  signal: AbortSignal;
}

interface Applied {
  found: FoundUpdate;
  runId: string;
  started: boolean;
  status: number;
}

export async function updateWithStart(ctx: HistoryContext, p: UpdateWithStartParams): Promise<MultiResponse> {
  const applied = await apply(ctx, p);
  let reached;
  try {
    reached = await stageOf(ctx, applied.found, p.stage, p.deadlineMs, p.signal);
  } catch (err) {
    // The start stands; only the update failed.
    throw new MultiOperationError([undefined, err instanceof Error ? err : new Error(String(err))]);
  }
  const workflowId = p.start.workflowId;
  return {
    responses: [
      { startWorkflow: { runId: applied.runId, started: applied.started, status: applied.status } },
      {
        updateWorkflow: {
          updateRef: {
            workflowExecution: { workflowId, runId: applied.runId },
            updateId: p.request.meta?.updateId ?? '',
          },
          stage: reached.stage,
          ...(reached.outcome ? { outcome: reached.outcome } : {}),
        },
      },
    ],
  };
}

async function apply(ctx: HistoryContext, p: UpdateWithStartParams): Promise<Applied> {
  const { start } = p;
  const nsId = start.namespace.id;
  const shard = ctx.shardFor(nsId, start.workflowId);
  const updateId = p.request.meta?.updateId ?? '';
  for (let attempt = 0; attempt < 5; attempt++) {
    const current = await ctx.persistence.executions.getCurrentExecution(shard.id, nsId, start.workflowId);
    if (current) {
      const key = { namespaceId: nsId, workflowId: start.workflowId, runId: current.runId };
      const existing = await ctx.tx
        .update(shard, key, (ms): Applied | undefined => {
          const applied = (found: FoundUpdate): Applied => ({
            found,
            runId: ms.info.runId,
            started: false,
            status: ms.info.status,
          });
          const found = findUpdate(ctx, ms, updateId);
          if (found && found.kind !== 'pending') return applied(found);
          const useExisting =
            found !== undefined ||
            ms.info.createRequestId === start.requestId ||
            start.conflictPolicy === Conflict.WORKFLOW_ID_CONFLICT_POLICY_USE_EXISTING;
          if (ms.isRunning() && useExisting) return applied(admitUpdate(ctx, ms, p.request));
          return undefined;
        })
        .catch((err: unknown) => {
          throw new MultiOperationError([null, err instanceof Error ? err : new Error(String(err))]);
        });
      if (existing) return existing;
    }
    let found: FoundUpdate | undefined;
    const result = await startWorkflow(ctx, {
      ...start,
      onCreate: (ms) => {
        found = admitUpdate(ctx, ms, p.request);
      },
    }).catch((err: unknown) => {
      throw new MultiOperationError([err instanceof Error ? err : new Error(String(err)), null]);
    });
    // Not created by this call (a concurrent start won): apply the update to the run that exists now.
    if (!result.started || !found) continue;
    return { found, runId: result.runId, started: true, status: Status.WORKFLOW_EXECUTION_STATUS_RUNNING };
  }
  throw new MultiOperationError([
    new UnavailableError('Workflow was not started: the workflow id kept changing hands'),
    null,
  ]);
}
