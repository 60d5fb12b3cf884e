/**
 * Poller thread: a synthetic worker. It keeps workflow-task and activity polls outstanding, answers each
 * workflow task with the scenario's decider (over the full history) and each activity with the scenario's
 * handler, answers queries, and records workflow-level metrics: end-to-end time (from the intended start the
 * starter put in the workflow's header), task schedule-to-start, and how many runs closed.
 */
import { setMaxListeners } from 'node:events';
import type { temporal } from '@temporalio/proto';
import { SCENARIOS } from '../../scenarios/index.js';
import { compileOptions, type OptionValues, type OptionSpecs } from '../scenario-api/options.js';
import { DeciderTask, EventType, type HistoryEvent } from '../scenario-api/history.js';
import { fromPayload, fromPayloads, toPayloads } from '../scenario-api/payloads.js';
import { isCloseCommand, isContinueAsNew, type Command } from '../scenario-api/commands.js';
import type { AnyScenario, DeciderContext } from '../scenario-api/types.js';
import { nowUs } from '../recorder/clock.js';
import { hashString } from '../scenario-api/random.js';
import { errorType, runThread, seededRandom, type ThreadRuntime } from './runtime.js';
import { INTENDED_START_HEADER } from './starter-context.js';

type PollWorkflowTaskResponse = temporal.api.workflowservice.v1.PollWorkflowTaskQueueResponse;
type PollActivityTaskResponse = temporal.api.workflowservice.v1.PollActivityTaskQueueResponse;

const POLL_TIMEOUT_MS = 70_000;
const CALL_TIMEOUT_MS = 30_000;

function num(v: unknown): number {
  if (typeof v === 'number') return v;
  if (v && typeof v === 'object' && 'toNumber' in v) return (v as { toNumber(): number }).toNumber();
  return Number(v ?? 0);
}

function tsUs(t: { seconds?: unknown; nanos?: number | null } | null | undefined): number {
  return t ? num(t.seconds) * 1e6 + Math.floor((t.nanos ?? 0) / 1000) : 0;
}

runThread(async (rt) => {
  const scenario = SCENARIOS.get(rt.init.scenario);
  if (!scenario) throw new Error(`unknown scenario ${rt.init.scenario}`);
  const { values, problems } = compileOptions(
    scenario.options,
    rt.init.scenarioOptions,
    `scenario ${rt.init.scenario}`,
  );
  if (problems.length > 0) throw new Error(problems.join('; '));
  await rt.ready();
  await rt.waitForStart();
  const abort = new AbortController();
  // Every outstanding poll listens on this one signal.
  setMaxListeners(Infinity, abort.signal);
  void rt.waitForStop().then(() => abort.abort());
  const loops: Promise<void>[] = [];
  for (let i = 0; i < rt.init.workflowPollers; i++) loops.push(workflowLoop(rt, scenario, values, abort.signal));
  for (let i = 0; i < rt.init.activityPollers; i++) loops.push(activityLoop(rt, scenario, values, abort.signal));
  await Promise.all(loops);
});

async function workflowLoop(
  rt: ThreadRuntime,
  scenario: AnyScenario,
  o: OptionValues<OptionSpecs>,
  signal: AbortSignal,
): Promise<void> {
  const { init, client, recorder } = rt;
  while (!signal.aborted) {
    let task: PollWorkflowTaskResponse;
    const sent = nowUs();
    try {
      task = await client.call(
        'PollWorkflowTaskQueue',
        { namespace: init.namespace, taskQueue: { name: init.taskQueue, kind: 1 }, identity: init.identity },
        { timeoutMs: POLL_TIMEOUT_MS, signal },
      );
    } catch (err) {
      if (signal.aborted) return;
      recorder.error('poll_workflow_task', errorType(err));
      await backoff(signal);
      continue;
    }
    if (task.taskToken.length === 0) {
      recorder.count('empty_polls');
      continue;
    }
    recorder.recordService('poll_workflow_task', nowUs() - sent);
    rt.inFlight += 1;
    try {
      await handleWorkflowTask(rt, scenario, o, task);
    } finally {
      rt.inFlight -= 1;
    }
  }
}

async function fullHistory(rt: ThreadRuntime, task: PollWorkflowTaskResponse): Promise<HistoryEvent[]> {
  const events: HistoryEvent[] = [...(task.history?.events ?? [])];
  let token = task.nextPageToken;
  while (token && token.length > 0) {
    const page = await rt.client.call(
      'GetWorkflowExecutionHistory',
      { namespace: rt.init.namespace, execution: task.workflowExecution, nextPageToken: token },
      { timeoutMs: CALL_TIMEOUT_MS },
    );
    events.push(...(page.history?.events ?? []));
    token = page.nextPageToken;
  }
  return events;
}

