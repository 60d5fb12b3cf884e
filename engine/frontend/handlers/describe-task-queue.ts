/**
 * DescribeTaskQueue in Temporal's legacy mode: the pollers seen in the last five minutes (identity, last access),
 * and on request the queue's status (backlog hint, read and ack levels, the task id block this engine leased) and
 * backlog statistics. Add and dispatch rates are not measured by the reference engine and are reported as 0.
 */
import { InvalidArgumentError } from '../../errors.js';
import { durationFromMs, enums, timestampFromMs, type temporal } from '../../proto.js';
import type { Handler } from '../handler.js';
import { checkTaskQueue, requireNamespace } from '../validate.js';

/** Temporal's matching.PollerHistoryTTL. */
const POLLER_HISTORY_TTL_MS = 5 * 60_000;
/** What Temporal reports as a poller's rate when the worker set no limit. */
const DEFAULT_POLLER_RATE = 100_000;

const QueueType = enums.TaskQueueType;

export const describeTaskQueue: Handler<
  temporal.api.workflowservice.v1.IDescribeTaskQueueRequest,
  temporal.api.workflowservice.v1.IDescribeTaskQueueResponse
> = async (fe, req) => {
  const ns = await fe.namespaces.byNameOrThrow(requireNamespace(req.namespace));
  const tq = checkTaskQueue(req.taskQueue);
  if (req.apiMode === enums.DescribeTaskQueueMode.DESCRIBE_TASK_QUEUE_MODE_ENHANCED)
    throw new InvalidArgumentError(
      'DescribeTaskQueue in enhanced mode is not supported by the stampede reference engine.',
    );
  const type = req.taskQueueType ?? QueueType.TASK_QUEUE_TYPE_UNSPECIFIED;
  if (type === QueueType.TASK_QUEUE_TYPE_NEXUS)
    throw new InvalidArgumentError('Nexus task queues are not supported by the stampede reference engine.');
  const queue = fe.matching.existing(
    ns.id,
    tq.name,
    type === QueueType.TASK_QUEUE_TYPE_ACTIVITY ? 'activity' : 'workflow',
  );
  const now = fe.clock.now();
  const pollers = (queue?.recentPollers(now, POLLER_HISTORY_TTL_MS) ?? []).map((p) => ({
    identity: p.identity,
    lastAccessTime: timestampFromMs(p.lastAccessMs),
    ratePerSecond: DEFAULT_POLLER_RATE,
  }));
  const status = queue?.status();
  const oldest = queue?.oldestBufferedMs() ?? 0;
  return {
    pollers,
    ...(req.includeTaskQueueStatus
      ? {
          taskQueueStatus: {
            backlogCountHint: status?.backlogCountHint ?? 0,
            readLevel: status?.readLevel ?? 0,
            ackLevel: status?.ackLevel ?? 0,
            ratePerSecond: DEFAULT_POLLER_RATE,
            taskIdBlock: { startId: status?.startId ?? 0, endId: status?.endId ?? 0 },
          },
        }
      : {}),
    ...(req.reportStats
      ? {
          stats: {
            approximateBacklogCount: status?.backlogCountHint ?? 0,
            approximateBacklogAge: durationFromMs(oldest > 0 ? Math.max(0, now - oldest) : 0),
            tasksAddRate: 0,
            tasksDispatchRate: 0,
          },
        }
      : {}),
  };
};
