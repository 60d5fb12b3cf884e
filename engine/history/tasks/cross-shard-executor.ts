/**
 * Transfer tasks whose work is on another run, possibly on another shard, as Temporal's transfer executor does it:
 * read what the task needs from this run (under its lock, committed state only), call the target through the
 * history client (a transaction on the target's shard), then record the outcome back on this run (a transaction
 * on this shard). Each step is fenced by its own shard's range id; a step that finds its run or entry gone drops
 * the task (NotFound), and anything else is retried by the queue.
 */
import { randomUUID } from 'node:crypto';
import { NotFoundError, WorkflowAlreadyStartedError } from '../../errors.js';
import { enums, type IHistoryEvent } from '../../proto.js';
import type { ChildExecutionInfo, ExternalRequestInfo, HistoryTask, ParentInfo } from '../../persistence/records.js';
import type { HistoryContext } from '../context.js';
import { readEvent } from '../event-reader.js';
import type { TaskOutcome } from '../queues/task-runner.js';
import type { Shard } from '../shard.js';
import { cacheKeyOf } from '../transaction.js';
import {
  recordChildStartFailed,
  recordChildStarted,
  recordExternalCancel,
  recordExternalSignal,
  type ExternalTarget,
} from '../state/children.js';
import { isMissing } from './missing.js';

const HISTORY_SERVICE = 'history-service';
const SignalCause = enums.SignalExternalWorkflowExecutionFailedCause;
const CancelCause = enums.CancelExternalWorkflowExecutionFailedCause;

type Body = Extract<HistoryTask, { category: 'transfer' }>['body'];

export function isCrossShardTask(body: Body): boolean {
  return (
    body.kind === 'start-child' ||
    body.kind === 'signal-external' ||
    body.kind === 'cancel-external' ||
    body.kind === 'close-execution'
  );
}

export async function executeCrossShardTask(
  ctx: HistoryContext,
  shard: Shard,
  task: HistoryTask,
  body: Body,
): Promise<TaskOutcome> {
  try {
    if (body.kind === 'start-child') await startChild(ctx, shard, task, body.initiatedEventId);
    else if (body.kind === 'signal-external') await signalExternal(ctx, shard, task, body.initiatedEventId);
    else if (body.kind === 'cancel-external') await cancelExternal(ctx, shard, task, body.initiatedEventId);
    else if (body.kind === 'close-execution') await closeExecution(ctx, shard, task);
    return 'done';
  } catch (err) {
    if (isMissing(err)) return 'drop';
    throw err;
  }
}

interface RunView {
  running: boolean;
  info: {
    namespaceId: string;
    workflowId: string;
    runId: string;
    firstRunId: string;
    treeId: string;
    branchId: string;
    parent: ParentInfo | null;
    rootWorkflowId: string;
    rootRunId: string;
    retentionMs: number;
    newRunId: string;
    completionEventId: number;
    lastFirstEventId: number;
  };
}

function view<T>(ms: { isRunning(): boolean; info: RunView['info'] }, extra: T): RunView & T {
  const i = ms.info;
  return {
    running: ms.isRunning(),
    info: {
      namespaceId: i.namespaceId,
      workflowId: i.workflowId,
      runId: i.runId,
      firstRunId: i.firstRunId,
      treeId: i.treeId,
      branchId: i.branchId,
      parent: i.parent,
      rootWorkflowId: i.rootWorkflowId,
      rootRunId: i.rootRunId,
      retentionMs: i.retentionMs,
      newRunId: i.newRunId,
      completionEventId: i.completionEventId,
      lastFirstEventId: i.lastFirstEventId,
    },
    ...extra,
  };
}

async function initiatedEvent(
  ctx: HistoryContext,
  task: HistoryTask,
  v: RunView,
  entry: { initiatedEventBatchId: number; initiatedEventId: number },
): Promise<IHistoryEvent> {
  const e = await readEvent(ctx, cacheKeyOf(task.key), v.info, entry.initiatedEventBatchId, entry.initiatedEventId);
  if (!e) throw new Error(`initiated event ${entry.initiatedEventId} of ${task.key.workflowId} not found in history`);
  return e;
}