async function handleWorkflowTask(
  rt: ThreadRuntime,
  scenario: AnyScenario,
  o: OptionValues<OptionSpecs>,
  task: PollWorkflowTaskResponse,
): Promise<void> {
  const { init, client, recorder } = rt;
  const scale = init.timeScale;
  const started = tsUs(task.startedTime);
  const scheduled = tsUs(task.scheduledTime);
  if (started > 0 && scheduled > 0)
    recorder.recordMetric('workflow_task_schedule_to_start', (started - scheduled) / scale);
  const events = await fullHistory(rt, task);
  const view = new DeciderTask(
    task.workflowExecution?.workflowId ?? '',
    task.workflowExecution?.runId ?? '',
    task.workflowType?.name ?? '',
    events,
    num(task.previousStartedEventId),
    task.attempt,
  );
  const ctx: DeciderContext = {
    count: (name, n = 1) => recorder.count(name, n),
    record: (metric, us) => recorder.recordMetric(metric, us),
    timeScale: scale,
  };

  if (task.query) {
    // A query task: answer from history, nothing else.
    let answer: unknown;
    let failure: string | undefined;
    try {
      answer = scenario.query?.(view, task.query.queryType ?? '', fromPayloads(task.query.queryArgs), o);
      if (!scenario.query) failure = `scenario ${scenario.name} answers no queries`;
    } catch (err) {
      failure = err instanceof Error ? err.message : String(err);
    }
    const sent = nowUs();
    try {
      await client.call(
        'RespondQueryTaskCompleted',
        {
          taskToken: task.taskToken,
          namespace: init.namespace,
          completedType: failure === undefined ? 1 : 2,
          ...(failure === undefined ? { queryResult: toPayloads(answer) } : { errorMessage: failure }),
        },
        { timeoutMs: CALL_TIMEOUT_MS },
      );
      recorder.recordService('respond_query_task', nowUs() - sent);
      recorder.count('queries_answered');
    } catch (err) {
      recorder.error('respond_query_task', errorType(err));
    }
    return;
  }

  let commands: Command[];
  try {
    commands = scenario.decide(view, o, ctx);
  } catch (err) {
    recorder.error('decide', errorType(err));
    await client
      .call(
        'RespondWorkflowTaskFailed',
        {
          taskToken: task.taskToken,
          namespace: init.namespace,
          cause: 14,
          identity: init.identity,
          failure: { message: err instanceof Error ? err.message : String(err), source: 'stampede' },
        },
        { timeoutMs: CALL_TIMEOUT_MS },
      )
      .catch((e: unknown) => recorder.error('respond_workflow_task_failed', errorType(e)));
    return;
  }
  const queryResults: Record<string, temporal.api.query.v1.IWorkflowQueryResult> = {};
  for (const [id, q] of Object.entries(task.queries ?? {})) {
    try {
      const answer = scenario.query?.(view, q.queryType ?? '', fromPayloads(q.queryArgs), o);
      queryResults[id] = { resultType: 1, answer: toPayloads(answer) };
    } catch (err) {
      queryResults[id] = { resultType: 2, errorMessage: err instanceof Error ? err.message : String(err) };
    }
  }
  // Carry the intended start across continue-as-new so the chain's end-to-end time is measured.
  const header = view.started.header;
  for (const c of commands) {
    if (isContinueAsNew(c) && c.continueAsNewWorkflowExecutionCommandAttributes && header) {
      c.continueAsNewWorkflowExecutionCommandAttributes.header = header;
    }
  }
  const sent = nowUs();
  try {
    await client.call(
      'RespondWorkflowTaskCompleted',
      { taskToken: task.taskToken, namespace: init.namespace, identity: init.identity, commands, queryResults },
      { timeoutMs: CALL_TIMEOUT_MS },
    );
  } catch (err) {
    // A closing task that raced new events (signals) is refused; the next task carries them. Expected under
    // fan-in, so counted rather than treated as an error.
    if (isUnhandledCommand(err)) recorder.count('workflow_tasks_unhandled_command');
    else recorder.error('respond_workflow_task', errorType(err));
    return;
  }
  const done = nowUs();
  recorder.recordService('respond_workflow_task', done - sent);
  recorder.count('workflow_tasks');
  recordEventMetrics(rt, view, done);
  const close = commands.find(isCloseCommand);
  if (close) {
    const continued = isContinueAsNew(close);
    recorder.count(continued ? 'workflows_continued' : 'workflows_closed');
    if (!continued) {
      const intended = fromPayload(header?.fields?.[INTENDED_START_HEADER]);
      if (typeof intended === 'number') recorder.recordMetric('workflow_e2e', done - intended);
    }
  }
}

/**
 * Workflow-level metrics from the events this task handled (recorded once the task is accepted, so a retried
 * task does not count twice):
 * - timer lateness: the TimerFired event's time minus the time the timer was due (started + start-to-fire), in
 *   virtual time (what the workflow's clock saw) and in real time (virtual / time scale);
 * - signal-to-handled: from the sender's stamp in the signal header to this worker's handling of the signal.
 */
