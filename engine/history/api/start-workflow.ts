/**
 * StartWorkflowExecution and SignalWithStartWorkflowExecution: request-id dedupe, the workflow-id reuse and
 * conflict policies, then one conditional create (current row `IF NOT EXISTS`, or `IF current_run_id = prev`
 * for a closed workflow id). A create that loses a race re-reads the current row and decides again.
 */
import { randomUUID } from 'node:crypto';
import { UnavailableError, WorkflowAlreadyStartedError } from '../../errors.js';
import { enums, type temporal, type Wire } from '../../proto.js';
import { CurrentWorkflowConditionFailedError } from '../../persistence/errors.js';
import { WorkflowState, type NamespaceRecord, type ParentInfo } from '../../persistence/records.js';
import { cronBackoffMs, parseCron } from '../../common/cron.js';
import type { CreateMode } from '../../persistence/store.js';
import type { HistoryContext } from '../context.js';
import type { MutableState } from '../mutable-state.js';
import { terminateWorkflow } from '../state/close.js';
import { newRun, workflowTaskTimeoutMs } from '../state/start.js';
import { addExternalEvent, startWorkflowTaskEagerly } from '../state/workflow-task.js';
import { cacheKeyOf } from '../transaction.js';
import { workflowTaskResponse, type WorkflowTaskView } from './workflow-task-response.js';

const Reuse = enums.WorkflowIdReusePolicy;
const Conflict = enums.WorkflowIdConflictPolicy;
const Status = enums.WorkflowExecutionStatus;

export interface StartParams {
  namespace: Pick<NamespaceRecord, 'id' | 'name' | 'retentionMs'>;
  workflowId: string;
  workflowType: string;
  taskQueue: string;
  input: Wire<temporal.api.common.v1.IPayloads> | null | undefined;
  workflowRunTimeoutMs: number;
  workflowExecutionTimeoutMs: number;
  workflowTaskTimeoutMs: number;
  identity: string;
  requestId: string;
  reusePolicy: number;
  conflictPolicy: number;
  retryPolicy: Wire<temporal.api.common.v1.IRetryPolicy> | null | undefined;
  memo: Wire<temporal.api.common.v1.IMemo> | null | undefined;
  searchAttributes: Wire<temporal.api.common.v1.ISearchAttributes> | null | undefined;
  header: Wire<temporal.api.common.v1.IHeader> | null | undefined;
  /**
   * Eager workflow start: the first workflow task is started in the create itself and returned to the caller,
   * who has a worker for it; nothing goes through matching. Only for a run this call creates.
   */
  eager?: boolean;
  cronSchedule?: string;
  /** `workflowStartDelay`: the first workflow task waits this long. */
  startDelayMs?: number;
  userMetadata?: Wire<temporal.api.sdk.v1.IUserMetadata> | null;
  /** A child's start: its parent and root, and no first workflow task until the parent records the start. */
  child?: { parent: ParentInfo; root: { workflowId: string; runId: string } };
  /** Update-with-start: admits the update into the run this call creates, in the same transaction. */
  onCreate?: (ms: MutableState) => void;
  /** Signal-with-start: the signal is the run's second event (or goes to the running run). */
  signal?: {
    name: string;
    input: Wire<temporal.api.common.v1.IPayloads> | null | undefined;
    header: Wire<temporal.api.common.v1.IHeader> | null | undefined;
  };
}

export interface StartResult {
  runId: string;
  started: boolean;
  status: number;
  /** Eager start: the run's first workflow task, started for the caller. */
  eagerTask?: WorkflowTaskView;
}

const FAILED_STATUSES = new Set<number>([
  Status.WORKFLOW_EXECUTION_STATUS_FAILED,
  Status.WORKFLOW_EXECUTION_STATUS_CANCELED,
  Status.WORKFLOW_EXECUTION_STATUS_TERMINATED,
  Status.WORKFLOW_EXECUTION_STATUS_TIMED_OUT,
]);

