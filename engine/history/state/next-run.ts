/**
 * A run that ends but whose chain goes on: a workflow retry (retry policy, after a failure or a run timeout) or the
 * next cron run (after any completion, failure or run timeout). As Temporal's SetupNewWorkflowForRetryOrCron, the
 * new run is built from the original start event (input, header, memo, search attributes, policies; upserts made
 * during the run are lost), keeps the chain's first run, expiry and parent, and waits out its backoff before its
 * first workflow task.
 */
import { randomUUID } from 'node:crypto';
import { enums, msFromDuration, type IFailure, type IHistoryEvent, type IPayloads, type Wire } from '../../proto.js';
import { cronBackoffMs, parseCron } from '../../common/cron.js';
import type { MutableState } from '../mutable-state.js';
import { newRun } from './start.js';

const RetryState = enums.RetryState;
const Initiator = enums.ContinueAsNewInitiator;

/** Temporal's history.workflowIdReuseMinimalInterval: a run never follows its predecessor sooner than this. */
const MIN_RUN_INTERVAL_MS = 1_000;

export type NextRun =
  | { kind: 'retry'; backoffMs: number; failure: IFailure }
  | {
      kind: 'cron';
      backoffMs: number;
      failure: IFailure | undefined;
      lastCompletionResult: Wire<IPayloads> | undefined;
    };

/** Temporal's IsRetryableFailure (common/retrypolicy). */
function retryable(failure: IFailure, nonRetryableTypes: string[]): boolean {
  if (failure.terminatedFailureInfo || failure.canceledFailureInfo) return false;
  const timeout = failure.timeoutFailureInfo;
  if (timeout) {
    const type = timeout.timeoutType ?? 0;
    const name = (enums.TimeoutType[type] ?? '').replace('TIMEOUT_TYPE_', '');
    if (nonRetryableTypes.includes(`TemporalTimeout:${name}`)) return false;
    return type === enums.TimeoutType.TIMEOUT_TYPE_START_TO_CLOSE || type === enums.TimeoutType.TIMEOUT_TYPE_HEARTBEAT;
  }
  if (failure.serverFailureInfo) return !failure.serverFailureInfo.nonRetryable;
  const app = failure.applicationFailureInfo;
  if (app) return !app.nonRetryable && !nonRetryableTypes.includes(app.type ?? '');
  return true;
}

/** Temporal's ContinueAsNewMinBackoff. */
function minBackoff(ms: MutableState, backoffMs: number): number {
  const lifetimeMs = ms.nowMs - ms.info.executionTimeMs;
  return lifetimeMs + backoffMs < MIN_RUN_INTERVAL_MS ? MIN_RUN_INTERVAL_MS - lifetimeMs : backoffMs;
}

/** The retry decision for a failed or timed-out run: a backoff, or the retry state that says why not. */
export function retryBackoff(ms: MutableState, failure: IFailure): { backoffMs: number } | { retryState: number } {
  const r = ms.info.retryPolicy;
  if (!r) return { retryState: RetryState.RETRY_STATE_RETRY_POLICY_NOT_SET };
  if (!retryable(failure, r.nonRetryableErrorTypes))
    return { retryState: RetryState.RETRY_STATE_NON_RETRYABLE_FAILURE };
  const explicit = msFromDuration(failure.applicationFailureInfo?.nextRetryDelay);
  if (r.maximumAttempts > 0 && ms.info.attempt >= r.maximumAttempts)
    return { retryState: RetryState.RETRY_STATE_MAXIMUM_ATTEMPTS_REACHED };
  const intervalMs =
    explicit > 0
      ? explicit
      : Math.min(r.initialIntervalMs * r.backoffCoefficient ** (ms.info.attempt - 1), r.maximumIntervalMs);
  const expiry = ms.info.executionExpirationTimeMs;
  if (expiry > 0 && ms.nowMs + intervalMs > expiry) return { retryState: RetryState.RETRY_STATE_TIMEOUT };
  return { backoffMs: minBackoff(ms, intervalMs) };
}

/** The next cron run's backoff, or undefined when the run has no cron schedule. */
export function cronNext(ms: MutableState): number | undefined {
  if (!ms.info.cronSchedule) return undefined;
  const schedule = parseCron(ms.info.cronSchedule);
  if (typeof schedule === 'string') return undefined;
  return minBackoff(ms, cronBackoffMs(schedule, ms.info.executionTimeMs, ms.nowMs));
}

/**
 * Creates the next run of the chain in this transaction (the close event of this run must name its id: call
 * before writing it with the returned id). `startEvent` is this run's WorkflowExecutionStarted.
 */
export function startNextRun(ms: MutableState, next: NextRun, startEvent: IHistoryEvent): string {
  const s = startEvent.workflowExecutionStartedEventAttributes ?? {};
  const runId = randomUUID();
  const retry = next.kind === 'retry';
  ms.newRun = newRun(
    {
      namespaceId: ms.info.namespaceId,
      workflowId: ms.info.workflowId,
      runId,
      firstRunId: ms.info.firstRunId,
      requestId: randomUUID(),
      workflowType: ms.info.workflowType,
      taskQueue: ms.info.taskQueue,
      input: s.input,
      workflowRunTimeoutMs: ms.info.workflowRunTimeoutMs,
      workflowExecutionTimeoutMs: ms.info.workflowExecutionTimeoutMs,
      executionExpirationTimeMs: ms.info.executionExpirationTimeMs,
      workflowTaskTimeoutMs: ms.info.workflowTaskTimeoutMs,
      retentionMs: ms.info.retentionMs,
      identity: '',
      header: s.header,
      memo: s.memo,
      searchAttributes: s.searchAttributes,
      retryPolicy: s.retryPolicy,
      continuedExecutionRunId: ms.info.runId,
      initiator: retry ? Initiator.CONTINUE_AS_NEW_INITIATOR_RETRY : Initiator.CONTINUE_AS_NEW_INITIATOR_CRON_SCHEDULE,
      lastCompletionResult: retry ? s.lastCompletionResult : next.lastCompletionResult,
      continuedFailure: next.failure,
      timeScale: ms.timeScale,
      parent: ms.info.parent,
      ...(ms.info.parent ? { root: { workflowId: ms.info.rootWorkflowId, runId: ms.info.rootRunId } } : {}),
      attempt: retry ? ms.info.attempt + 1 : 1,
      ...(ms.info.cronSchedule ? { cronSchedule: ms.info.cronSchedule } : {}),
      firstWorkflowTaskBackoffMs: next.backoffMs,
    },
    ms.nowMs,
  );
  ms.info.newRunId = runId;
  return runId;
}
