/**
 * The history operations a parent and its child call on each other's shard (Temporal's ScheduleWorkflowTask and
 * RecordChildExecutionCompleted): each is one transaction on the target run, fenced by the target shard's range.
 */
import { NotFoundError } from '../../errors.js';
import type { IHistoryEvent } from '../../proto.js';
import type { WorkflowKey } from '../../persistence/records.js';
import type { HistoryContext } from '../context.js';
import { WorkflowCompletedError } from '../errors.js';
import { recordChildClosed, recordChildStarted } from '../state/children.js';
import { scheduleWorkflowTask } from '../state/workflow-task.js';

/** A child's first workflow task, once its parent has recorded it as started (no-op if it has or had one). */
export async function scheduleFirstWorkflowTask(ctx: HistoryContext, key: WorkflowKey): Promise<void> {
  const shard = ctx.shardFor(key.namespaceId, key.workflowId);
  await ctx.tx.update(shard, key, (ms) => {
    if (!ms.isRunning() || ms.info.pendingBackoff || ms.hasPendingWorkflowTask()) return;
    if (ms.info.lastCompletedWorkflowTaskStartedEventId > 0) return;
    scheduleWorkflowTask(ms);
  });
}

export interface ChildCompletedRequest {
  parent: WorkflowKey;
  initiatedEventId: number;
  child: { workflowId: string; runId: string; firstRunId: string };
  /** The child's close event. */
  closeEvent: IHistoryEvent;
}

/** Records a child's close on its parent. NotFound when the parent closed or no longer waits for that child. */
export async function recordChildExecutionCompleted(ctx: HistoryContext, req: ChildCompletedRequest): Promise<void> {
  const shard = ctx.shardFor(req.parent.namespaceId, req.parent.workflowId);
  await ctx.tx.update(shard, req.parent, (ms) => {
    if (!ms.isRunning()) throw new WorkflowCompletedError();
    const ci = ms.info.children[String(req.initiatedEventId)];
    if (!ci) throw new NotFoundError('Pending child execution not found.');
    if (ci.startedEventId === 0) recordChildStarted(ms, ci, req.child.firstRunId);
    if (ci.workflowId !== req.child.workflowId || ci.startedRunId !== req.child.firstRunId)
      throw new NotFoundError('Pending child execution not found.');
    recordChildClosed(ms, ci, req.child.runId, req.closeEvent);
  });
}
