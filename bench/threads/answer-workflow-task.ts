/**
 * A synthetic worker's workflow task: assemble the run's history (the task's events, joined to the sticky cache
 * when the task came from the sticky queue), run the scenario's decider over it, answer queries, and complete the
 * task. Activities on the worker's own queue ask for eager execution when slots are free, and those the engine
 * hands back in the completion run here at once (Temporal's eager activity dispatch). Records the workflow-level
 * metrics: end-to-end time (from the intended start the starter put in the workflow's header), task
 * schedule-to-start and how many runs closed (event-level metrics: event-metrics.ts).
 */
import proto, { type temporal } from '@temporalio/proto';
import { DeciderTask, type HistoryEvent } from '../../scenarios/sdk/decider-task.js';
import { fromPayload, fromPayloads, toPayloads } from '../../scenarios/sdk/payloads.js';
import { isCloseCommand, isContinueAsNew, type Command } from '../../scenarios/sdk/commands.js';
import { asDecision, type Decision } from '../../scenarios/sdk/updates.js';
import type { OptionSpecs, OptionValues } from '../../scenarios/sdk/option-specs.js';
import type { AnyScenario, DeciderContext } from '../../scenarios/sdk/scenario.js';
import { nowUs } from '../recorder/wall-clock.js';
import { CALL_TIMEOUT_MS, runActivity, type EagerActivitySlots } from './activity-task.js';
import { eventIdOf, type StickyHistoryCache } from './sticky-cache.js';
import { grpc } from '../client/workflow-service.js';
import { errorType, type ThreadRuntime } from './runtime.js';
import { INTENDED_START_HEADER, ORIGIN_HEADER } from './starter-context.js';
import { recordEventMetrics } from './event-metrics.js';
import { COUNTER, ERROR_SOURCE, METRIC, OP } from '../../result/catalogue.js';
import { num, tsUs } from './proto-time.js';

export type WorkflowTask = temporal.api.workflowservice.v1.PollWorkflowTaskQueueResponse;

const enums = proto.temporal.api.enums.v1;
const STICKY = enums.TaskQueueKind.TASK_QUEUE_KIND_STICKY;

/** How long a sticky task may wait for this worker before the engine moves it to the normal queue. */
const STICKY_SCHEDULE_TO_START_S = 10;

/** What a thread needs to act as a worker. */
export interface WorkerContext {
  rt: ThreadRuntime;
  scenario: AnyScenario;
  options: OptionValues<OptionSpecs>;
  /** This worker's sticky queue and its history cache; absent: no stickiness (every task carries full history). */
  sticky?: { queue: string; cache: StickyHistoryCache };
  /** Slots for eager activities; absent: activities always go through matching. */
  eagerSlots?: EagerActivitySlots;
}

async function readPages(w: WorkerContext, task: WorkflowTask, first: HistoryEvent[]): Promise<HistoryEvent[]> {
  const events = first;
  let token = task.nextPageToken;
  while (token && token.length > 0) {
    const page = await w.rt.client.call(
      'GetWorkflowExecutionHistory',
      { namespace: w.rt.init.namespace, execution: task.workflowExecution, nextPageToken: token },
      { timeoutMs: CALL_TIMEOUT_MS },
    );
    events.push(...(page.history?.events ?? []));
    token = page.nextPageToken;
  }
  return events;
}

/** The run's whole history for this task: from the task (and its pages), the sticky cache, or a full read. */
async function historyOf(w: WorkerContext, task: WorkflowTask): Promise<HistoryEvent[]> {
  const events = await readPages(w, task, [...(task.history?.events ?? [])]);
  const first = eventIdOf(events[0]);
  if (first <= 1) return events;
  const runId = task.workflowExecution?.runId ?? '';
  const joined = w.sticky?.cache.join(runId, events, first);
  if (joined) return joined;
  // Not cached (evicted, or another worker's run): read the whole history, as an SDK does on a cache miss.
  w.rt.recorder.count(COUNTER.stickyCacheMisses);
  const all: HistoryEvent[] = [];
  let token: Uint8Array | undefined;
  do {
    const page = await w.rt.client.call(
      'GetWorkflowExecutionHistory',
      {
        namespace: w.rt.init.namespace,
        execution: task.workflowExecution,
        ...(token ? { nextPageToken: token } : {}),
      },
      { timeoutMs: CALL_TIMEOUT_MS },
    );
    all.push(...(page.history?.events ?? []));
    token = page.nextPageToken;
  } while (token && token.length > 0);
  // The task's own events from `first` on (they may include a transient attempt the store does not hold yet).
  return all.filter((e) => eventIdOf(e) < first).concat(events);
}

