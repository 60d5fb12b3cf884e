/**
 * One event of a run's history, by id: from the event cache (events later operations need are cached as they
 * commit), else from the one history node that holds it (`batchId` is its first event id).
 */
import { toNumber, type IHistoryEvent } from '../proto.js';
import type { WorkflowKey } from '../persistence/records.js';
import type { HistoryContext } from './context.js';
import type { Shard } from './shard.js';
import { cacheKeyOf } from './transaction.js';

export async function readEvent(
  ctx: HistoryContext,
  runKey: string,
  branch: { treeId: string; branchId: string },
  batchId: number,
  eventId: number,
): Promise<IHistoryEvent | undefined> {
  const cacheKey = `${runKey}#${eventId}`;
  const cached = ctx.eventCache.get(cacheKey);
  if (cached) return cached;
  const page = await ctx.persistence.executions.readHistoryBranch({
    treeId: branch.treeId,
    branchId: branch.branchId,
    minEventId: batchId,
    maxEventId: eventId + 1,
    pageSize: 1,
    pageToken: undefined,
  });
  const event = page.events.find((e) => toNumber(e.eventId) === eventId);
  if (event) ctx.eventCache.set(cacheKey, event);
  return event;
}

/**
 * The run's WorkflowExecutionStarted when closing it may start the next run of its chain (a retry policy or a cron
 * schedule): that run is built from it. Read before the closing transaction (which cannot wait on the store).
 */
export async function startEventForNextRun(
  ctx: HistoryContext,
  shard: Shard,
  key: WorkflowKey,
): Promise<IHistoryEvent | undefined> {
  const ms = await ctx.tx.read(shard, key);
  if (!ms.isRunning() || (!ms.info.retryPolicy && !ms.info.cronSchedule)) return undefined;
  return readEvent(ctx, cacheKeyOf(key), ms.info, 1, 1);
}
