/**
 * timers — each workflow starts many concurrent timers with jitter; when the first one fires, a share of the
 * rest is cancelled; the workflow completes once every timer has fired or been cancelled.
 *
 * What this stresses: the timer queue. Timers of many workflows fall due in the same moments (a thundering
 * herd: every workflow's timers land within the jitter window), each firing is a conditional write on its
 * shard and a workflow task, and cancellations delete pending timers. Timer lateness (actual − due fire time)
 * shows how far behind the queue falls, in real and in virtual time.
 */
import {
  cancelTimer,
  compressedTimeScale,
  completeWorkflow,
  defineScenario,
  startTimer,
  stableRandom,
  EventType,
  type Command,
} from './sdk/index.js';

const TYPE = 'timers';

export interface TimersResult {
  fired: number;
  cancelled: number;
}

export const timers = defineScenario({
  name: 'timers',
  summary: 'many jittered timers per workflow, some cancelled (timer-queue herd)',
  workflowTypes: [TYPE],
  stresses:
    'The timer queue: every workflow starts many timers that fall due within one jitter window (a thundering herd across workflows), each firing is a conditional write and a workflow task, and a share is cancelled before firing. Timer lateness shows how far the queue falls behind.',
  options: {
    timers: { type: 'integer', default: 20, min: 1, max: 10_000, describe: 'concurrent timers per workflow' },
    delay: { type: 'duration', default: '5s', min: '1ms', describe: 'base timer delay (durable, virtual time)' },
    jitter: { type: 'duration', default: '1s', describe: 'each timer fires at delay + uniform [0, jitter)' },
    cancelRatio: {
      type: 'ratio',
      default: 0.2,
      describe: 'share of timers cancelled when the first timer fires (those still pending)',
    },
  },
  // Long delays (--delay 30d) take about five seconds of real time unless --time-scale says otherwise.
  timeScale: (o) => compressedTimeScale(o.delay + o.jitter, 5000),
  async iterate(ctx) {
    await ctx.startWorkflow({ workflowId: ctx.workflowId(`timers-${ctx.iteration}`), workflowType: TYPE });
  },
  decide(task, o): Command[] {
    const state = task.timers();
    if (state.size === 0) {
      // Deterministic jitter (a decider must decide the same on replay): derived from the workflow id.
      return Array.from({ length: o.timers }, (_, i) =>
        startTimer(`t-${i}`, o.delay + Math.floor(stableRandom(`${task.workflowId}/${i}`) * o.jitter)),
      );
    }
    let fired = 0;
    let cancelled = 0;
    const pending: string[] = [];
    for (const [id, s] of state) {
      if (s === 'fired') fired += 1;
      else if (s === 'canceled') cancelled += 1;
      else pending.push(id);
    }
    if (pending.length === 0) return [completeWorkflow({ fired, cancelled } satisfies TimersResult)];
    // On the first firing, cancel the chosen share of the timers still pending.
    if (fired > 0 && !cancelDone(task)) {
      const chosen = pending.filter((id) => stableRandom(`${task.workflowId}/${id}/cancel`) < o.cancelRatio);
      if (chosen.length === pending.length) {
        return [...chosen.map(cancelTimer), completeWorkflow({ fired, cancelled: chosen.length })];
      }
      return chosen.map(cancelTimer);
    }
    return [];
  },
  activities: {},
  closesDuringRun: (o, env) => (o.delay + o.jitter) / env.timeScale <= env.drainTimeoutMs,
  async verify(v, o) {
    const problems: string[] = [];
    for (const id of (await v.workflowIds()).slice(0, v.sampleSize)) {
      const events = await v.history(id);
      const last = events[events.length - 1];
      if (last?.eventType !== EventType.EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED) continue;
      const started = events.filter((e) => e.eventType === EventType.EVENT_TYPE_TIMER_STARTED).length;
      const fired = events.filter((e) => e.eventType === EventType.EVENT_TYPE_TIMER_FIRED).length;
      const cancelled = events.filter((e) => e.eventType === EventType.EVENT_TYPE_TIMER_CANCELED).length;
      const result = (await v.result(id)) as TimersResult | undefined;
      if (started !== o.timers) problems.push(`${id}: ${started} timers started, expected ${o.timers}`);
      else if (fired + cancelled !== started)
        problems.push(`${id}: ${started} timers started but ${fired} fired + ${cancelled} cancelled`);
      else if (result?.fired !== fired || result.cancelled !== cancelled)
        problems.push(
          `${id}: result ${JSON.stringify(result)} disagrees with history (${fired} fired, ${cancelled} cancelled)`,
        );
    }
    return problems;
  },
});

/** Whether the cancelling decision has been made already (a task after the first firing). */
function cancelDone(task: { events: readonly { eventType?: unknown }[] }): boolean {
  let firedSeen = false;
  let completedAfterFire = 0;
  for (const e of task.events) {
    if (e.eventType === EventType.EVENT_TYPE_TIMER_FIRED) firedSeen = true;
    if (firedSeen && e.eventType === EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED) completedAfterFire += 1;
  }
  return completedAfterFire > 0;
}
