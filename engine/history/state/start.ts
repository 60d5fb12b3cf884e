/** A new run: its first events (WorkflowExecutionStarted, first WorkflowTaskScheduled) and timeout timer. */
import type { EngineLimits } from '../../limits.js';
import { randomUUID } from 'node:crypto';
import {
  api,
  durationFromMs,
  enums,
  timestampFromMs,
  type IHistoryEvent,
  type temporal,
  type Wire,
} from '../../proto.js';
import { WorkflowState, type ExecutionInfo, type ParentInfo } from '../../persistence/records.js';
import { MutableState } from '../mutable-state.js';
import { retryPolicyInfo, retryPolicyProto } from './activities.js';
import { StateDefaults } from './config.js';
import { scheduleWorkflowTask } from './workflow-task.js';

export interface NewRunParams {
  namespaceId: string;
  workflowId: string;
  runId: string;
  /** First run of the chain (continue-as-new keeps it). */
  firstRunId: string;
  requestId: string;
  workflowType: string;
  taskQueue: string;
  input: Wire<temporal.api.common.v1.IPayloads> | null | undefined;
  workflowRunTimeoutMs: number;
  workflowExecutionTimeoutMs: number;
  /** Expiry carried over from the previous run of the chain, 0 to compute from the execution timeout. */
  executionExpirationTimeMs: number;
  workflowTaskTimeoutMs: number;
  retentionMs: number;
  identity: string;
  header: Wire<temporal.api.common.v1.IHeader> | null | undefined;
  memo: Wire<temporal.api.common.v1.IMemo> | null | undefined;
  searchAttributes: Wire<temporal.api.common.v1.ISearchAttributes> | null | undefined;
  retryPolicy: Wire<temporal.api.common.v1.IRetryPolicy> | null | undefined;
  continuedExecutionRunId: string;
  initiator: number;
  lastCompletionResult: Wire<temporal.api.common.v1.IPayloads> | null | undefined;
  continuedFailure: Wire<temporal.api.failure.v1.IFailure> | null | undefined;
  timeScale: number;
  /** A child run: its parent (the child reports its close there). */
  parent?: ParentInfo | null;
  /** The tree's top-level workflow; unset for a top-level run (it is its own root). */
  root?: { workflowId: string; runId: string } | null;
  /** Workflow attempt, 1 unless this run is a retry. */
  attempt?: number;
  cronSchedule?: string;
  /** The first workflow task waits this long (start delay, retry backoff, next cron time). */
  firstWorkflowTaskBackoffMs?: number;
  /**
   * A child's first run: no workflow task until the parent has recorded the child as started (Temporal's
   * two-phase child start; the parent's transfer task schedules it).
   */
  deferFirstWorkflowTask?: boolean;
  userMetadata?: Wire<temporal.api.sdk.v1.IUserMetadata> | null;
  /** The limits the run is held to (default: Temporal's). */
  limits?: EngineLimits;
  /** Adds events between WorkflowExecutionStarted and the first WorkflowTaskScheduled (signal-with-start). */
  beforeFirstWorkflowTask?: (ms: MutableState) => void;
}

export function workflowTaskTimeoutMs(requestedMs: number, runTimeoutMs: number): number {
  let t = requestedMs > 0 ? requestedMs : StateDefaults.workflowTaskTimeoutMs;
  t = Math.min(t, StateDefaults.maxWorkflowTaskTimeoutMs);
  if (runTimeoutMs > 0) t = Math.min(t, runTimeoutMs);
  return t;
}

