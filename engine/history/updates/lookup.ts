/**
 * Finding an update of a run by id: in flight in the registry, or recorded in the run's `updateInfos` (accepted
 * before the engine restarted, or completed — its outcome read back from the UpdateCompleted event).
 */
import { toNumber } from '../../proto.js';
import type { ExecutionInfo, UpdateInfo } from '../../persistence/records.js';
import type { HistoryContext } from '../context.js';
import type { MutableState } from '../mutable-state.js';
import { cacheKeyOf } from '../transaction.js';
import { ACCEPTED_UPDATE_COMPLETED_WORKFLOW_FAILURE, PendingUpdate, type UpdateOutcome } from './registry.js';

export type FoundUpdate =
  | { kind: 'pending'; update: PendingUpdate }
  | { kind: 'outcome'; outcome: UpdateOutcome }
  | { kind: 'completed'; info: UpdateInfo; branch: { treeId: string; branchId: string; runKey: string } };

export function findUpdate(ctx: HistoryContext, ms: MutableState, updateId: string): FoundUpdate | undefined {
  const runKey = cacheKeyOf(ms.key);
  const pending = ctx.updates.find(runKey, updateId);
  if (pending) return { kind: 'pending', update: pending };
  const info = ms.info.updateInfos?.[updateId];
  if (!info) return undefined;
  if (info.completedEventId > 0) {
    return {
      kind: 'completed',
      info: { ...info },
      branch: { treeId: ms.info.treeId, branchId: ms.info.branchId, runKey },
    };
  }
  // Accepted, not completed, and not in memory: the engine restarted since. A closed run can no longer complete it.
  if (!ms.isRunning()) return { kind: 'outcome', outcome: { failure: ACCEPTED_UPDATE_COMPLETED_WORKFLOW_FAILURE } };
  const update = new PendingUpdate(updateId, ms.key, undefined);
  update.state = 'accepted';
  update.acceptedEventId = info.acceptedEventId;
  update.accepted.resolve(null);
  ctx.updates.add(update);
  return { kind: 'pending', update };
}

/** The outcome of a completed update, from its UpdateCompleted event (history cache first, then the store). */
export async function readCompletedOutcome(
  ctx: HistoryContext,
  found: Extract<FoundUpdate, { kind: 'completed' }>,
): Promise<UpdateOutcome> {
  const { info, branch } = found;
  const end = info.completedEventId + 1;
  const events =
    ctx.historyCache.range(branch.runKey, info.completedBatchId, end) ??
    (
      await ctx.persistence.executions.readHistoryBranch({
        treeId: branch.treeId,
        branchId: branch.branchId,
        minEventId: info.completedBatchId,
        maxEventId: end,
        pageSize: 1000,
        pageToken: undefined,
      })
    ).events;
  const event = events.find((e) => toNumber(e.eventId) === info.completedEventId);
  const outcome = event?.workflowExecutionUpdateCompletedEventAttributes?.outcome;
  if (!outcome) throw new Error(`UpdateCompleted event ${info.completedEventId} not found in history`);
  return outcome;
}

/** Updates this run completed or has accepted (the 2000-per-run limit counts both, with those in flight). */
export function recordedUpdateCount(info: ExecutionInfo): number {
  return Object.keys(info.updateInfos ?? {}).length;
}
