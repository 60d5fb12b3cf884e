/**
 * Poller thread: a synthetic worker. It keeps workflow-task polls outstanding on the task queue and as many on
 * its own sticky queue (whose tasks carry only new events, completed from the thread's history cache, as the SDKs do),
 * keeps activity polls outstanding, and answers each task with the scenario's decider or activity handler.
 * Activities on the worker's queue are requested eagerly (see workflow-task.ts) unless `--eager false`.
 */
import { randomUUID } from 'node:crypto';
import proto from '@temporalio/proto';
import { setMaxListeners } from 'node:events';
import { SCENARIOS } from '../../scenarios/index.js';
import { compileOptions } from '../../scenarios/sdk/option-specs.js';
import { nowUs } from '../recorder/wall-clock.js';
import { EagerActivitySlots, runActivity, type ActivityTask } from './activity-task.js';
import { StickyHistoryCache } from './sticky-cache.js';
import { errorType, runThread, type ThreadRuntime } from './runtime.js';
import { handleWorkflowTask, type WorkerContext, type WorkflowTask } from './answer-workflow-task.js';
import { COUNTER, METRIC, OP } from '../../result/catalogue.js';
import { tsUs } from './proto-time.js';
import type { WorkflowServiceClient } from '../client/workflow-service.js';

const KIND = proto.temporal.api.enums.v1.TaskQueueKind;
const POLL_TIMEOUT_MS = 70_000;
/** Runs kept in a poller thread's sticky cache (the SDKs' default workflow cache holds a few thousand). */
const STICKY_CACHE_RUNS = 10_000;
/** Workflow tasks (and, separately, activities) a poller thread works on at once. */
const TASK_SLOTS = 256;

runThread(async (rt) => {
  const scenario = SCENARIOS.get(rt.init.scenario);
  if (!scenario) throw new Error(`unknown scenario ${rt.init.scenario}`);
  const { values, problems } = compileOptions(
    scenario.options,
    rt.init.scenarioOptions,
    `scenario ${rt.init.scenario}`,
  );
  if (problems.length > 0) throw new Error(problems.join('; '));
  // As many polls on the sticky queue as on the normal one: which queue a task comes on depends on the
  // scenario (a workflow started eagerly gets its second task on the normal queue), and idle long polls cost little.
  const stickyPolls = rt.init.workflowPollers;
  const w: WorkerContext & { sticky: NonNullable<WorkerContext['sticky']> } = {
    rt,
    scenario,
    options: values,
    sticky: {
      queue: `${rt.init.taskQueue}-sticky-${rt.init.threadIndex}-${randomUUID().slice(0, 8)}`,
      cache: new StickyHistoryCache(STICKY_CACHE_RUNS),
    },
    ...(rt.eager ? { eagerSlots: new EagerActivitySlots(Math.max(1, rt.init.activityPollers) * 4) } : {}),
  };
  await rt.ready();
  await rt.waitForStart();
  const abort = new AbortController();
  // Every outstanding poll listens on this one signal.
  setMaxListeners(Infinity, abort.signal);
  void rt.waitForStop().then(() => abort.abort());
  const workflowSlots = new TaskSlots(rt, TASK_SLOTS);
  const activitySlots = new TaskSlots(rt, TASK_SLOTS);
  const loops: Promise<void>[] = [];
  // Each poll loop stays on one member, numbered across the run's poller threads, so that with several targets every
  // member's queues are polled (independent engines hand out only their own tasks).
  const member = (i: number, perThread: number) => rt.client.pinned(rt.init.threadIndex * perThread + i);
  const { workflowPollers, activityPollers } = rt.init;
  for (let i = 0; i < workflowPollers; i++)
    loops.push(workflowLoop(w, member(i, workflowPollers), workflowSlots, undefined, abort.signal));
  for (let i = 0; i < stickyPolls; i++)
    loops.push(workflowLoop(w, member(i, stickyPolls), workflowSlots, w.sticky.queue, abort.signal));
  for (let i = 0; i < activityPollers; i++)
    loops.push(activityLoop(w, member(i, activityPollers), activitySlots, abort.signal));
  await Promise.all(loops);
  await workflowSlots.drain();
  await activitySlots.drain();
  rt.recorder.count(COUNTER.stickyCacheHits, w.sticky.cache.hits);
  // Hand the sticky queue's tasks back to the normal queue at once (the SDKs' ShutdownWorker), on every member.
  await Promise.all(
    rt.client.all.map((c) =>
      c
        .call(
          'ShutdownWorker',
          { namespace: rt.init.namespace, stickyTaskQueue: w.sticky.queue, identity: rt.init.identity },
          { timeoutMs: 5_000 },
        )
        .catch(() => undefined),
    ),
  );
});