/** Temporal's processStartChildExecution. */
async function startChild(ctx: HistoryContext, shard: Shard, task: HistoryTask, initiatedEventId: number) {
  const v = await ctx.tx.inspect(shard, task.key, (ms) => {
    const ci = ms.info.children[String(initiatedEventId)];
    return ci ? view(ms, { ci: { ...ci } }) : undefined;
  });
  if (!v) return;
  const { ci } = v;
  const childKey = { namespaceId: ci.namespaceId, workflowId: ci.workflowId, runId: ci.startedRunId };
  if (!v.running) {
    // A child never started is never started now; an abandoned one still gets its first task.
    if (ci.startedRunId && ci.parentClosePolicy === enums.ParentClosePolicy.PARENT_CLOSE_POLICY_ABANDON)
      await ctx.historyClient.scheduleFirstWorkflowTask(childKey);
    return;
  }
  if (ci.startedRunId) {
    await ctx.historyClient.scheduleFirstWorkflowTask(childKey);
    return;
  }
  const a = (await initiatedEvent(ctx, task, v, ci)).startChildWorkflowExecutionInitiatedEventAttributes ?? {};
  let runId: string;
  try {
    const started = await ctx.historyClient.startWorkflow({
      namespace: { id: ci.namespaceId, name: ci.namespace, retentionMs: v.info.retentionMs },
      workflowId: ci.workflowId,
      workflowType: ci.workflowType,
      taskQueue: a.taskQueue?.name ?? '',
      input: a.input,
      workflowRunTimeoutMs: msOf(a.workflowRunTimeout),
      workflowExecutionTimeoutMs: msOf(a.workflowExecutionTimeout),
      workflowTaskTimeoutMs: msOf(a.workflowTaskTimeout),
      identity: '',
      requestId: ci.createRequestId,
      reusePolicy: a.workflowIdReusePolicy ?? 0,
      conflictPolicy: enums.WorkflowIdConflictPolicy.WORKFLOW_ID_CONFLICT_POLICY_FAIL,
      retryPolicy: a.retryPolicy,
      memo: a.memo,
      searchAttributes: a.searchAttributes,
      header: a.header,
      ...(a.cronSchedule ? { cronSchedule: a.cronSchedule } : {}),
      ...(await initiatedUserMetadata(ctx, task, v, ci)),
      child: {
        parent: {
          namespaceId: v.info.namespaceId,
          namespace: ci.namespace,
          workflowId: v.info.workflowId,
          runId: v.info.runId,
          initiatedEventId,
        },
        root: { workflowId: v.info.rootWorkflowId, runId: v.info.rootRunId },
      },
    });
    runId = started.runId;
  } catch (err) {
    if (!(err instanceof WorkflowAlreadyStartedError)) throw err;
    await ctx.tx.update(shard, task.key, (ms) => {
      const current = ms.info.children[String(initiatedEventId)];
      if (!ms.isRunning() || !current || current.startedEventId !== 0) throw new NotFoundError('child not pending');
      recordChildStartFailed(
        ms,
        current,
        enums.StartChildWorkflowExecutionFailedCause
          .START_CHILD_WORKFLOW_EXECUTION_FAILED_CAUSE_WORKFLOW_ALREADY_EXISTS,
      );
    });
    return;
  }
  await ctx.tx.update(shard, task.key, (ms) => {
    const current = ms.info.children[String(initiatedEventId)];
    if (!ms.isRunning() || !current || current.startedEventId !== 0) throw new NotFoundError('child not pending');
    recordChildStarted(ms, current, runId);
  });
  await ctx.historyClient.scheduleFirstWorkflowTask({ ...childKey, runId });
}

async function initiatedUserMetadata(ctx: HistoryContext, task: HistoryTask, v: RunView, ci: ChildExecutionInfo) {
  const e = await initiatedEvent(ctx, task, v, ci);
  return e.userMetadata ? { userMetadata: e.userMetadata } : {};
}

