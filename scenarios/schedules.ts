/**
 * schedules — many cron workflows firing at the same virtual instants: each start is a cron chain (`--every`), every
 * chain started within one period fires at the same period boundary, and each chain fires `--fires` times (its last
 * firing cancels itself, which ends a cron chain). The embedded engine runs one period in about a second of real
 * time.
 *
 * What this stresses: the thundering herd on the timer queue. Every firing is a backoff timer falling due at the same
 * instant as every other chain's, then a workflow task, a close and the next run's start in one transaction. Schedule
 * lateness (the firing's first workflow task against its due time) shows how far behind the queue falls; the run
 * fails when more than `--late-share` of the firings are later than `--late-after`, stated as a gate threshold on
 * `schedule_lateness`.
 */
import { cancelWorkflow, completeWorkflow, defineScenario, EventType, msOf, type Command } from './sdk/index.js';

const TYPE = 'schedules';
const MINUTE = 60_000;
const HOUR = 60 * MINUTE;

/** What each firing passes to the next (its result, read back as the next run's last completion result). */
export interface ChainState {
  fired: number;
  /** The cron slots of the firings so far (epoch ms, virtual). */
  slots: number[];
}

/** A cron expression for a period of whole minutes dividing an hour, or whole hours dividing a day. */
export function cronFor(everyMs: number): string | undefined {
  if (everyMs % MINUTE !== 0) return undefined;
  const minutes = everyMs / MINUTE;
  if (minutes < 60) return 60 % minutes === 0 ? `*/${minutes} * * * *` : undefined;
  const hours = everyMs / HOUR;
  return Number.isInteger(hours) && 24 % hours === 0 ? `0 */${hours} * * *` : undefined;
}

/** The percentile a share names: at most 1 % late is p99. */
function percentileFor(share: number): string {
  return `p${Number((100 * (1 - share)).toFixed(4))}`;
}

export const schedules = defineScenario({
  name: 'schedules',
  summary: 'many cron workflows firing at the same instants (timer-queue herd), with a lateness gate',
  workflowTypes: [TYPE],
  stresses:
    "The thundering herd on the timer queue: every chain's firing is a backoff timer due at the same instant as the others', then a workflow task, a close and the next run's start in one transaction. Schedule lateness shows how far behind the queue falls; the run fails when more than --late-share of the firings are later than --late-after.",
  options: {
    every: {
      type: 'duration',
      default: '1m',
      min: '1m',
      describe: 'the cron period (whole minutes dividing an hour, or whole hours dividing a day; virtual time)',
    },
    fires: { type: 'integer', default: 3, min: 1, max: 1000, describe: 'firings of each cron chain' },
    lateAfter: {
      type: 'duration',
      default: '1s',
      describe: 'a firing is late when its first workflow task comes this long (real time) after it was due',
    },
    lateShare: {
      type: 'ratio',
      default: 0.01,
      describe: 'the run fails when more than this share of the firings is late (1: never)',
    },
  },
  check(o) {
    return cronFor(o.every) === undefined
      ? [`scenario schedules --every must be whole minutes dividing an hour or whole hours dividing a day`]
      : [];
  },
  // One period in about a second of real time (against a real Temporal, real time).
  timeScale: (o) => o.every / 1000,
  thresholds(o) {
    if (o.lateShare >= 1) return [];
    const stat = o.lateShare <= 0 ? 'max' : percentileFor(o.lateShare);
    return [`${stat}(schedule_lateness)<=${o.lateAfter}ms`];
  },
  async iterate(ctx, o) {
    await ctx.startWorkflow({
      workflowId: ctx.workflowId(`cron-${ctx.iteration}`),
      workflowType: TYPE,
      cronSchedule: cronFor(o.every) ?? '',
      extraRuns: o.fires - 1,
    });
  },
  decide(task, o): Command[] {
    const before = task.lastCompletionResult<ChainState>() ?? { fired: 0, slots: [] };
    const backoff = task.started.firstWorkflowTaskBackoff;
    const due = msOf(task.events[0]) + Number(backoff?.seconds ?? 0) * 1000 + Math.floor((backoff?.nanos ?? 0) / 1e6);
    // The backoff is rounded up to whole seconds (as Temporal's): the slot is the period boundary it falls after.
    const slot = Math.floor(due / o.every) * o.every;
    const state: ChainState = { fired: before.fired + 1, slots: [...before.slots, slot] };
    // A cancelled run has no next: the chain's last firing ends it.
    return [state.fired >= o.fires ? cancelWorkflow(state) : completeWorkflow(state)];
  },
  activities: {},
  closesDuringRun: (o, env) => (o.every * (o.fires + 1)) / env.timeScale <= env.drainTimeoutMs,
  async verify(v, o) {
    const problems: string[] = [];
    for (const id of (await v.workflowIds()).slice(0, v.sampleSize)) {
      const events = await v.history(id);
      const last = events[events.length - 1];
      if (last?.eventType !== EventType.EVENT_TYPE_WORKFLOW_EXECUTION_CANCELED) {
        problems.push(`${id}: the chain's last run ended with ${EventType[last?.eventType ?? 0] ?? 'nothing'}`);
        continue;
      }
      const details = last.workflowExecutionCanceledEventAttributes?.details?.payloads?.[0]?.data;
      const state = details ? (JSON.parse(new TextDecoder().decode(details)) as ChainState) : undefined;
      if (state?.fired !== o.fires || state.slots.length !== o.fires) {
        problems.push(`${id}: fired ${state?.fired ?? 0} times, expected ${o.fires}`);
        continue;
      }
      // Each slot ran exactly once, in order; a missed slot is skipped by cron's policy (the next one runs).
      for (let i = 1; i < state.slots.length; i++) {
        const gap = (state.slots[i] ?? 0) - (state.slots[i - 1] ?? 0);
        if (gap <= 0) problems.push(`${id}: slot ${state.slots[i]} ran again or out of order`);
        else if (gap % o.every !== 0) problems.push(`${id}: slots ${gap} ms apart, not a multiple of the period`);
      }
    }
    return problems;
  },
});
