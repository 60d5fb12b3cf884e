/** Visibility tasks: copy the run's current summary into the visibility store. */
import type { ExecutionInfo, HistoryTask } from '../../persistence/records.js';
import type { VisibilityRecord } from '../../visibility/visibility-store.js';
import type { HistoryContext } from '../context.js';
import type { TaskOutcome } from '../queues/task-runner.js';
import type { Shard } from '../shard.js';
import { isMissing } from './missing.js';

export async function executeVisibilityTask(
  ctx: HistoryContext,
  shard: Shard,
  task: HistoryTask,
): Promise<TaskOutcome> {
  if (task.category !== 'visibility') return 'drop';
  try {
    const ms = await ctx.tx.read(shard, task.key);
    const record = visibilityRecordOf(ms.info);
    ctx.visibility.upsert(record);
    // Where the store keeps visibility (PostgreSQL), the task is done once it is written there.
    await ctx.persistence.visibility?.upsert(record);
    return 'done';
  } catch (err) {
    if (isMissing(err)) return 'drop';
    throw err;
  }
}

export function visibilityRecordOf(i: ExecutionInfo): VisibilityRecord {
  return {
    namespaceId: i.namespaceId,
    workflowId: i.workflowId,
    runId: i.runId,
    workflowType: i.workflowType,
    taskQueue: i.taskQueue,
    status: i.status,
    startTimeMs: i.startTimeMs,
    executionTimeMs: i.executionTimeMs,
    closeTimeMs: i.closeTimeMs,
    historyLength: i.nextEventId - 1,
    historySizeBytes: i.historySizeBytes,
    firstRunId: i.firstRunId,
    searchAttributes: { ...i.searchAttributes },
    memo: { ...i.memo },
  };
}
