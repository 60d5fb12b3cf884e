/**
 * Timer tasks: user timers, activity and workflow-task timeouts, activity retry backoff, run timeouts and
 * retention. Each re-checks the run's state under its lock; a timer that no longer applies (the activity
 * finished, the attempt moved on) is dropped.
 */
import { TimeoutKind, type HistoryTask } from '../../persistence/records.js';
import type { HistoryContext } from '../context.js';
import type { TaskOutcome } from '../queues/task-runner.js';
import type { Shard } from '../shard.js';
import { cacheKeyOf } from '../transaction.js';
import { failActivityAttempt, retryActivity, timeoutFailure } from '../state/activities.js';
import { timeoutWorkflow } from '../state/close.js';
import { fireTimer } from '../state/timers.js';
import { scheduleWorkflowTask, timeoutWorkflowTask } from '../state/workflow-task.js';
import { startEventForNextRun } from '../event-reader.js';
import { isMissing } from './missing.js';

export async function executeTimerTask(ctx: HistoryContext, shard: Shard, task: HistoryTask): Promise<TaskOutcome> {
  if (task.category !== 'timer') return 'drop';
  const body = task.body;
  try {
    if (body.kind === 'delete-history') {
      await deleteRun(ctx, shard, task);
      return 'done';
    }
    const startEvent =
      body.kind === 'workflow-run-timeout' ? await startEventForNextRun(ctx, shard, task.key) : undefined;
    await ctx.tx.update(shard, task.key, (ms) => {
      if (!ms.isRunning()) return;
      switch (body.kind) {
        case 'user-timer': {
          for (const t of ms.timers.values()) {
            if (t.startedEventId === body.startedEventId && t.expiryTimeMs <= ms.nowMs) fireTimer(ms, t);
          }
          return;
        }
        case 'workflow-task-timeout': {
          const wt = ms.info.workflowTask;
          if (!wt || wt.scheduledEventId !== body.scheduledEventId || wt.attempt !== body.attempt) return;
          if (body.timeout === TimeoutKind.StartToClose && wt.startedEventId > 0)
            timeoutWorkflowTask(ms, wt, body.timeout);
          if (body.timeout === TimeoutKind.ScheduleToStart && wt.startedEventId === 0)
            timeoutWorkflowTask(ms, wt, body.timeout);
          return;
        }
        case 'activity-timeout': {
          const a = ms.activities.get(body.scheduledEventId);
          if (!a) return;
          // A deadline UpdateActivityOptions moved later is covered by the timer it armed, not by this one.
          // (Measured against this task's own fire time too, so a task is never judged early against its own deadline.)
          const now = Math.max(ms.nowMs, task.visibilityTimeMs);
          const due = (fromMs: number, timeoutMs: number): boolean => fromMs + timeoutMs * ms.timeScale <= now;
          if (body.timeout === TimeoutKind.ScheduleToClose) {
            if (due(a.scheduledTimeMs, a.scheduleToCloseTimeoutMs))
              failActivityAttempt(ms, a, timeoutFailure(a, body.timeout), '', { timeout: body.timeout });
            return;
          }
          if (a.attempt !== body.attempt) return;
          if (body.timeout === TimeoutKind.ScheduleToStart && !a.started) {
            failActivityAttempt(ms, a, timeoutFailure(a, body.timeout), '', { timeout: body.timeout });
          } else if (body.timeout === TimeoutKind.StartToClose && a.started) {
            if (!due(a.startedTimeMs, a.startToCloseTimeoutMs)) return;
            failActivityAttempt(ms, a, timeoutFailure(a, body.timeout), '', { timeout: body.timeout });
          } else if (body.timeout === TimeoutKind.Heartbeat && a.started) {
            const deadline = a.lastHeartbeatTimeMs + a.heartbeatTimeoutMs * ms.timeScale;
            if (deadline <= ms.nowMs) {
              failActivityAttempt(ms, a, timeoutFailure(a, body.timeout), '', { timeout: body.timeout });
            } else {
              // A heartbeat came in since: check again at the new deadline.
              ms.addTimerTask({ ...body }, deadline);
            }
          }
          return;
        }
        case 'activity-retry': {
          const a = ms.activities.get(body.scheduledEventId);
          if (a && a.attempt === body.attempt && !a.started && !a.pause) retryActivity(ms, a);
          return;
        }
        case 'workflow-run-timeout': {
          // The run's time counts from its execution time (after any start delay or backoff).
          const runExpiry =
            ms.info.workflowRunTimeoutMs > 0 ? ms.info.executionTimeMs + ms.info.workflowRunTimeoutMs : Infinity;
          const execExpiry = ms.info.executionExpirationTimeMs > 0 ? ms.info.executionExpirationTimeMs : Infinity;
          if (Math.min(runExpiry, execExpiry) <= ms.nowMs) timeoutWorkflow(ms, startEvent);
          return;
        }
        case 'workflow-backoff': {
          // The start delay, retry backoff or cron wait is over: the run's first workflow task.
          if (ms.info.pendingBackoff && !ms.hasPendingWorkflowTask()) scheduleWorkflowTask(ms);
          return;
        }
      }
    });
    return 'done';
  } catch (err) {
    if (isMissing(err)) return 'drop';
    throw err;
  }
}

/** Retention: the closed run's rows, history and visibility record go; the current row only if it is this run. */
async function deleteRun(ctx: HistoryContext, shard: Shard, task: HistoryTask): Promise<void> {
  const ms = await ctx.tx.read(shard, task.key);
  if (ms.isRunning()) return;
  await ctx.persistence.executions.deleteCurrentExecution(shard.id, task.key);
  await ctx.persistence.executions.deleteWorkflowExecution(shard.id, task.key);
  await ctx.persistence.executions.deleteHistoryBranch(ms.info.treeId, ms.info.branchId);
  ctx.visibility.delete(task.key.namespaceId, task.key.workflowId, task.key.runId);
  await ctx.persistence.visibility?.delete(task.key.namespaceId, task.key.workflowId, task.key.runId);
  shard.cache.delete(cacheKeyOf(task.key));
}