function msOf(d: { seconds?: unknown; nanos?: number | null } | null | undefined): number {
  if (!d) return 0;
  return Number(d.seconds ?? 0) * 1000 + Math.floor((d.nanos ?? 0) / 1e6);
}

function target(
  a: {
    namespace?: string | null;
    namespaceId?: string | null;
    workflowExecution?: { workflowId?: string | null; runId?: string | null } | null;
    control?: string | null;
  },
  initiatedEventId: number,
): ExternalTarget {
  return {
    namespace: a.namespace ?? '',
    namespaceId: a.namespaceId ?? '',
    workflowExecution: { workflowId: a.workflowExecution?.workflowId ?? '', runId: a.workflowExecution?.runId ?? '' },
    initiatedEventId,
    ...(a.control ? { control: a.control } : {}),
  };
}

/** Whether a target's answer means "no such workflow for this request" (Temporal maps NotFound to the cause). */
function notFound(err: unknown): boolean {
  return err instanceof NotFoundError;
}

/** Temporal's processSignalExecution. */
async function signalExternal(ctx: HistoryContext, shard: Shard, task: HistoryTask, initiatedEventId: number) {
  const v = await ctx.tx.inspect(shard, task.key, (ms) => {
    const si = ms.info.signalsOut[String(initiatedEventId)];
    return si && ms.isRunning() ? view(ms, { si: { ...si } }) : undefined;
  });
  // A signal issued by the task that closed the workflow is never sent (Temporal drops it the same way).
  if (!v) return;
  const a = (await initiatedEvent(ctx, task, v, v.si)).signalExternalWorkflowExecutionInitiatedEventAttributes ?? {};
  const t = target(a, initiatedEventId);
  const record = (cause: number) =>
    ctx.tx.update(shard, task.key, (ms) => {
      if (!ms.isRunning() || !ms.info.signalsOut[String(initiatedEventId)])
        throw new NotFoundError('signal not pending');
      recordExternalSignal(ms, t, cause);
    });
  if (t.workflowExecution.workflowId === v.info.workflowId) {
    await record(SignalCause.SIGNAL_EXTERNAL_WORKFLOW_EXECUTION_FAILED_CAUSE_EXTERNAL_WORKFLOW_EXECUTION_NOT_FOUND);
    return;
  }
  const targetKey = { namespaceId: v.info.namespaceId, ...t.workflowExecution };
  try {
    await ctx.historyClient.signalWorkflow({
      ...targetKey,
      signalName: a.signalName ?? '',
      input: a.input,
      header: a.header,
      identity: HISTORY_SERVICE,
      requestId: v.si.requestId,
      external: externalOrigin(v, a.childWorkflowOnly ?? false, initiatedEventId),
    });
  } catch (err) {
    if (!notFound(err)) throw err;
    await record(SignalCause.SIGNAL_EXTERNAL_WORKFLOW_EXECUTION_FAILED_CAUSE_EXTERNAL_WORKFLOW_EXECUTION_NOT_FOUND);
    return;
  }
  await record(0);
  // The target may forget the request id now that the source has recorded the outcome.
  await ctx.historyClient.removeSignalMutableState(targetKey, v.si.requestId).catch(() => undefined);
}

function externalOrigin(v: RunView, childWorkflowOnly: boolean, initiatedEventId: number) {
  return {
    execution: { workflowId: v.info.workflowId, runId: v.info.runId },
    childWorkflowOnly,
    firstExecutionRunId: '',
    initiatedEventId,
  };
}