/** Builds the mutable state of a new run, with its first events and tasks pending, at `nowMs`. */
export function newRun(p: NewRunParams, nowMs: number): MutableState {
  const executionExpirationTimeMs =
    p.executionExpirationTimeMs || (p.workflowExecutionTimeoutMs > 0 ? nowMs + p.workflowExecutionTimeoutMs : 0);
  const info: ExecutionInfo = {
    namespaceId: p.namespaceId,
    workflowId: p.workflowId,
    runId: p.runId,
    firstRunId: p.firstRunId,
    workflowType: p.workflowType,
    taskQueue: p.taskQueue,
    createRequestId: p.requestId,
    status: enums.WorkflowExecutionStatus.WORKFLOW_EXECUTION_STATUS_RUNNING,
    state: WorkflowState.Running,
    startTimeMs: nowMs,
    executionTimeMs: nowMs + (p.firstWorkflowTaskBackoffMs ?? 0),
    closeTimeMs: 0,
    workflowRunTimeoutMs: p.workflowRunTimeoutMs,
    workflowExecutionTimeoutMs: p.workflowExecutionTimeoutMs,
    executionExpirationTimeMs,
    workflowTaskTimeoutMs: p.workflowTaskTimeoutMs,
    retentionMs: p.retentionMs,
    nextEventId: 1,
    lastCompletedWorkflowTaskStartedEventId: 0,
    lastEventTaskId: 0,
    workflowTask: null,
    stickyTaskQueue: '',
    stickyScheduleToStartTimeoutMs: 0,
    cancelRequested: false,
    cancelRequestId: '',
    treeId: p.runId,
    branchId: randomUUID(),
    completionEventId: 0,
    newRunId: '',
    signalCount: 0,
    searchAttributes: {},
    memo: {},
    lastTxnId: 0,
    lastFirstEventId: 0,
    historySizeBytes: 0,
    parent: p.parent ?? null,
    rootWorkflowId: p.root?.workflowId ?? p.workflowId,
    rootRunId: p.root?.runId ?? p.runId,
    attempt: p.attempt ?? 1,
    retryPolicy: p.retryPolicy ? retryPolicyInfo(p.retryPolicy) : null,
    cronSchedule: p.cronSchedule ?? '',
    hasUserMetadata: !!p.userMetadata,
    pendingBackoff: (p.firstWorkflowTaskBackoffMs ?? 0) > 0,
    children: {},
    signalsOut: {},
    cancelsOut: {},
  };
  const ms = MutableState.fresh(info, p.timeScale, nowMs);
  if (p.limits) ms.limits = p.limits;
  const startedAttributes: NonNullable<IHistoryEvent['workflowExecutionStartedEventAttributes']> = {
    workflowType: { name: p.workflowType },
    taskQueue: { name: p.taskQueue, kind: enums.TaskQueueKind.TASK_QUEUE_KIND_NORMAL },
    workflowTaskTimeout: durationFromMs(p.workflowTaskTimeoutMs),
    identity: p.identity,
    originalExecutionRunId: p.runId,
    firstExecutionRunId: p.firstRunId,
    attempt: info.attempt,
    workflowId: p.workflowId,
  };
  const backoffMs = p.firstWorkflowTaskBackoffMs ?? 0;
  if (backoffMs > 0) startedAttributes.firstWorkflowTaskBackoff = durationFromMs(backoffMs);
  if (p.cronSchedule) startedAttributes.cronSchedule = p.cronSchedule;
  if (p.parent) {
    startedAttributes.parentWorkflowNamespace = p.parent.namespace;
    startedAttributes.parentWorkflowNamespaceId = p.parent.namespaceId;
    startedAttributes.parentWorkflowExecution = { workflowId: p.parent.workflowId, runId: p.parent.runId };
    startedAttributes.parentInitiatedEventId = p.parent.initiatedEventId;
  }
  if (p.root) startedAttributes.rootWorkflowExecution = { workflowId: p.root.workflowId, runId: p.root.runId };
  if (p.input) startedAttributes.input = p.input;
  if (p.workflowRunTimeoutMs > 0) startedAttributes.workflowRunTimeout = durationFromMs(p.workflowRunTimeoutMs);
  if (p.workflowExecutionTimeoutMs > 0)
    startedAttributes.workflowExecutionTimeout = durationFromMs(p.workflowExecutionTimeoutMs);
  if (executionExpirationTimeMs > 0)
    startedAttributes.workflowExecutionExpirationTime = timestampFromMs(executionExpirationTimeMs);
  if (p.header) startedAttributes.header = p.header;
  if (p.memo) startedAttributes.memo = p.memo;
  if (p.searchAttributes) startedAttributes.searchAttributes = p.searchAttributes;
  if (info.retryPolicy) startedAttributes.retryPolicy = retryPolicyProto(info.retryPolicy);
  if (p.continuedExecutionRunId || p.initiator) {
    startedAttributes.continuedExecutionRunId = p.continuedExecutionRunId;
    startedAttributes.initiator = p.initiator;
  }
  if (p.lastCompletionResult) startedAttributes.lastCompletionResult = p.lastCompletionResult;
  if (p.continuedFailure) startedAttributes.continuedFailure = p.continuedFailure;
  ms.addEvent(enums.EventType.EVENT_TYPE_WORKFLOW_EXECUTION_STARTED, {
    workflowExecutionStartedEventAttributes: startedAttributes,
    ...(p.userMetadata ? { userMetadata: p.userMetadata } : {}),
  });
  mergePayloads(info.searchAttributes, p.searchAttributes?.indexedFields);
  mergePayloads(info.memo, p.memo?.fields);
  p.beforeFirstWorkflowTask?.(ms);
  if (backoffMs > 0) ms.addTimerTask({ kind: 'workflow-backoff' }, nowMs + backoffMs);
  else if (!p.deferFirstWorkflowTask) scheduleWorkflowTask(ms);
  const runExpiry = p.workflowRunTimeoutMs > 0 ? nowMs + backoffMs + p.workflowRunTimeoutMs : 0;
  const expiry = [runExpiry, executionExpirationTimeMs].filter((t) => t > 0);
  if (expiry.length > 0) ms.addTimerTask({ kind: 'workflow-run-timeout' }, Math.min(...expiry));
  ms.addVisibilityTask({ kind: 'upsert-visibility' });
  return ms;
}

/**
 * Merges upserted payloads into a stored map (memo, search attributes) as Temporal's MergeMapOfPayload does: a
 * "nil-equivalent" value — no payload, empty data (the SDKs' binary/null), the bytes `[]` or `null` — deletes
 * the key instead of storing it.
 */
export function mergePayloads(
  into: Record<string, string>,
  upserts: Record<string, Wire<temporal.api.common.v1.IPayload>> | null | undefined,
): void {
  for (const [k, v] of Object.entries(upserts ?? {})) {
    if (isNilPayload(v)) delete into[k];
    else into[k] = encodePayloadB64(v);
  }
}

function isNilPayload(p: Wire<temporal.api.common.v1.IPayload> | null | undefined): boolean {
  const data = p?.data;
  if (!data || data.length === 0) return true;
  const text = data.length <= 4 ? Buffer.from(data).toString('latin1') : '';
  return text === '[]' || text === 'null';
}

export function encodePayloadB64(p: Wire<temporal.api.common.v1.IPayload>): string {
  return Buffer.from(api.common.v1.Payload.encode(api.common.v1.Payload.fromObject(p)).finish()).toString('base64');
}

export function decodePayloadB64(b64: string): temporal.api.common.v1.Payload {
  return api.common.v1.Payload.decode(Buffer.from(b64, 'base64'));
}