function recordEventMetrics(rt: ThreadRuntime, view: DeciderTask, handledUs: number): void {
  const { recorder, init } = rt;
  for (const e of view.newEvents) {
    switch (e.eventType) {
      case EventType.EVENT_TYPE_TIMER_FIRED: {
        const startedId = num(e.timerFiredEventAttributes?.startedEventId);
        const started = eventById(view.events, startedId)?.timerStartedEventAttributes;
        if (!started) break;
        const dueUs = tsUs(eventById(view.events, startedId)?.eventTime) + durationUs(started.startToFireTimeout);
        const lateUs = tsUs(e.eventTime) - dueUs;
        if (lateUs < 0) recorder.count('timers_fired_early');
        recorder.recordMetric('timer_lateness_virtual', Math.max(0, lateUs));
        recorder.recordMetric('timer_lateness', Math.max(0, lateUs) / init.timeScale);
        break;
      }
      case EventType.EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED: {
        const sentUs = fromPayload(e.workflowExecutionSignaledEventAttributes?.header?.fields?.[INTENDED_START_HEADER]);
        if (typeof sentUs === 'number') recorder.recordMetric('signal_to_handled', Math.max(0, handledUs - sentUs));
        recorder.count('signals_handled');
        break;
      }
    }
  }
}

function isUnhandledCommand(err: unknown): boolean {
  return (
    typeof err === 'object' &&
    err !== null &&
    (err as { code?: unknown }).code === 3 &&
    String((err as { details?: unknown }).details).includes('UnhandledCommand')
  );
}

function eventById(events: readonly HistoryEvent[], id: number): HistoryEvent | undefined {
  const guess = events[id - 1];
  if (guess && num(guess.eventId) === id) return guess;
  return events.find((e) => num(e.eventId) === id);
}

function durationUs(d: { seconds?: unknown; nanos?: number | null } | null | undefined): number {
  return d ? num(d.seconds) * 1e6 + Math.floor((d.nanos ?? 0) / 1000) : 0;
}

async function activityLoop(
  rt: ThreadRuntime,
  scenario: AnyScenario,
  o: OptionValues<OptionSpecs>,
  signal: AbortSignal,
): Promise<void> {
  const { init, client, recorder } = rt;
  while (!signal.aborted) {
    let task: PollActivityTaskResponse;
    const sent = nowUs();
    try {
      task = await client.call(
        'PollActivityTaskQueue',
        { namespace: init.namespace, taskQueue: { name: init.taskQueue, kind: 1 }, identity: init.identity },
        { timeoutMs: POLL_TIMEOUT_MS, signal },
      );
    } catch (err) {
      if (signal.aborted) return;
      recorder.error('poll_activity_task', errorType(err));
      await backoff(signal);
      continue;
    }
    if (task.taskToken.length === 0) {
      recorder.count('empty_polls');
      continue;
    }
    recorder.recordService('poll_activity_task', nowUs() - sent);
    const started = tsUs(task.startedTime);
    const scheduled = tsUs(task.currentAttemptScheduledTime);
    if (started > 0 && scheduled > 0)
      recorder.recordMetric('activity_schedule_to_start', (started - scheduled) / init.timeScale);
    rt.inFlight += 1;
    try {
      await runActivity(rt, scenario, o, task);
    } finally {
      rt.inFlight -= 1;
    }
  }
}

async function runActivity(
  rt: ThreadRuntime,
  scenario: AnyScenario,
  o: OptionValues<OptionSpecs>,
  task: PollActivityTaskResponse,
): Promise<void> {
  const { init, client, recorder } = rt;
  const type = task.activityType?.name ?? '';
  const handler = scenario.activities[type];
  let result: unknown;
  let failure: string | undefined;
  try {
    if (!handler) throw new Error(`scenario ${scenario.name} has no activity ${type}`);
    result = await handler(
      fromPayloads(task.input),
      {
        attempt: task.attempt,
        workflowId: task.workflowExecution?.workflowId ?? '',
        activityId: task.activityId,
        random: seededRandom(hashString(`${task.workflowExecution?.workflowId}/${task.activityId}/${task.attempt}`)),
      },
      o,
    );
  } catch (err) {
    failure = err instanceof Error ? err.message : String(err);
  }
  const sent = nowUs();
  try {
    if (failure === undefined) {
      await client.call(
        'RespondActivityTaskCompleted',
        { taskToken: task.taskToken, namespace: init.namespace, identity: init.identity, result: toPayloads(result) },
        { timeoutMs: CALL_TIMEOUT_MS },
      );
      recorder.count('activities_completed');
    } else {
      await client.call(
        'RespondActivityTaskFailed',
        {
          taskToken: task.taskToken,
          namespace: init.namespace,
          identity: init.identity,
          failure: {
            message: failure,
            source: 'stampede',
            applicationFailureInfo: { type: 'ScenarioActivityFailure' },
          },
        },
        { timeoutMs: CALL_TIMEOUT_MS },
      );
      recorder.count('activities_failed');
    }
    recorder.recordService('respond_activity_task', nowUs() - sent);
  } catch (err) {
    recorder.error('respond_activity_task', errorType(err));
  }
}

function backoff(signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const t = setTimeout(resolve, 200);
    signal.addEventListener('abort', () => {
      clearTimeout(t);
      resolve();
    });
  });
}