export async function startWorkflow(ctx: HistoryContext, p: StartParams): Promise<StartResult> {
  const nsId = p.namespace.id;
  const shard = ctx.shardFor(nsId, p.workflowId);
  // Deprecated TERMINATE_IF_RUNNING reuse policy is the TERMINATE_EXISTING conflict policy.
  const conflict =
    p.reusePolicy === Reuse.WORKFLOW_ID_REUSE_POLICY_TERMINATE_IF_RUNNING
      ? Conflict.WORKFLOW_ID_CONFLICT_POLICY_TERMINATE_EXISTING
      : p.conflictPolicy ||
        (p.signal ? Conflict.WORKFLOW_ID_CONFLICT_POLICY_USE_EXISTING : Conflict.WORKFLOW_ID_CONFLICT_POLICY_FAIL);

  const cron = p.cronSchedule ? parseCron(p.cronSchedule) : undefined;
  for (let attempt = 0; attempt < 5; attempt++) {
    const newRunId = randomUUID();
    const current = await ctx.persistence.executions.getCurrentExecution(shard.id, nsId, p.workflowId);
    let mode: CreateMode = { kind: 'brand-new' };
    if (current) {
      // The client retried a start that did succeed.
      if (current.createRequestId === p.requestId)
        return { runId: current.runId, started: true, status: current.status };
      if (current.state !== WorkflowState.Completed) {
        const key = { namespaceId: nsId, workflowId: p.workflowId, runId: current.runId };
        if (p.signal && conflict !== Conflict.WORKFLOW_ID_CONFLICT_POLICY_TERMINATE_EXISTING) {
          const signal = p.signal;
          const signalled = await ctx.tx.update(shard, key, (ms) => {
            if (!ms.isRunning()) return false;
            if (p.requestId && ms.signalRequestedIds.has(p.requestId)) return true;
            // Signal-with-start cuts a start delay or backoff short (Temporal's SignalWithStartSkipDelay).
            addSignal(ms, signal, p.identity, p.requestId, undefined, { skipBackoff: true });
            return true;
          });
          if (signalled)
            return { runId: current.runId, started: false, status: Status.WORKFLOW_EXECUTION_STATUS_RUNNING };
          continue;
        }
        if (conflict === Conflict.WORKFLOW_ID_CONFLICT_POLICY_USE_EXISTING) {
          return { runId: current.runId, started: false, status: current.status };
        }
        if (conflict === Conflict.WORKFLOW_ID_CONFLICT_POLICY_TERMINATE_EXISTING) {
          const terminated = await ctx.tx.update(shard, key, (ms) => {
            if (!ms.isRunning()) return false;
            terminateWorkflow(
              ms,
              'TerminateIfRunning WorkflowIdReusePolicy',
              terminatedBy(newRunId),
              'history-service',
            );
            return true;
          });
          if (terminated) mode = { kind: 'reuse-closed', previousRunId: current.runId };
          else continue;
        } else {
          throw new WorkflowAlreadyStartedError(p.workflowId, current.runId, current.createRequestId);
        }
      } else {
        const reuse = p.reusePolicy || Reuse.WORKFLOW_ID_REUSE_POLICY_ALLOW_DUPLICATE;
        const allowed =
          reuse === Reuse.WORKFLOW_ID_REUSE_POLICY_ALLOW_DUPLICATE ||
          reuse === Reuse.WORKFLOW_ID_REUSE_POLICY_TERMINATE_IF_RUNNING ||
          (reuse === Reuse.WORKFLOW_ID_REUSE_POLICY_ALLOW_DUPLICATE_FAILED_ONLY && FAILED_STATUSES.has(current.status));
        if (!allowed) throw new WorkflowAlreadyStartedError(p.workflowId, current.runId, current.createRequestId);
        mode = { kind: 'reuse-closed', previousRunId: current.runId };
      }
    }

    const runId = newRunId;
    const ms = newRun(
      {
        namespaceId: nsId,
        workflowId: p.workflowId,
        runId,
        firstRunId: runId,
        requestId: p.requestId,
        workflowType: p.workflowType,
        taskQueue: p.taskQueue,
        input: p.input,
        workflowRunTimeoutMs: p.workflowRunTimeoutMs || p.workflowExecutionTimeoutMs,
        workflowExecutionTimeoutMs: p.workflowExecutionTimeoutMs,
        executionExpirationTimeMs: 0,
        workflowTaskTimeoutMs: workflowTaskTimeoutMs(
          p.workflowTaskTimeoutMs,
          p.workflowRunTimeoutMs || p.workflowExecutionTimeoutMs,
        ),
        retentionMs: p.namespace.retentionMs,
        identity: p.identity,
        header: p.header,
        memo: p.memo,
        searchAttributes: p.searchAttributes,
        retryPolicy: p.retryPolicy,
        continuedExecutionRunId: '',
        initiator: p.cronSchedule ? enums.ContinueAsNewInitiator.CONTINUE_AS_NEW_INITIATOR_CRON_SCHEDULE : 0,
        lastCompletionResult: undefined,
        continuedFailure: undefined,
        timeScale: ctx.clock.timeScale,
        ...(p.child ? { parent: p.child.parent, root: p.child.root, deferFirstWorkflowTask: true } : {}),
        ...(p.cronSchedule ? { cronSchedule: p.cronSchedule } : {}),
        ...(p.userMetadata ? { userMetadata: p.userMetadata } : {}),
        firstWorkflowTaskBackoffMs:
          cron && typeof cron !== 'string'
            ? cronBackoffMs(cron, ctx.clock.now(), ctx.clock.now())
            : (p.startDelayMs ?? 0),
        limits: ctx.config.limits,
        ...(p.signal
          ? {
              beforeFirstWorkflowTask: (m: MutableState) =>
                addSignal(m, p.signal as NonNullable<StartParams['signal']>, p.identity, p.requestId),
            }
          : {}),
      },
      ctx.clock.now(),
    );
    p.onCreate?.(ms);
    let eagerTask: WorkflowTaskView | undefined;
    if (p.eager) {
      const wt = startWorkflowTaskEagerly(ms, p.requestId, p.identity);
      // The whole history is what this create writes: the response needs no read back.
      eagerTask = { info: ms.info, wt, previousStartedEventId: 0, transient: [], events: ms.newEvents };
    }
    try {
      await ctx.tx.create(shard, ms, mode);
      if (eagerTask) {
        eagerTask = { ...eagerTask, info: { ...eagerTask.info }, wt: { ...eagerTask.wt } };
        return { runId, started: true, status: Status.WORKFLOW_EXECUTION_STATUS_RUNNING, eagerTask };
      }
      return { runId, started: true, status: Status.WORKFLOW_EXECUTION_STATUS_RUNNING };
    } catch (err) {
      // Another start won the race for this workflow id: decide again on what it wrote.
      if (err instanceof CurrentWorkflowConditionFailedError) continue;
      throw err;
    }
  }
  throw new UnavailableError(`start of workflow ${p.workflowId} kept conflicting with concurrent starts`);
}

