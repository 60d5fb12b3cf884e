/**
 * RecordWorkflowTaskStarted (matching -> history): writes WorkflowTaskStarted for a task a poller took and
 * returns the poll response. `undefined` means the task is stale and matching should drop it. A query task
 * writes nothing: it carries the history and the query.
 */
import type { MatchingTask } from '../../persistence/records.js';
import type { temporal, Wire } from '../../proto.js';
import type { HistoryContext } from '../context.js';
import { StaleTaskError } from '../errors.js';
import { startWorkflowTask, transientEvents } from '../state/workflow-task.js';
import { cacheKeyOf } from '../transaction.js';
import { deliverUpdates } from '../updates/deliver.js';
import { queryTaskResponse } from './query-workflow.js';
import { workflowTaskResponse, type WorkflowTaskView } from './workflow-task-response.js';
import { isMissing } from '../tasks/missing.js';

type PollResponse = Wire<temporal.api.workflowservice.v1.IPollWorkflowTaskQueueResponse>;

export async function recordWorkflowTaskStarted(
  ctx: HistoryContext,
  task: MatchingTask,
  poll: { identity: string; requestId: string; backlogCountHint: number },
): Promise<PollResponse | undefined> {
  if (task.queryId) return queryTaskResponse(ctx, task);
  const shard = ctx.shardFor(task.namespaceId, task.workflowId);
  const key = { namespaceId: task.namespaceId, workflowId: task.workflowId, runId: task.runId };
  let view: WorkflowTaskView;
  try {
    view = await ctx.tx.update(shard, key, (ms) => {
      const { wt } = startWorkflowTask(ms, task.scheduledEventId, poll.requestId, poll.identity);
      return {
        info: { ...ms.info },
        wt: { ...wt },
        previousStartedEventId: ms.info.lastCompletedWorkflowTaskStartedEventId,
        transient: transientEvents(ms),
        messages: deliverUpdates(ctx, ms, wt.startedEventId, true),
      };
    });
  } catch (err) {
    if (err instanceof StaleTaskError || isMissing(err)) return undefined;
    throw err;
  }
  const queries = ctx.queries.attach(cacheKeyOf(key), view.wt.startedEventId);
  return workflowTaskResponse(ctx, view, queries, poll.backlogCountHint);
}
