/**
 * Builds a PollWorkflowTaskQueueResponse: full history for the normal queue (first page; the SDK pages the
 * rest), only the events after the previous started event for a sticky queue, plus the pending pair of a
 * transient attempt.
 */
import { enums, timestampFromMs, toNumber, type IHistoryEvent, type temporal, type Wire } from '../../proto.js';
import type { ExecutionInfo, WorkflowTaskInfo } from '../../persistence/records.js';
import type { HistoryContext } from '../context.js';
import type { ProtocolMessage } from '../updates/protocol.js';
import { encodeTaskToken } from '../task-token.js';
import { cacheKeyOf } from '../transaction.js';

type PollResponse = Wire<temporal.api.workflowservice.v1.IPollWorkflowTaskQueueResponse>;

export interface WorkflowTaskView {
  info: ExecutionInfo;
  wt: WorkflowTaskInfo;
  previousStartedEventId: number;
  transient: IHistoryEvent[];
  /** The run's whole history when the caller holds it (a run created in this call): no read back. */
  events?: IHistoryEvent[];
  /** Workflow update requests delivered with this task. */
  messages?: ProtocolMessage[];
}

export async function workflowTaskResponse(
  ctx: HistoryContext,
  view: WorkflowTaskView,
  queries: Record<string, temporal.api.query.v1.IWorkflowQuery> | undefined,
  backlogCountHint: number,
): Promise<PollResponse> {
  const { info, wt } = view;
  const persistedEnd = wt.transient ? wt.scheduledEventId : wt.startedEventId + 1;
  const first = wt.sticky && view.previousStartedEventId > 0 ? view.previousStartedEventId + 1 : 1;
  const stored =
    view.events ??
    (persistedEnd - first <= ctx.config.historyPageSize
      ? ctx.historyCache.range(cacheKeyOf(info), first, persistedEnd)
      : undefined) ??
    (
      await ctx.persistence.executions.readHistoryBranch({
        treeId: info.treeId,
        branchId: info.branchId,
        minEventId: first,
        maxEventId: persistedEnd,
        pageSize: ctx.config.historyPageSize,
        pageToken: undefined,
      })
    ).events;
  const events = stored.filter((e) => toNumber(e.eventId) >= first && toNumber(e.eventId) < persistedEnd);
  const last = events[events.length - 1];
  const complete = persistedEnd <= first || (last !== undefined && toNumber(last.eventId) === persistedEnd - 1);
  let nextPageToken: Uint8Array | undefined;
  if (complete) {
    events.push(...view.transient);
  } else {
    // The rest comes through GetWorkflowExecutionHistory, which appends a transient attempt's events to the last page.
    nextPageToken = Buffer.from(
      JSON.stringify({
        runId: info.runId,
        next: (last ? toNumber(last.eventId) : first - 1) + 1,
        tw: view.transient.length > 0,
      }),
      'utf8',
    );
  }
  return {
    taskToken: encodeTaskToken({
      k: 'w',
      ns: info.namespaceId,
      wid: info.workflowId,
      rid: info.runId,
      sid: wt.scheduledEventId,
      tid: wt.startedEventId,
      a: wt.attempt,
    }),
    workflowExecution: { workflowId: info.workflowId, runId: info.runId },
    workflowType: { name: info.workflowType },
    previousStartedEventId: view.previousStartedEventId,
    startedEventId: wt.startedEventId,
    attempt: wt.attempt,
    backlogCountHint,
    history: { events },
    ...(nextPageToken ? { nextPageToken } : {}),
    workflowExecutionTaskQueue: { name: info.taskQueue, kind: enums.TaskQueueKind.TASK_QUEUE_KIND_NORMAL },
    scheduledTime: timestampFromMs(wt.scheduledTimeMs),
    startedTime: timestampFromMs(wt.startedTimeMs),
    ...(queries ? { queries } : {}),
    ...(view.messages?.length ? { messages: view.messages } : {}),
  };
}
