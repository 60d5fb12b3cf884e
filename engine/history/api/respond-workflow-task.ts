/**
 * RespondWorkflowTaskCompleted / RespondWorkflowTaskFailed. Completion validates every command first (a bad
 * command fails the task with its cause, as Temporal does), refuses to close the run while unseen events wait
 * (UNHANDLED_COMMAND), then writes WorkflowTaskCompleted, the commands' events and the buffered events in one
 * batch, and schedules the next workflow task when the worker has something new to see.
 */
import { randomUUID } from 'node:crypto';
import { InvalidArgumentError } from '../../errors.js';
import { enums, msFromDuration, type IFailure, type IHistoryEvent, type temporal, type Wire } from '../../proto.js';
import type { ActivityInfo, ExecutionInfo } from '../../persistence/records.js';
import { trackBuildId } from '../state/build-ids.js';
import { StateDefaults } from '../state/config.js';
import type { HistoryContext } from '../context.js';
import { COMMANDS, UNSUPPORTED_CAUSE, type CommandEnv, type ValidationState } from '../commands/index.js';
import type { MutableState } from '../mutable-state.js';
import { PendingCounts } from '../commands/pending-limits.js';
import {
  completeWorkflowTask,
  failWorkflowTask,
  requireInFlight,
  scheduleWorkflowTask,
  startWorkflowTask,
  transientEvents,
} from '../state/workflow-task.js';
import type { WorkflowTaskToken } from '../task-token.js';
import { cacheKeyOf } from '../transaction.js';
import { BAD_UPDATE_MESSAGE_CAUSE, UpdateMessages } from '../updates/completion.js';
import { deliverUpdates } from '../updates/deliver.js';
import { dispatchQueryTask } from './query-workflow.js';
import { startEventForNextRun } from '../event-reader.js';
import { activityTaskResponse } from './record-activity-task-started.js';
import { workflowTaskResponse, type WorkflowTaskView } from './workflow-task-response.js';

type CompletedRequest = temporal.api.workflowservice.v1.IRespondWorkflowTaskCompletedRequest;
type CompletedResponse = Wire<temporal.api.workflowservice.v1.IRespondWorkflowTaskCompletedResponse>;

const Cause = enums.WorkflowTaskFailedCause;

interface Outcome {
  rejected?: string;
  newTask?: WorkflowTaskView;
  /** Activities started eagerly, with what their task responses need. */
  eagerActivities?: { info: ExecutionInfo; activities: { a: ActivityInfo; event: IHistoryEvent }[] };
  pendingTask: boolean;
  taskQueue: string;
}