/** Handles one workflow task; `source` says where it came from (for counting). */
export async function handleWorkflowTask(
  w: WorkerContext,
  task: WorkflowTask,
  source: 'poll' | 'eager-start',
): Promise<void> {
  const { rt, scenario, options: o } = w;
  const { init, client, recorder } = rt;
  const scale = init.timeScale;
  const started = tsUs(task.startedTime);
  const scheduled = tsUs(task.scheduledTime);
  if (started > 0 && scheduled > 0)
    recorder.recordMetric(METRIC.workflowTaskScheduleToStart, (started - scheduled) / scale);
  if (source === 'eager-start') recorder.count(COUNTER.workflowTasksEager);
  const runId = task.workflowExecution?.runId ?? '';
  const events = await historyOf(w, task);
  const view = new DeciderTask(
    task.workflowExecution?.workflowId ?? '',
    runId,
    task.workflowType?.name ?? '',
    events,
    num(task.previousStartedEventId),
    task.attempt,
    task.messages ?? [],
  );
  const ctx: DeciderContext = {
    count: (name, n = 1) => recorder.count(name, n),
    record: (metric, us) => recorder.recordMetric(metric, us),
    timeScale: scale,
  };

  if (task.query) {
    await answerQueryTask(w, task, view);
    return;
  }

  let decision: Decision;
  try {
    decision = asDecision(scenario.decide(view, o, ctx));
  } catch (err) {
    w.sticky?.cache.drop(runId);
    recorder.error(ERROR_SOURCE.decide, errorType(err));
    await client
      .call(
        'RespondWorkflowTaskFailed',
        {
          taskToken: task.taskToken,
          namespace: init.namespace,
          cause: enums.WorkflowTaskFailedCause.WORKFLOW_TASK_FAILED_CAUSE_WORKFLOW_WORKER_UNHANDLED_FAILURE,
          identity: init.identity,
          failure: { message: err instanceof Error ? err.message : String(err), source: 'stampede' },
        },
        { timeoutMs: CALL_TIMEOUT_MS, routeKey: task.workflowExecution?.workflowId ?? undefined },
      )
      .catch((e: unknown) => recorder.error(ERROR_SOURCE.respondWorkflowTaskFailed, errorType(e)));
    return;
  }
  const { commands, messages } = decision;
  const queryResults: Record<string, temporal.api.query.v1.IWorkflowQueryResult> = {};
  for (const [id, q] of Object.entries(task.queries ?? {})) {
    try {
      const answer = scenario.query?.(view, q.queryType ?? '', fromPayloads(q.queryArgs), o);
      queryResults[id] = { resultType: enums.QueryResultType.QUERY_RESULT_TYPE_ANSWERED, answer: toPayloads(answer) };
    } catch (err) {
      queryResults[id] = {
        resultType: enums.QueryResultType.QUERY_RESULT_TYPE_FAILED,
        errorMessage: err instanceof Error ? err.message : String(err),
      };
    }
  }
  // Carry the intended start across continue-as-new so the chain's end-to-end time is measured.
  const header = view.started.header;
  for (const c of commands) {
    if (isContinueAsNew(c) && c.continueAsNewWorkflowExecutionCommandAttributes && header) {
      c.continueAsNewWorkflowExecutionCommandAttributes.header = header;
    }
  }
  const close = commands.find(isCloseCommand);
  const reserved = close ? 0 : requestEagerActivities(w, commands);
  const sticky = w.sticky && !close ? w.sticky : undefined;
  const sent = nowUs();
  let response: temporal.api.workflowservice.v1.RespondWorkflowTaskCompletedResponse;
  try {
    response = await client.call(
      'RespondWorkflowTaskCompleted',
      {
        taskToken: task.taskToken,
        namespace: init.namespace,
        identity: init.identity,
        commands,
        ...(messages.length > 0 ? { messages } : {}),
        queryResults,
        ...(sticky
          ? {
              stickyAttributes: {
                workerTaskQueue: { name: sticky.queue, kind: STICKY, normalName: init.taskQueue },
                scheduleToStartTimeout: { seconds: STICKY_SCHEDULE_TO_START_S },
              },
            }
          : {}),
      },
      { timeoutMs: CALL_TIMEOUT_MS, routeKey: task.workflowExecution?.workflowId ?? undefined },
    );
  } catch (err) {
    w.eagerSlots?.release(reserved);
    w.sticky?.cache.drop(runId);
    // A closing task that raced new events (signals) is refused; the next task carries them. Expected under
    // fan-in, so counted rather than treated as an error.
    if (isUnhandledCommand(err)) recorder.count(COUNTER.workflowTasksUnhandledCommand);
    else recorder.error(OP.respondWorkflowTask, errorType(err));
    return;
  }
  const done = nowUs();
  if (sticky) sticky.cache.put(runId, events);
  else w.sticky?.cache.drop(runId);
  recorder.recordService(OP.respondWorkflowTask, done - sent);
  recorder.count(COUNTER.workflowTasks);
  runEagerActivities(w, response.activityTasks ?? [], reserved);
  recordEventMetrics(rt, view, done);
  if (close) {
    const continued = isContinueAsNew(close);
    recorder.count(continued ? COUNTER.workflowsContinued : COUNTER.workflowsClosed);
    if (!continued) {
      const intended = fromPayload(header?.fields?.[INTENDED_START_HEADER]);
      // Measured only where the workflow was started: another process's intended start is on another clock.
      if (typeof intended === 'number') {
        if (fromPayload(header?.fields?.[ORIGIN_HEADER]) === rt.init.origin)
          recorder.recordMetric(METRIC.workflowE2e, done - intended);
        else recorder.count(COUNTER.workflowsClosedForeign);
      }
    }
  }
}

