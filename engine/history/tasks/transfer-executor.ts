/**
 * Transfer tasks: dispatch workflow and activity tasks to matching. Each is checked against the run's state
 * first (a task re-read after a restart may be stale). A sticky queue whose worker is gone sends the
 * workflow task back to the normal queue (Temporal's StickyWorkerUnavailable path, no event written).
 */
import { StickyWorkerUnavailableError } from '../../errors.js';
import type { HistoryTask, WorkflowKey } from '../../persistence/records.js';
import type { HistoryContext } from '../context.js';
import type { TaskOutcome } from '../queues/task-runner.js';
import type { Shard } from '../shard.js';
import { isMissing } from './missing.js';
import { executeCrossShardTask, isCrossShardTask } from './cross-shard-executor.js';

export async function executeTransferTask(ctx: HistoryContext, shard: Shard, task: HistoryTask): Promise<TaskOutcome> {
  if (task.category !== 'transfer') return 'drop';
  const body = task.body;
  if (isCrossShardTask(body)) return executeCrossShardTask(ctx, shard, task, body);
  try {
    if (body.kind === 'workflow-task') {
      // Decided on committed state, under the run's lock (a read of the cached state could see an update in
      // flight — a workflow task about to start — and drop a task whose update then fails).
      const wt = await ctx.tx.inspect(shard, task.key, (ms) => {
        const w = ms.info.workflowTask;
        if (!ms.isRunning() || !w || w.scheduledEventId !== body.scheduledEventId || w.startedEventId > 0)
          return undefined;
        return { taskQueue: w.taskQueue, sticky: w.sticky, scheduledEventId: w.scheduledEventId, attempt: w.attempt };
      });
      if (!wt) return 'drop';
      try {
        await ctx.matching.addTask(task.key.namespaceId, wt.taskQueue, 'workflow', wt.sticky ? 'sticky' : 'normal', {
          namespaceId: task.key.namespaceId,
          workflowId: task.key.workflowId,
          runId: task.key.runId,
          scheduledEventId: wt.scheduledEventId,
          attempt: wt.attempt,
          createdTimeMs: ctx.clock.now(),
          expiryTimeMs: 0,
        });
      } catch (err) {
        if (!(err instanceof StickyWorkerUnavailableError)) throw err;
        await redispatchToNormalQueue(ctx, shard, task.key, body.scheduledEventId);
      }
      return 'done';
    }
    if (body.kind === 'activity-task') {
      const a = await ctx.tx.inspect(shard, task.key, (ms) => {
        const x = ms.activities.get(body.scheduledEventId);
        if (!ms.isRunning() || !x || x.attempt !== body.attempt || x.started) return undefined;
        return { taskQueue: x.taskQueue, scheduledEventId: x.scheduledEventId, attempt: x.attempt };
      });
      if (!a) return 'drop';
      await ctx.matching.addTask(task.key.namespaceId, a.taskQueue, 'activity', 'normal', {
        namespaceId: task.key.namespaceId,
        workflowId: task.key.workflowId,
        runId: task.key.runId,
        scheduledEventId: a.scheduledEventId,
        attempt: a.attempt,
        createdTimeMs: ctx.clock.now(),
        expiryTimeMs: 0,
      });
      return 'done';
    }
    return 'done';
  } catch (err) {
    if (isMissing(err)) return 'drop';
    throw err;
  }
}

/** Moves a not-yet-started sticky workflow task to the normal queue. */
export async function redispatchToNormalQueue(
  ctx: HistoryContext,
  shard: Shard,
  key: WorkflowKey,
  scheduledEventId: number,
): Promise<void> {
  await ctx.tx.update(shard, key, (ms) => {
    const wt = ms.info.workflowTask;
    if (!ms.isRunning() || !wt || wt.scheduledEventId !== scheduledEventId || wt.startedEventId > 0 || !wt.sticky)
      return;
    wt.sticky = false;
    wt.taskQueue = ms.info.taskQueue;
    ms.info.stickyTaskQueue = '';
    ms.touch();
    ms.addTransferTask({ kind: 'workflow-task', taskQueue: wt.taskQueue, scheduledEventId, sticky: false });
  });
}