export async function respondWorkflowTaskCompleted(
  ctx: HistoryContext,
  token: WorkflowTaskToken,
  req: CompletedRequest,
  namespaceName = '',
  searchAttributesProblem?: ValidationState['searchAttributesProblem'],
): Promise<CompletedResponse> {
  const shard = ctx.shardFor(token.ns, token.wid);
  const key = { namespaceId: token.ns, workflowId: token.wid, runId: token.rid };
  const identity = req.identity ?? '';
  const closes = (req.commands ?? []).some(
    (c) =>
      c.commandType === enums.CommandType.COMMAND_TYPE_COMPLETE_WORKFLOW_EXECUTION ||
      c.commandType === enums.CommandType.COMMAND_TYPE_FAIL_WORKFLOW_EXECUTION,
  );
  const startEvent = closes ? await startEventForNextRun(ctx, shard, key) : undefined;
  const outcome = await ctx.tx.update(shard, key, (ms): Outcome => {
    const wt = requireInFlight(ms, token.sid, token.tid, token.a);
    const commands = req.commands ?? [];
    const runKey = cacheKeyOf(key);
    const fail = (cause: number, problem: string): Outcome => {
      const message = `${causeShorthand(cause)}: ${problem}`;
      // Temporal persists only the first failure of a task that keeps failing; later attempts change nothing and
      // are left to time out, so a stuck workflow costs one attempt per (stretched) task timeout, not a hot loop.
      if (wt.attempt > 1) throw new InvalidArgumentError(message);
      failWorkflowTask(ms, wt, cause, { message, serverFailureInfo: { nonRetryable: false } }, identity);
      // Temporal's abort on a task failed by the server: updates sent on it fail, admitted ones are retried.
      ms.onCommit(() => ctx.updates.abortRun(runKey, 'workflow-task-failed'));
      return { rejected: message, pendingTask: true, taskQueue: ms.info.taskQueue };
    };

    const updates = UpdateMessages.check(ctx, ms, req.messages ?? [], commands);
    if (typeof updates === 'string') return fail(BAD_UPDATE_MESSAGE_CAUSE, updates);
    const seen: ValidationState = {
      activityIds: new Set(),
      timerIds: new Set(),
      childWorkflowIds: new Set(),
      searchAttributesProblem,
    };
    const pending = new PendingCounts(ms, ctx.config.limits);
    for (const c of commands) {
      const type = c.commandType ?? 0;
      if (type === enums.CommandType.COMMAND_TYPE_PROTOCOL_MESSAGE) continue;
      const handler = COMMANDS.get(type);
      const problem = handler
        ? handler.validate(c, ms, seen, namespaceName)
        : `${enums.CommandType[type] ?? `command type ${type}`} is not supported by the stampede reference engine`;
      const overLimit = problem === undefined ? pending.check(c, ms) : undefined;
      if (overLimit) {
        ctx.config.limitCounters.pendingLimitFailures += 1;
        failWorkflowTask(ms, wt, overLimit.cause, { message: overLimit.message, source: 'Server' }, identity);
        return { rejected: overLimit.message, pendingTask: true, taskQueue: ms.info.taskQueue };
      }
      if (problem !== undefined) {
        const cause =
          handler?.cause ?? UNSUPPORTED_CAUSE.get(type) ?? Cause.WORKFLOW_TASK_FAILED_CAUSE_UNHANDLED_COMMAND;
        return fail(cause, problem);
      }
    }
    const closing = commands.some((c) => COMMANDS.get(c.commandType ?? 0)?.closes);
    if (closing && ms.hasBufferedEvents()) {
      // New events arrived while the task ran: the worker must see them before it may close the run. Like
      // Temporal, the failed task is persisted and the worker is told with InvalidArgument.
      failWorkflowTask(
        ms,
        wt,
        Cause.WORKFLOW_TASK_FAILED_CAUSE_UNHANDLED_COMMAND,
        { message: 'UnhandledCommand', source: 'Server' },
        identity,
      );
      return { rejected: 'UnhandledCommand', pendingTask: true, taskQueue: ms.info.taskQueue };
    }

    const completed = completeWorkflowTask(ms, wt, {
      identity,
      binaryChecksum: req.binaryChecksum ?? '',
      sdkMetadata: req.sdkMetadata ?? null,
      workerVersion: req.workerVersionStamp ?? null,
    });
    trackBuildId(ms, req.workerVersionStamp);
    const sticky = req.stickyAttributes?.workerTaskQueue?.name;
    ms.info.stickyTaskQueue = sticky ?? '';
    ms.info.stickyScheduleToStartTimeoutMs = sticky
      ? msFromDuration(req.stickyAttributes?.scheduleToStartTimeout) || StateDefaults.stickyScheduleToStartTimeoutMs
      : 0;

    const env: CommandEnv = {
      namespace: namespaceName,
      ...(startEvent ? { startEvent } : {}),
      workflowTaskCompletedEventId: Number(completed.eventId),
      identity,
      batchFirstEventId: ms.newEvents[0] ? Number(ms.newEvents[0].eventId) : Number(completed.eventId),
      needsWorkflowTask: false,
      ...(commands.some((c) => c.scheduleActivityTaskCommandAttributes?.requestEagerExecution)
        ? {
            eager: {
              taskQueue: ms.info.taskQueue,
              remaining: StateDefaults.maxEagerActivitiesPerWorkflowTask,
              started: [],
            },
          }
        : {}),
    };
    for (const c of commands) {
      if (c.commandType === enums.CommandType.COMMAND_TYPE_PROTOCOL_MESSAGE) {
        // Update acceptances and responses are written where their command stands, among the others' events.
        updates.applyCommand(ms, c, env.batchFirstEventId);
        continue;
      }
      const handler = COMMANDS.get(c.commandType ?? 0);
      if (!handler) continue;
      const before = ms.newEvents.length;
      handler.apply(c, ms, env);
      // The command's user metadata (summary, details) goes on the event it produced, as Temporal records it.
      const produced = ms.newEvents[before];
      if (c.userMetadata && produced) produced.userMetadata = c.userMetadata;
      if (handler.closes) break;
    }
    updates.finish(ms, env.batchFirstEventId, req.forceCreateNewWorkflowTask === true);

    let newTask: WorkflowTaskView | undefined;
    if (ms.isRunning()) {
      const flushed = ms.flushBufferedEvents();
      // Updates admitted while this task ran wait for the next one.
      const admitted = ctx.updates.inFlight(runKey).some((u) => u.state === 'admitted');
      if (flushed.length > 0 || env.needsWorkflowTask || req.forceCreateNewWorkflowTask || admitted) {
        const scheduled = scheduleWorkflowTask(ms);
        if (scheduled && req.returnNewWorkflowTask) {
          const { wt: started } = startWorkflowTask(ms, scheduled.scheduledEventId, randomUUID(), identity);
          newTask = {
            info: { ...ms.info },
            wt: { ...started },
            previousStartedEventId: ms.info.lastCompletedWorkflowTaskStartedEventId,
            transient: transientEvents(ms),
            messages: deliverUpdates(ctx, ms, started.startedEventId, false),
          };
        }
      }
    }
    // A completion that also closed the run hands out no activities: they would only find the run gone.
    const eagerStarted = ms.isRunning() ? (env.eager?.started ?? []) : [];
    const eagerActivities =
      eagerStarted.length > 0
        ? {
            info: { ...ms.info },
            activities: eagerStarted.flatMap(({ scheduledEventId, event }) => {
              const a = ms.activities.get(scheduledEventId);
              return a ? [{ a: { ...a }, event }] : [];
            }),
          }
        : undefined;
    return {
      ...(newTask ? { newTask } : {}),
      ...(eagerActivities ? { eagerActivities } : {}),
      pendingTask: ms.hasPendingWorkflowTask(),
      taskQueue: ms.info.taskQueue,
    };
  });

  settleQueries(ctx, key, token.tid, req.queryResults ?? {}, outcome);
  if (outcome.rejected) throw new InvalidArgumentError(outcome.rejected);
  const eager = outcome.eagerActivities;
  const activityTasks = eager
    ? eager.activities.map(({ a, event }) => activityTaskResponse(key, namespaceName, eager.info, a, event))
    : undefined;
  if (!outcome.newTask) return activityTasks ? { activityTasks } : {};
  const runKey = cacheKeyOf(key);
  const queries = ctx.queries.attach(runKey, outcome.newTask.wt.startedEventId);
  return {
    workflowTask: await workflowTaskResponse(ctx, outcome.newTask, queries, 0),
    ...(activityTasks ? { activityTasks } : {}),
  };
}

