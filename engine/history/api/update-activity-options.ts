/**
 * UpdateActivityOptions (Temporal 1.27+): changes a pending activity's task queue, timeouts and retry policy, the
 * fields named by the update mask. A running attempt gets new deadlines at once (a timer for a later deadline is
 * armed; the earlier timer finds its deadline moved and stands down); the task queue and schedule-to-start
 * timeout apply from the next attempt. No history event is written (Temporal's writes none).
 */
import { InvalidArgumentError } from '../../errors.js';
import { durationFromMs, msFromDuration, type IRetryPolicy, type temporal, type Wire } from '../../proto.js';
import { TimeoutKind, type ActivityInfo } from '../../persistence/records.js';
import type { HistoryContext } from '../context.js';
import type { MutableState } from '../mutable-state.js';
import { retryPolicyInfo, retryPolicyProto } from '../state/activities.js';
import type { ActivityTarget } from './pause-activity.js';
import { selectActivities } from './pause-activity.js';
import { updateCurrentOrNamedRun } from './resolve.js';

type ActivityOptions = temporal.api.activity.v1.IActivityOptions;

/** A field-mask path in either spelling (`start_to_close_timeout` or `startToCloseTimeout`), camel-cased. */
function camel(path: string): string {
  return path.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase());
}

const RETRY_FIELDS = [
  'initialInterval',
  'backoffCoefficient',
  'maximumInterval',
  'maximumAttempts',
  'nonRetryableErrorTypes',
];

function apply(ms: MutableState, a: ActivityInfo, o: ActivityOptions, paths: string[]): void {
  const retry: IRetryPolicy = a.retry ? retryPolicyProto(a.retry) : {};
  let retryChanged = false;
  for (const path of paths.map(camel)) {
    if (path === 'taskQueue' || path === 'taskQueue.name') {
      if (!o.taskQueue?.name) throw new InvalidArgumentError('TaskQueue is not set on ActivityOptions.');
      a.taskQueue = o.taskQueue.name;
    } else if (path === 'scheduleToCloseTimeout') {
      a.scheduleToCloseTimeoutMs = msFromDuration(o.scheduleToCloseTimeout);
      if (a.scheduleToCloseTimeoutMs > 0)
        ms.addTimerTask(
          {
            kind: 'activity-timeout',
            scheduledEventId: a.scheduledEventId,
            attempt: 0,
            timeout: TimeoutKind.ScheduleToClose,
          },
          a.scheduledTimeMs + a.scheduleToCloseTimeoutMs * ms.timeScale,
        );
    } else if (path === 'scheduleToStartTimeout') {
      a.scheduleToStartTimeoutMs = msFromDuration(o.scheduleToStartTimeout);
    } else if (path === 'startToCloseTimeout') {
      a.startToCloseTimeoutMs = msFromDuration(o.startToCloseTimeout);
      if (a.startToCloseTimeoutMs <= 0) throw new InvalidArgumentError('StartToCloseTimeout must be greater than 0.');
      if (a.started)
        ms.addTimerTask(
          {
            kind: 'activity-timeout',
            scheduledEventId: a.scheduledEventId,
            attempt: a.attempt,
            timeout: TimeoutKind.StartToClose,
          },
          a.startedTimeMs + a.startToCloseTimeoutMs * ms.timeScale,
        );
    } else if (path === 'heartbeatTimeout') {
      a.heartbeatTimeoutMs = msFromDuration(o.heartbeatTimeout);
      if (a.started && a.heartbeatTimeoutMs > 0)
        ms.addTimerTask(
          {
            kind: 'activity-timeout',
            scheduledEventId: a.scheduledEventId,
            attempt: a.attempt,
            timeout: TimeoutKind.Heartbeat,
          },
          a.lastHeartbeatTimeMs + a.heartbeatTimeoutMs * ms.timeScale,
        );
    } else if (path === 'retryPolicy') {
      Object.assign(retry, o.retryPolicy ?? {});
      retryChanged = true;
    } else if (path.startsWith('retryPolicy.') && RETRY_FIELDS.includes(path.slice('retryPolicy.'.length))) {
      const field = path.slice('retryPolicy.'.length) as keyof IRetryPolicy;
      Object.assign(retry, { [field]: o.retryPolicy?.[field] });
      retryChanged = true;
    } else {
      throw new InvalidArgumentError(`UpdateMask path ${path} is not supported.`);
    }
  }
  if (retryChanged) a.retry = retryPolicyInfo(retry);
  ms.putActivity(a);
}

/** The options an activity now has, as the response reports them. */
function optionsOf(a: ActivityInfo): Wire<ActivityOptions> {
  return {
    taskQueue: { name: a.taskQueue },
    scheduleToCloseTimeout: durationFromMs(a.scheduleToCloseTimeoutMs),
    scheduleToStartTimeout: durationFromMs(a.scheduleToStartTimeoutMs),
    startToCloseTimeout: durationFromMs(a.startToCloseTimeoutMs),
    heartbeatTimeout: durationFromMs(a.heartbeatTimeoutMs),
    ...(a.retry ? { retryPolicy: retryPolicyProto(a.retry) } : {}),
  };
}

export async function updateActivityOptions(
  ctx: HistoryContext,
  t: ActivityTarget & { options: ActivityOptions; paths: string[] },
): Promise<Wire<temporal.api.workflowservice.v1.IUpdateActivityOptionsResponse>> {
  return updateCurrentOrNamedRun(ctx, t.namespaceId, t.workflowId, t.runId, (ms) => {
    const selected = selectActivities(ms, t);
    for (const a of selected) apply(ms, a, t.options, t.paths);
    const first = selected[0];
    return first ? { activityOptions: optionsOf(first) } : {};
  });
}