/**
 * Marks the activities on this worker's own queue for eager execution, as many as there are free slots (at most
 * 3 per task, as the SDKs do); returns how many slots it reserved.
 */
function requestEagerActivities(w: WorkerContext, commands: Command[]): number {
  const slots = w.eagerSlots;
  if (!slots) return 0;
  const own = commands.filter((c) => {
    const a = c.scheduleActivityTaskCommandAttributes;
    return a && (!a.taskQueue?.name || a.taskQueue.name === w.rt.init.taskQueue);
  });
  const reserved = slots.reserve(own.length);
  own.slice(0, reserved).forEach((c) => {
    if (c.scheduleActivityTaskCommandAttributes) c.scheduleActivityTaskCommandAttributes.requestEagerExecution = true;
  });
  return reserved;
}

function runEagerActivities(
  w: WorkerContext,
  tasks: temporal.api.workflowservice.v1.IPollActivityTaskQueueResponse[],
  reserved: number,
): void {
  const slots = w.eagerSlots;
  // The engine may hand back fewer than asked for (the rest went to matching): free their slots now.
  slots?.release(Math.max(0, reserved - tasks.length));
  for (const t of tasks) {
    w.rt.recorder.count(COUNTER.activitiesEager);
    // Started in the same transaction that scheduled it: the schedule-to-start the engine reports (about 0).
    const started = tsUs(t.startedTime);
    const scheduled = tsUs(t.currentAttemptScheduledTime);
    if (started > 0 && scheduled > 0)
      w.rt.recorder.recordMetric(METRIC.activityScheduleToStart, (started - scheduled) / w.rt.init.timeScale);
    const task = t as temporal.api.workflowservice.v1.PollActivityTaskQueueResponse;
    w.rt.background(runActivity(w.rt, w.scenario, w.options, task).finally(() => slots?.release(1)));
  }
}

async function answerQueryTask(w: WorkerContext, task: WorkflowTask, view: DeciderTask): Promise<void> {
  const { rt, scenario, options: o } = w;
  let answer: unknown;
  let failure: string | undefined;
  try {
    answer = scenario.query?.(view, task.query?.queryType ?? '', fromPayloads(task.query?.queryArgs), o);
    if (!scenario.query) failure = `scenario ${scenario.name} answers no queries`;
  } catch (err) {
    failure = err instanceof Error ? err.message : String(err);
  }
  const sent = nowUs();
  try {
    await rt.client.call(
      'RespondQueryTaskCompleted',
      {
        taskToken: task.taskToken,
        namespace: rt.init.namespace,
        completedType:
          failure === undefined
            ? enums.QueryResultType.QUERY_RESULT_TYPE_ANSWERED
            : enums.QueryResultType.QUERY_RESULT_TYPE_FAILED,
        ...(failure === undefined ? { queryResult: toPayloads(answer) } : { errorMessage: failure }),
      },
      { timeoutMs: CALL_TIMEOUT_MS, routeKey: task.workflowExecution?.workflowId ?? undefined },
    );
    rt.recorder.recordService(OP.respondQueryTask, nowUs() - sent);
    rt.recorder.count(COUNTER.queriesAnswered);
  } catch (err) {
    rt.recorder.error(OP.respondQueryTask, errorType(err));
  }
}

function isUnhandledCommand(err: unknown): boolean {
  return (
    typeof err === 'object' &&
    err !== null &&
    (err as { code?: unknown }).code === grpc.status.INVALID_ARGUMENT &&
    String((err as { details?: unknown }).details).includes('UnhandledCommand')
  );
}
