/** DescribeWorkflowExecution: configuration, status and pending work of a run, from its mutable state. */
import { durationFromMs, enums, timestampFromMs, type temporal, type Wire } from '../../proto.js';
import type { ActivityInfo } from '../../persistence/records.js';
import type { HistoryContext } from '../context.js';
import { decodeFailure, decodePayloadsB64, retryPolicyProto } from '../state/activities.js';
import { decodePayloadB64 } from '../state/start.js';
import { resolveRun } from './resolve.js';
import { readEvent } from '../event-reader.js';
import { cacheKeyOf } from '../transaction.js';

type Response = Wire<temporal.api.workflowservice.v1.IDescribeWorkflowExecutionResponse>;

export async function describeWorkflow(
  ctx: HistoryContext,
  namespaceId: string,
  workflowId: string,
  runId: string,
): Promise<Response> {
  const { shard, key } = await resolveRun(ctx, namespaceId, workflowId, runId);
  const ms = await ctx.tx.read(shard, key);
  const i = ms.info;
  const closed = !ms.isRunning();
  const payloadMap = (m: Record<string, string>) =>
    Object.fromEntries(Object.entries(m).map(([k, v]) => [k, decodePayloadB64(v)]));
  const pendingActivities: Wire<temporal.api.workflow.v1.IPendingActivityInfo>[] = [...ms.activities.values()].map(
    (a) => ({
      activityId: a.activityId,
      activityType: { name: a.activityType },
      state: activityState(a),
      attempt: a.attempt,
      maximumAttempts: a.retry?.maximumAttempts ?? 0,
      scheduledTime: timestampFromMs(a.attemptScheduledTimeMs),
      ...(a.started
        ? { lastStartedTime: timestampFromMs(a.startedTimeMs), lastWorkerIdentity: a.startedIdentity }
        : {}),
      ...(a.heartbeatDetails ? { heartbeatDetails: decodePayloadsB64(a.heartbeatDetails) } : {}),
      ...(a.lastHeartbeatTimeMs ? { lastHeartbeatTime: timestampFromMs(a.lastHeartbeatTimeMs) } : {}),
      ...(a.lastFailure ? { lastFailure: decodeFailure(a.lastFailure) } : {}),
      ...(a.retry ? { retryPolicy: retryPolicyProto(a.retry) } : {}),
      ...(a.pause
        ? {
            paused: true,
            pauseInfo: {
              pauseTime: timestampFromMs(a.pause.pauseTimeMs),
              manual: { identity: a.pause.identity, reason: a.pause.reason },
            },
          }
        : {}),
    }),
  );
  const wt = i.workflowTask;
  const userMetadata = i.hasUserMetadata ? (await readEvent(ctx, cacheKeyOf(key), i, 1, 1))?.userMetadata : undefined;
  const pendingChildren = Object.values(i.children).map((c) => ({
    workflowId: c.workflowId,
    runId: c.startedRunId,
    workflowTypeName: c.workflowType,
    initiatedId: c.initiatedEventId,
    parentClosePolicy: c.parentClosePolicy,
  }));
  return {
    executionConfig: {
      taskQueue: { name: i.taskQueue, kind: enums.TaskQueueKind.TASK_QUEUE_KIND_NORMAL },
      // Unset timeouts are absent (null to the SDK), as Temporal leaves them, not zero durations.
      ...(i.workflowExecutionTimeoutMs > 0
        ? { workflowExecutionTimeout: durationFromMs(i.workflowExecutionTimeoutMs) }
        : {}),
      ...(i.workflowRunTimeoutMs > 0 ? { workflowRunTimeout: durationFromMs(i.workflowRunTimeoutMs) } : {}),
      defaultWorkflowTaskTimeout: durationFromMs(i.workflowTaskTimeoutMs),
      ...(userMetadata ? { userMetadata } : {}),
    },
    workflowExecutionInfo: {
      execution: { workflowId: i.workflowId, runId: i.runId },
      type: { name: i.workflowType },
      startTime: timestampFromMs(i.startTimeMs),
      executionTime: timestampFromMs(i.executionTimeMs),
      ...(closed ? { closeTime: timestampFromMs(i.closeTimeMs) } : {}),
      status: i.status,
      historyLength: i.nextEventId - 1,
      historySizeBytes: i.historySizeBytes,
      taskQueue: i.taskQueue,
      firstRunId: i.firstRunId,
      memo: { fields: payloadMap(i.memo) },
      searchAttributes: { indexedFields: payloadMap(i.searchAttributes) },
      stateTransitionCount: ms.dbRecordVersion,
      ...(i.parent
        ? {
            parentExecution: { workflowId: i.parent.workflowId, runId: i.parent.runId },
            parentNamespaceId: i.parent.namespaceId,
          }
        : {}),
      rootExecution: { workflowId: i.rootWorkflowId, runId: i.rootRunId },
    },
    pendingActivities,
    pendingChildren,
    ...(wt
      ? {
          pendingWorkflowTask: {
            state:
              wt.startedEventId > 0
                ? enums.PendingWorkflowTaskState.PENDING_WORKFLOW_TASK_STATE_STARTED
                : enums.PendingWorkflowTaskState.PENDING_WORKFLOW_TASK_STATE_SCHEDULED,
            scheduledTime: timestampFromMs(wt.scheduledTimeMs),
            originalScheduledTime: timestampFromMs(wt.scheduledTimeMs),
            ...(wt.startedEventId > 0 ? { startedTime: timestampFromMs(wt.startedTimeMs) } : {}),
            attempt: wt.attempt,
          },
        }
      : {}),
  };
}

/** Temporal's pending-activity state: a pause shows as PAUSE_REQUESTED while the attempt still runs. */
function activityState(a: ActivityInfo): number {
  const S = enums.PendingActivityState;
  if (a.cancelRequested) return S.PENDING_ACTIVITY_STATE_CANCEL_REQUESTED;
  if (a.pause) return a.started ? S.PENDING_ACTIVITY_STATE_PAUSE_REQUESTED : S.PENDING_ACTIVITY_STATE_PAUSED;
  return a.started ? S.PENDING_ACTIVITY_STATE_STARTED : S.PENDING_ACTIVITY_STATE_SCHEDULED;
}
