/**
 * QueryWorkflow and RespondQueryTaskCompleted. A query for a run whose workflow task is pending rides on the
 * task that starts next; otherwise it is sent to a poller of the normal queue as a query task (full history,
 * nothing written). Queries are answered within the caller's deadline or fail with DEADLINE_EXCEEDED.
 */
import { EngineError } from '../../errors.js';
import { enums, type temporal, type Wire } from '../../proto.js';
import type { MatchingTask } from '../../persistence/records.js';
import type { HistoryContext } from '../context.js';
import type { QueryOutcome } from '../queries.js';
import { encodeTaskToken } from '../task-token.js';
import { cacheKeyOf } from '../transaction.js';
import { resolveRun } from './resolve.js';

type QueryResponse = temporal.api.workflowservice.v1.IQueryWorkflowResponse;

class QueryFailedError extends EngineError {
  constructor(message: string) {
    super('QUERY_FAILED', message);
    this.name = 'QueryFailedError';
  }
}

const Reject = enums.QueryRejectCondition;
const Status = enums.WorkflowExecutionStatus;

export async function queryWorkflow(
  ctx: HistoryContext,
  p: {
    namespaceId: string;
    workflowId: string;
    runId: string;
    query: temporal.api.query.v1.IWorkflowQuery;
    rejectCondition: number;
    deadlineMs: number | undefined;
    signal: AbortSignal;
  },
): Promise<QueryResponse> {
  const { shard, key } = await resolveRun(ctx, p.namespaceId, p.workflowId, p.runId);
  const runKey = cacheKeyOf(key);
  const timeoutMs = Math.min(ctx.config.longPollTimeoutMs, (p.deadlineMs ?? Infinity) - Date.now() - 500);
  // Decide under the workflow lock (no write): either the pending task will carry it, or a query task goes now.
  const decision = await ctx.tx.update(shard, key, (ms) => {
    const status = ms.info.status;
    if (
      (p.rejectCondition === Reject.QUERY_REJECT_CONDITION_NOT_OPEN &&
        status !== Status.WORKFLOW_EXECUTION_STATUS_RUNNING) ||
      (p.rejectCondition === Reject.QUERY_REJECT_CONDITION_NOT_COMPLETED_CLEANLY &&
        status !== Status.WORKFLOW_EXECUTION_STATUS_RUNNING &&
        status !== Status.WORKFLOW_EXECUTION_STATUS_COMPLETED)
    ) {
      return { rejected: status };
    }
    const { id, result } = ctx.queries.add(runKey, p.query);
    const direct = !ms.isRunning() || !ms.hasPendingWorkflowTask();
    return { id, result, direct, taskQueue: ms.info.taskQueue };
  });
  if ('rejected' in decision) return { queryRejected: { status: decision.rejected } };
  const { id, result } = decision;
  if (decision.direct) dispatchQueryTask(ctx, key, id, decision.taskQueue, timeoutMs);
  const outcome = await withDeadline(result, timeoutMs, p.signal, () =>
    ctx.queries.fail(id, new EngineError('DEADLINE_EXCEEDED', 'query timed out')),
  );
  if (outcome.errorMessage !== undefined || outcome.failure) {
    throw new QueryFailedError(outcome.errorMessage || outcome.failure?.message || 'query failed');
  }
  return { queryResult: outcome.answer ?? null };
}

function withDeadline(
  result: Promise<QueryOutcome>,
  timeoutMs: number,
  signal: AbortSignal,
  onTimeout: () => void,
): Promise<QueryOutcome> {
  if (timeoutMs <= 0) {
    onTimeout();
    return result;
  }
  const timer = setTimeout(onTimeout, timeoutMs);
  const abort = (): void => onTimeout();
  signal.addEventListener('abort', abort, { once: true });
  return result.finally(() => {
    clearTimeout(timer);
    signal.removeEventListener('abort', abort);
  });
}

/** Sends a waiting query to a poller as a query task; fails it if none takes it in time. */
export function dispatchQueryTask(
  ctx: HistoryContext,
  key: { namespaceId: string; workflowId: string; runId: string },
  queryId: string,
  taskQueue: string,
  timeoutMs: number,
): void {
  ctx.queries.markDispatched(queryId);
  const task: Omit<MatchingTask, 'taskId'> = {
    namespaceId: key.namespaceId,
    workflowId: key.workflowId,
    runId: key.runId,
    scheduledEventId: 0,
    attempt: 0,
    createdTimeMs: ctx.clock.now(),
    expiryTimeMs: 0,
    queryId,
  };
  void ctx.matching.offerQueryTask(key.namespaceId, taskQueue, 'normal', task, Math.max(0, timeoutMs)).then((taken) => {
    if (!taken)
      ctx.queries.fail(
        queryId,
        new EngineError('DEADLINE_EXCEEDED', 'query timed out: no worker polled the task queue'),
      );
  });
}

/** The poll response for a query task: full history and the query, no new events. */
export async function queryTaskResponse(
  ctx: HistoryContext,
  task: MatchingTask,
): Promise<Wire<temporal.api.workflowservice.v1.IPollWorkflowTaskQueueResponse> | undefined> {
  const q = ctx.queries.get(task.queryId ?? '');
  if (!q) return undefined;
  const shard = ctx.shardFor(task.namespaceId, task.workflowId);
  const key = { namespaceId: task.namespaceId, workflowId: task.workflowId, runId: task.runId };
  const ms = await ctx.tx.read(shard, key);
  const page = await ctx.persistence.executions.readHistoryBranch({
    treeId: ms.info.treeId,
    branchId: ms.info.branchId,
    minEventId: 1,
    maxEventId: ms.info.nextEventId,
    pageSize: 1_000_000,
    pageToken: undefined,
  });
  return {
    taskToken: encodeTaskToken({ k: 'q', ns: task.namespaceId, wid: task.workflowId, rid: task.runId, qid: q.id }),
    workflowExecution: { workflowId: task.workflowId, runId: task.runId },
    workflowType: { name: ms.info.workflowType },
    // As Temporal's matching fills a query task: the last completed task's started event tells the SDK where
    // replay ends. Without it the SDK takes the whole history as new work and, meeting a local activity's marker
    // after it requested the activity itself, fails the query ("Invalid transition resolving local activity").
    previousStartedEventId: ms.info.lastCompletedWorkflowTaskStartedEventId,
    startedEventId: 0,
    attempt: 1,
    history: { events: page.events },
    query: q.query,
    workflowExecutionTaskQueue: { name: ms.info.taskQueue, kind: enums.TaskQueueKind.TASK_QUEUE_KIND_NORMAL },
  };
}

export function respondQueryTaskCompleted(
  ctx: HistoryContext,
  queryId: string,
  completedType: number,
  result: temporal.api.common.v1.IPayloads | null | undefined,
  errorMessage: string,
  failure: temporal.api.failure.v1.IFailure | null | undefined,
): void {
  const answered = completedType === enums.QueryResultType.QUERY_RESULT_TYPE_ANSWERED;
  ctx.queries.complete(
    queryId,
    answered ? { answer: result ?? null } : { errorMessage: errorMessage || 'query failed', failure: failure ?? null },
  );
}
