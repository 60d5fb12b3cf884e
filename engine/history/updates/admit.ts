/**
 * Admitting an update to a run (Temporal's Updater.ApplyRequest, under the run's lock): deduplication by update
 * id, the run's state and limits, then a place in the registry. The request reaches the worker on the next
 * workflow task; a run with none pending gets a normal one (Temporal's would be speculative, written only if the
 * update is accepted — the reference engine writes its WorkflowTaskScheduled event at once).
 */
import { EngineError, NotFoundError } from '../../errors.js';
import type { HistoryContext } from '../context.js';
import { WorkflowCompletedError } from '../errors.js';
import type { MutableState } from '../mutable-state.js';
import { scheduleWorkflowTask } from '../state/workflow-task.js';
import { findUpdate, recordedUpdateCount, type FoundUpdate } from './lookup.js';
import { PendingUpdate, type UpdateRequest } from './registry.js';

/** Temporal's history.maxInFlightUpdates and history.maxTotalUpdates. */
export const MAX_IN_FLIGHT_UPDATES = 10;
export const MAX_TOTAL_UPDATES = 2000;

export function admitUpdate(
  ctx: HistoryContext,
  ms: MutableState,
  request: UpdateRequest,
  firstExecutionRunId = '',
): FoundUpdate {
  if (firstExecutionRunId && ms.info.firstRunId !== firstExecutionRunId)
    throw new NotFoundError('workflow execution not found');
  const updateId = request.meta?.updateId ?? '';
  const found = findUpdate(ctx, ms, updateId);
  if (found) return found;
  if (!ms.isRunning()) throw new WorkflowCompletedError();
  if ((ms.info.workflowTask?.attempt ?? 0) >= 3) {
    throw new EngineError(
      'WORKFLOW_NOT_READY',
      'Unable to perform workflow execution update due to Workflow Task in failed state.',
    );
  }
  const inFlight = ctx.updates.inFlight(`${ms.info.namespaceId}/${ms.info.workflowId}/${ms.info.runId}`);
  if (inFlight.length >= MAX_IN_FLIGHT_UPDATES) {
    throw new EngineError(
      'RESOURCE_EXHAUSTED',
      `limit on number of concurrent in-flight updates has been reached (${MAX_IN_FLIGHT_UPDATES})`,
    );
  }
  const unrecorded = inFlight.filter((u) => u.state !== 'accepted').length;
  if (unrecorded + recordedUpdateCount(ms.info) >= MAX_TOTAL_UPDATES) {
    throw new EngineError(
      'FAILED_PRECONDITION',
      `The limit on the total number of distinct updates in this workflow has been reached (${MAX_TOTAL_UPDATES}). Make sure any duplicate updates share an Update ID so the server can deduplicate them, and consider rejecting updates that you aren't going to process. You can also Continue-as-New to avoid this; we recommend you check Continue-as-New Suggested in your Workflow.`,
    );
  }
  const update = new PendingUpdate(updateId, ms.key, request);
  ms.onCommit(() => ctx.updates.add(update));
  if (!ms.hasPendingWorkflowTask()) scheduleWorkflowTask(ms);
  return { kind: 'pending', update };
}