/** Details of the run a TERMINATE_EXISTING start ends: a JSON string naming its successor, as Temporal writes them. */
function terminatedBy(newRunId: string): temporal.api.common.v1.IPayloads {
  return {
    payloads: [
      {
        metadata: { encoding: Buffer.from('json/plain') },
        data: Buffer.from(JSON.stringify(`terminated by new runID: ${newRunId}`)),
      },
    ],
  };
}

/** The poll response for an eagerly started first task (queries sent meanwhile ride on it, as on any task). */
export function eagerWorkflowTaskResponse(
  ctx: HistoryContext,
  view: WorkflowTaskView,
): Promise<Wire<temporal.api.workflowservice.v1.IPollWorkflowTaskQueueResponse>> {
  const queries = ctx.queries.attach(cacheKeyOf(view.info), view.wt.startedEventId);
  return workflowTaskResponse(ctx, view, queries, 0);
}

export function addSignal(
  ms: MutableState,
  signal: NonNullable<StartParams['signal']>,
  identity: string,
  requestId: string,
  externalExecution?: { workflowId: string; runId: string },
  opts: { skipBackoff?: boolean } = {},
): void {
  addExternalEvent(
    ms,
    enums.EventType.EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED,
    {
      workflowExecutionSignaledEventAttributes: {
        signalName: signal.name,
        identity,
        ...(signal.input ? { input: signal.input } : {}),
        ...(signal.header ? { header: signal.header } : {}),
        ...(requestId ? { requestId } : {}),
        ...(externalExecution ? { externalWorkflowExecution: externalExecution } : {}),
      },
    },
    opts,
  );
  ms.info.signalCount += 1;
  if (requestId) ms.addSignalRequestId(requestId);
}
