/** A new run: its first events (WorkflowExecutionStarted, first WorkflowTaskScheduled) and timeout timer. */
import type { EngineLimits } from '../../limits.js';
import { randomUUID } from 'node:crypto';
import { api, durationFromMs, enums, timestampFromMs, type IHistoryEvent, type temporal } from '../../proto.js';
import { WorkflowState, type ExecutionInfo } from '../../persistence/records.js';
import { MutableState } from '../mutable-state.js';
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
  input: temporal.api.common.v1.IPayloads | null | undefined;
  workflowRunTimeoutMs: number;
  workflowExecutionTimeoutMs: number;
  /** Expiry carried over from the previous run of the chain, 0 to compute from the execution timeout. */
  executionExpirationTimeMs: number;
  workflowTaskTimeoutMs: number;
  retentionMs: number;
  identity: string;
  header: temporal.api.common.v1.IHeader | null | undefined;
  memo: temporal.api.common.v1.IMemo | null | undefined;
  searchAttributes: temporal.api.common.v1.ISearchAttributes | null | undefined;
  retryPolicy: temporal.api.common.v1.IRetryPolicy | null | undefined;
  continuedExecutionRunId: string;
  initiator: number;
  lastCompletionResult: temporal.api.common.v1.IPayloads | null | undefined;
  continuedFailure: temporal.api.failure.v1.IFailure | null | undefined;
  timeScale: number;
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
    executionTimeMs: nowMs,
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
    parentWorkflowId: '',
    signalCount: 0,
    searchAttributes: {},
    memo: {},
    lastTxnId: 0,
    lastFirstEventId: 0,
    historySizeBytes: 0,
  };
  const ms = new MutableState(
    {
      info,
      dbRecordVersion: 0,
      activities: new Map(),
      timers: new Map(),
      signalRequestedIds: new Set(),
      bufferedEvents: [],
    },
    true,
  );
  ms.timeScale = p.timeScale;
  if (p.limits) ms.limits = p.limits;
  ms.begin(nowMs);
  const startedAttributes: NonNullable<IHistoryEvent['workflowExecutionStartedEventAttributes']> = {
    workflowType: { name: p.workflowType },
    taskQueue: { name: p.taskQueue, kind: enums.TaskQueueKind.TASK_QUEUE_KIND_NORMAL },
    workflowTaskTimeout: durationFromMs(p.workflowTaskTimeoutMs),
    identity: p.identity,
    originalExecutionRunId: p.runId,
    firstExecutionRunId: p.firstRunId,
    attempt: 1,
    workflowId: p.workflowId,
  };
  if (p.input) startedAttributes.input = p.input;
  if (p.workflowRunTimeoutMs > 0) startedAttributes.workflowRunTimeout = durationFromMs(p.workflowRunTimeoutMs);
  if (p.workflowExecutionTimeoutMs > 0)
    startedAttributes.workflowExecutionTimeout = durationFromMs(p.workflowExecutionTimeoutMs);
  if (executionExpirationTimeMs > 0)
    startedAttributes.workflowExecutionExpirationTime = timestampFromMs(executionExpirationTimeMs);
  if (p.header) startedAttributes.header = p.header;
  if (p.memo) startedAttributes.memo = p.memo;
  if (p.searchAttributes) startedAttributes.searchAttributes = p.searchAttributes;
  if (p.retryPolicy) startedAttributes.retryPolicy = p.retryPolicy;
  if (p.continuedExecutionRunId) {
    startedAttributes.continuedExecutionRunId = p.continuedExecutionRunId;
    startedAttributes.initiator = p.initiator;
  }
  if (p.lastCompletionResult) startedAttributes.lastCompletionResult = p.lastCompletionResult;
  if (p.continuedFailure) startedAttributes.continuedFailure = p.continuedFailure;
  ms.addEvent(enums.EventType.EVENT_TYPE_WORKFLOW_EXECUTION_STARTED, {
    workflowExecutionStartedEventAttributes: startedAttributes,
  });
  if (p.searchAttributes?.indexedFields) {
    for (const [k, v] of Object.entries(p.searchAttributes.indexedFields))
      info.searchAttributes[k] = encodePayloadB64(v);
  }
  if (p.memo?.fields) {
    for (const [k, v] of Object.entries(p.memo.fields)) info.memo[k] = encodePayloadB64(v);
  }
  p.beforeFirstWorkflowTask?.(ms);
  scheduleWorkflowTask(ms);
  const runExpiry = p.workflowRunTimeoutMs > 0 ? nowMs + p.workflowRunTimeoutMs : 0;
  const expiry = [runExpiry, executionExpirationTimeMs].filter((t) => t > 0);
  if (expiry.length > 0) ms.addTimerTask({ kind: 'workflow-run-timeout' }, Math.min(...expiry));
  ms.addVisibilityTask({ kind: 'upsert-visibility' });
  return ms;
}

export function encodePayloadB64(p: temporal.api.common.v1.IPayload): string {
  return Buffer.from(api.common.v1.Payload.encode(p).finish()).toString('base64');
}

export function decodePayloadB64(b64: string): temporal.api.common.v1.Payload {
  return api.common.v1.Payload.decode(Buffer.from(b64, 'base64'));
}
