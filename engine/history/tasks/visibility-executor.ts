/** Visibility tasks: copy the run's current summary into the visibility store. */
import type { HistoryTask } from '../../persistence/records.js';
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
    const i = ms.info;
    ctx.visibility.upsert({
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
    });
    return 'done';
  } catch (err) {
    if (isMissing(err)) return 'drop';
    throw err;
  }
}