/** Go's String() of a cause, which Temporal puts before the detail: BAD_START_TIMER_ATTRIBUTES -> BadStartTimerAttributes. */
export function causeShorthand(cause: number): string {
  const name = enums.WorkflowTaskFailedCause[cause] ?? 'Unspecified';
  return name
    .replace('WORKFLOW_TASK_FAILED_CAUSE_', '')
    .toLowerCase()
    .split('_')
    .map((w) => w.charAt(0).toUpperCase() + w.slice(1))
    .join('');
}

/** Answers the queries the task carried; the rest wait for the next task or go out as query tasks. */
function settleQueries(
  ctx: HistoryContext,
  key: { namespaceId: string; workflowId: string; runId: string },
  startedEventId: number,
  results: Record<string, temporal.api.query.v1.IWorkflowQueryResult>,
  outcome: Outcome,
): void {
  const runKey = cacheKeyOf(key);
  for (const [id, r] of Object.entries(results)) {
    const answered = r.resultType === enums.QueryResultType.QUERY_RESULT_TYPE_ANSWERED;
    ctx.queries.complete(
      id,
      answered
        ? { answer: r.answer ?? null }
        : { errorMessage: r.errorMessage || 'query failed', failure: r.failure ?? null },
    );
  }
  ctx.queries.detach(runKey, startedEventId);
  if (!outcome.pendingTask) {
    for (const id of ctx.queries.waiting(runKey))
      dispatchQueryTask(ctx, key, id, outcome.taskQueue, ctx.config.longPollTimeoutMs);
  }
}

export async function respondWorkflowTaskFailed(
  ctx: HistoryContext,
  token: WorkflowTaskToken,
  cause: number,
  failure: IFailure | null | undefined,
  identity: string,
): Promise<void> {
  const shard = ctx.shardFor(token.ns, token.wid);
  const key = { namespaceId: token.ns, workflowId: token.wid, runId: token.rid };
  await ctx.tx.update(shard, key, (ms: MutableState) => {
    const wt = requireInFlight(ms, token.sid, token.tid, token.a);
    failWorkflowTask(
      ms,
      wt,
      cause || Cause.WORKFLOW_TASK_FAILED_CAUSE_WORKFLOW_WORKER_UNHANDLED_FAILURE,
      failure,
      identity,
    );
  });
  ctx.queries.detach(cacheKeyOf(key), token.tid);
}