async function workflowLoop(
  w: WorkerContext,
  client: WorkflowServiceClient,
  slots: TaskSlots,
  stickyQueue: string | undefined,
  signal: AbortSignal,
): Promise<void> {
  const { rt } = w;
  const { init, recorder } = rt;
  const taskQueue = stickyQueue
    ? { name: stickyQueue, kind: KIND.TASK_QUEUE_KIND_STICKY, normalName: init.taskQueue }
    : { name: init.taskQueue, kind: KIND.TASK_QUEUE_KIND_NORMAL };
  while (!signal.aborted) {
    let task: WorkflowTask;
    const sent = nowUs();
    try {
      task = await client.call(
        'PollWorkflowTaskQueue',
        { namespace: init.namespace, taskQueue, identity: init.identity },
        { timeoutMs: POLL_TIMEOUT_MS, signal },
      );
    } catch (err) {
      if (signal.aborted) return;
      recorder.error(OP.pollWorkflowTask, errorType(err));
      await backoff(signal);
      continue;
    }
    if (task.taskToken.length === 0) {
      recorder.count(COUNTER.emptyPolls);
      continue;
    }
    const received = nowUs();
    recorder.recordService(OP.pollWorkflowTask, received - sent);
    rt.observeEngineClock(sent, received, tsUs(task.startedTime));
    await slots.run(() => handleWorkflowTask(w, task, 'poll'));
  }
}

/**
 * Task slots of a poller thread, shared by its poll loops: a loop hands the task it got to a slot and polls again
 * at once (as the SDKs' pollers feed their executors), so polls stay outstanding while tasks are worked on; when
 * every slot is busy the loop waits for one before it polls again.
 */
class TaskSlots {
  private readonly running = new Set<Promise<void>>();

  constructor(
    private readonly rt: ThreadRuntime,
    private readonly capacity: number,
  ) {}

  async run(work: () => Promise<void>): Promise<void> {
    this.rt.inFlight += 1;
    const p: Promise<void> = work()
      .catch(() => undefined)
      .finally(() => {
        this.rt.inFlight -= 1;
        this.running.delete(p);
      });
    this.running.add(p);
    while (this.running.size >= this.capacity) await Promise.race(this.running);
  }

  async drain(): Promise<void> {
    while (this.running.size > 0) await Promise.all([...this.running]);
  }
}

async function activityLoop(
  w: WorkerContext,
  client: WorkflowServiceClient,
  slots: TaskSlots,
  signal: AbortSignal,
): Promise<void> {
  const { rt } = w;
  const { init, recorder } = rt;
  while (!signal.aborted) {
    let task: ActivityTask;
    const sent = nowUs();
    try {
      task = await client.call(
        'PollActivityTaskQueue',
        {
          namespace: init.namespace,
          taskQueue: { name: init.taskQueue, kind: KIND.TASK_QUEUE_KIND_NORMAL },
          identity: init.identity,
        },
        { timeoutMs: POLL_TIMEOUT_MS, signal },
      );
    } catch (err) {
      if (signal.aborted) return;
      recorder.error(OP.pollActivityTask, errorType(err));
      await backoff(signal);
      continue;
    }
    if (task.taskToken.length === 0) {
      recorder.count(COUNTER.emptyPolls);
      continue;
    }
    const received = nowUs();
    recorder.recordService(OP.pollActivityTask, received - sent);
    const started = tsUs(task.startedTime);
    rt.observeEngineClock(sent, received, started);
    const scheduled = tsUs(task.currentAttemptScheduledTime);
    if (started > 0 && scheduled > 0)
      recorder.recordMetric(METRIC.activityScheduleToStart, (started - scheduled) / init.timeScale);
    await slots.run(() => runActivity(rt, w.scenario, w.options, task));
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
