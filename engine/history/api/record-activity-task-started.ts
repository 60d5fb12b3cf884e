/**
 * RecordActivityTaskStarted (matching -> history): marks the attempt started (no event yet, Temporal's model)
 * and returns the poll response. Input and header come from the ActivityTaskScheduled event: the event cache,
 * or on a miss one history node (the batch that holds it).
 */
import { timestampFromMs, durationFromMs, type IHistoryEvent, type temporal, type Wire } from '../../proto.js';
import type { ActivityInfo, ExecutionInfo, MatchingTask, WorkflowKey } from '../../persistence/records.js';
import type { HistoryContext } from '../context.js';
import { StaleTaskError } from '../errors.js';
import { decodePayloadsB64, retryPolicyProto, startActivity } from '../state/activities.js';
import { encodeTaskToken } from '../task-token.js';
import { cacheKeyOf } from '../transaction.js';
import { isMissing } from '../tasks/missing.js';
import { readEvent } from '../event-reader.js';

type PollResponse = Wire<temporal.api.workflowservice.v1.IPollActivityTaskQueueResponse>;

export async function recordActivityTaskStarted(
  ctx: HistoryContext,
  task: MatchingTask,
  poll: { identity: string; requestId: string; namespaceName: string },
): Promise<PollResponse | undefined> {
  const shard = ctx.shardFor(task.namespaceId, task.workflowId);
  const key = { namespaceId: task.namespaceId, workflowId: task.workflowId, runId: task.runId };
  let started;
  try {
    started = await ctx.tx.update(shard, key, (ms) => {
      const { activity } = startActivity(ms, task.scheduledEventId, task.attempt, poll.requestId, poll.identity);
      return { a: { ...activity }, info: { ...ms.info } };
    });
  } catch (err) {
    if (err instanceof StaleTaskError || isMissing(err)) return undefined;
    throw err;
  }
  const { a, info } = started;
  const scheduled = await readEvent(ctx, cacheKeyOf(key), info, a.scheduledEventBatchId, a.scheduledEventId);
  return activityTaskResponse(key, poll.namespaceName, info, a, scheduled);
}

/** A PollActivityTaskQueueResponse for a started attempt (a poll, or eager dispatch in a workflow task's reply). */
export function activityTaskResponse(
  key: WorkflowKey,
  namespaceName: string,
  info: ExecutionInfo,
  a: ActivityInfo,
  scheduled: IHistoryEvent | undefined,
): PollResponse {
  const attrs = scheduled?.activityTaskScheduledEventAttributes;
  return {
    taskToken: encodeTaskToken({
      k: 'a',
      ns: key.namespaceId,
      wid: key.workflowId,
      rid: key.runId,
      sid: a.scheduledEventId,
      a: a.attempt,
      aid: a.activityId,
    }),
    workflowNamespace: namespaceName,
    workflowType: { name: info.workflowType },
    workflowExecution: { workflowId: info.workflowId, runId: info.runId },
    activityType: { name: a.activityType },
    activityId: a.activityId,
    ...(attrs?.header ? { header: attrs.header } : {}),
    ...(attrs?.input ? { input: attrs.input } : {}),
    ...(a.heartbeatDetails ? { heartbeatDetails: decodePayloadsB64(a.heartbeatDetails) } : {}),
    scheduledTime: timestampFromMs(a.scheduledTimeMs),
    currentAttemptScheduledTime: timestampFromMs(a.attemptScheduledTimeMs),
    startedTime: timestampFromMs(a.startedTimeMs),
    attempt: a.attempt,
    scheduleToCloseTimeout: durationFromMs(a.scheduleToCloseTimeoutMs),
    startToCloseTimeout: durationFromMs(a.startToCloseTimeoutMs),
    heartbeatTimeout: durationFromMs(a.heartbeatTimeoutMs),
    ...(a.retry ? { retryPolicy: retryPolicyProto(a.retry) } : {}),
  };
}