/** Temporal's processCancelExecution. */
async function cancelExternal(ctx: HistoryContext, shard: Shard, task: HistoryTask, initiatedEventId: number) {
  const v = await ctx.tx.inspect(shard, task.key, (ms) => {
    const ri: ExternalRequestInfo | undefined = ms.info.cancelsOut[String(initiatedEventId)];
    return ri && ms.isRunning() ? view(ms, { ri: { ...ri } }) : undefined;
  });
  if (!v) return;
  const a =
    (await initiatedEvent(ctx, task, v, v.ri)).requestCancelExternalWorkflowExecutionInitiatedEventAttributes ?? {};
  const t = target(a, initiatedEventId);
  const record = (cause: number) =>
    ctx.tx.update(shard, task.key, (ms) => {
      if (!ms.isRunning() || !ms.info.cancelsOut[String(initiatedEventId)])
        throw new NotFoundError('cancel not pending');
      recordExternalCancel(ms, t, cause);
    });
  if (t.workflowExecution.workflowId === v.info.workflowId) {
    await record(CancelCause.CANCEL_EXTERNAL_WORKFLOW_EXECUTION_FAILED_CAUSE_EXTERNAL_WORKFLOW_EXECUTION_NOT_FOUND);
    return;
  }
  try {
    await ctx.historyClient.requestCancelWorkflow({
      namespaceId: v.info.namespaceId,
      ...t.workflowExecution,
      identity: HISTORY_SERVICE,
      requestId: v.ri.requestId,
      reason: a.reason ?? '',
      external: externalOrigin(v, a.childWorkflowOnly ?? false, initiatedEventId),
    });
  } catch (err) {
    if (!notFound(err)) throw err;
    await record(CancelCause.CANCEL_EXTERNAL_WORKFLOW_EXECUTION_FAILED_CAUSE_EXTERNAL_WORKFLOW_EXECUTION_NOT_FOUND);
    return;
  }
  await record(0);
}

/**
 * Temporal's processCloseExecution, the parts that reach other runs: the last run of a child's chain reports its
 * close to the parent, and the closing run's parent-close policy applies to the children it still has.
 */
async function closeExecution(ctx: HistoryContext, shard: Shard, task: HistoryTask) {
  const v = await ctx.tx.inspect(shard, task.key, (ms) =>
    ms.isRunning() ? undefined : view(ms, { children: Object.values(ms.info.children).map((c) => ({ ...c })) }),
  );
  if (!v) return;
  const parent = v.info.parent;
  if (parent && !v.info.newRunId) {
    const closeEvent = await readEvent(
      ctx,
      cacheKeyOf(task.key),
      v.info,
      v.info.lastFirstEventId,
      v.info.completionEventId,
    );
    if (!closeEvent) throw new Error(`close event of ${task.key.workflowId} not found in history`);
    await ctx.historyClient
      .recordChildExecutionCompleted({
        parent: { namespaceId: parent.namespaceId, workflowId: parent.workflowId, runId: parent.runId },
        initiatedEventId: parent.initiatedEventId,
        child: { workflowId: v.info.workflowId, runId: v.info.runId, firstRunId: v.info.firstRunId },
        closeEvent,
      })
      .catch((err: unknown) => {
        // The parent closed or no longer waits for this child: nothing to report to.
        if (!notFound(err)) throw err;
      });
  }
  for (const ci of v.children) await applyParentClosePolicy(ctx, v, ci);
}

async function applyParentClosePolicy(ctx: HistoryContext, v: RunView, ci: ChildExecutionInfo): Promise<void> {
  const Policy = enums.ParentClosePolicy;
  if (ci.parentClosePolicy === Policy.PARENT_CLOSE_POLICY_ABANDON) return;
  const external = {
    execution: { workflowId: v.info.workflowId, runId: v.info.runId },
    childWorkflowOnly: true,
    firstExecutionRunId: ci.startedRunId,
    initiatedEventId: 0,
  };
  const common = { namespaceId: ci.namespaceId, workflowId: ci.workflowId, runId: '', identity: HISTORY_SERVICE };
  try {
    if (ci.parentClosePolicy === Policy.PARENT_CLOSE_POLICY_REQUEST_CANCEL) {
      await ctx.historyClient.requestCancelWorkflow({ ...common, requestId: randomUUID(), reason: '', external });
    } else {
      await ctx.historyClient.terminateWorkflow({
        ...common,
        reason: 'by parent close policy',
        details: undefined,
        external,
      });
    }
  } catch (err) {
    if (!notFound(err)) throw err;
  }
}
