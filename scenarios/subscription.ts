/**
 * subscription — per customer: loop { charge; sleep one billing period } for a number of cycles, until a
 * `cancel` signal; on cancel, a send-email activity, then complete.
 *
 * What this stresses: the durable-timer path and long-lived state. Every customer holds one open execution
 * for the whole subscription, a timer per billing period sits in the shard's timer queue (a 30-day sleep is
 * compressed by the engine's time scale), each cycle is an activity with server-side retries (a failure rate
 * exercises retry timers and attempt bookkeeping), and cancellations arrive as signals at random points of a
 * subscription's life — while a timer is pending, or while a charge is in flight (buffered events).
 */
import {
  cancelTimer,
  compressedTimeScale,
  completeWorkflow,
  defineScenario,
  failWorkflow,
  isNotFound,
  scheduleActivity,
  startTimer,
  EventType,
  type Command,
  type DeciderTask,
} from './sdk/index.js';

const TYPE = 'subscription';

export interface SubscriptionResult {
  charges: number;
  cancelled: boolean;
}

/** The state of one subscription, read from its history. */
function stateOf(task: DeciderTask): {
  /** Charges scheduled, completed; the last charge's state. */
  scheduled: number;
  completed: number;
  chargeInFlight: boolean;
  /** Periods whose timer fired or was cancelled, and a pending period timer. */
  periodsDone: number;
  pendingTimer: string | undefined;
  cancelled: boolean;
  email: 'none' | 'scheduled' | 'completed' | 'failed';
} {
  const acts = task.activities();
  let scheduled = 0;
  let completed = 0;
  let chargeInFlight = false;
  let failed = false;
  for (const [id, a] of acts) {
    if (!id.startsWith('charge-')) continue;
    scheduled += 1;
    if (a.state === 'completed') completed += 1;
    else if (a.state === 'scheduled') chargeInFlight = true;
    else failed = true;
  }
  if (failed) throw new Error('a charge activity failed for good (the retry policy is unlimited)');
  let periodsDone = 0;
  let pendingTimer: string | undefined;
  for (const [id, t] of task.timers()) {
    if (t === 'started') pendingTimer = id;
    else periodsDone += 1;
  }
  const email = acts.get('email');
  return {
    scheduled,
    completed,
    chargeInFlight,
    periodsDone,
    pendingTimer,
    cancelled: task.signals().some((s) => s.name === 'cancel'),
    email:
      email === undefined
        ? 'none'
        : email.state === 'completed'
          ? 'completed'
          : email.state === 'scheduled'
            ? 'scheduled'
            : 'failed',
  };
}

export const subscription = defineScenario({
  name: 'subscription',
  summary: 'charge, sleep a billing period, repeat; cancel by signal (durable timers, retries)',
  workflowTypes: [TYPE],
  stresses:
    'Durable timers and long-lived executions: one open run per customer for the whole subscription, a billing-period timer per cycle in the timer queue (compressed by the time scale), charge activities with server-side retries, and cancel signals arriving at random points (while a timer is pending or a charge is in flight).',
  options: {
    customers: {
      type: 'integer',
      default: 0,
      min: 0,
      describe: 'customers who sign up over the run (caps iterations; 0: one per iteration until the run ends)',
    },
    cycles: { type: 'integer', default: 3, min: 1, max: 100_000, describe: 'billing cycles of a subscription' },
    period: { type: 'duration', default: '30d', min: '1ms', describe: 'billing period (durable, virtual time)' },
    cancelRate: { type: 'ratio', default: 0.1, describe: 'share of customers who cancel during their subscription' },
    failureRate: {
      type: 'ratio',
      default: 0.05,
      describe: 'chance that one charge attempt fails (retried by the server)',
    },
  },
  check(o) {
    return o.failureRate >= 1
      ? ['scenario subscription --failure-rate must be below 1 (charges would never succeed)']
      : [];
  },
  // A long billing period takes about one second of real time unless --time-scale says otherwise.
  timeScale: (o) => compressedTimeScale(o.period, 1000),
  iterations: (o) => (o.customers > 0 ? o.customers : undefined),
  async iterate(ctx, o) {
    const workflowId = ctx.workflowId(`sub-${ctx.iteration}`);
    await ctx.startWorkflow({ workflowId, workflowType: TYPE, input: { customer: ctx.iteration } });
    ctx.expect(workflowId, 'subscriptions', 1);
    if (ctx.random() < o.cancelRate) {
      // Cancel somewhere in the subscription's life (real time), often while a period timer is pending.
      const lifeMs = (o.cycles * o.period) / ctx.timeScale;
      ctx.later(ctx.random() * lifeMs * 0.9, async () => {
        try {
          await ctx.signalWorkflow({ workflowId, name: 'cancel' });
          ctx.expect(workflowId, 'cancels', 1);
          ctx.count('cancels_sent');
        } catch (err) {
          // The subscription ran out before the cancel arrived: not an error of the engine.
          if (!isNotFound(err)) throw err;
          ctx.count('cancels_after_close');
        }
      });
    }
  },
  decide(task, o): Command[] {
    const s = stateOf(task);
    if (s.cancelled) {
      if (s.chargeInFlight) return []; // finish the charge in flight, then cancel
      switch (s.email) {
        case 'completed':
          return [completeWorkflow({ charges: s.completed, cancelled: true } satisfies SubscriptionResult)];
        case 'scheduled':
          return [];
        case 'failed':
          return [failWorkflow('the cancellation email failed for good')];
        case 'none': {
          const out: Command[] = [];
          if (s.pendingTimer) out.push(cancelTimer(s.pendingTimer));
          out.push(scheduleActivity('email', 'send-email', { template: 'cancelled' }, emailOptions));
          return out;
        }
      }
    }
    if (s.chargeInFlight || s.pendingTimer) return [];
    // Charge k, then sleep period k; after the last period the term ends.
    if (s.scheduled > s.periodsDone) {
      return [startTimer(`period-${s.scheduled}`, o.period)];
    }
    if (s.scheduled >= o.cycles) {
      return [completeWorkflow({ charges: s.completed, cancelled: false } satisfies SubscriptionResult)];
    }
    return [scheduleActivity(`charge-${s.scheduled + 1}`, 'charge', { cycle: s.scheduled + 1 }, chargeOptions)];
  },
  activities: {
    charge: (_input, ctx, o) => {
      if (ctx.random() < o.failureRate) throw new Error('card declined (synthetic)');
      return { ok: true, attempt: ctx.attempt };
    },
    'send-email': () => ({ sent: true }),
  },
  closesDuringRun: (o, env) => (o.cycles * o.period) / env.timeScale <= env.drainTimeoutMs,
  async verify(v, o) {
    const problems: string[] = [];
    const ids = (await v.workflowIds()).slice(0, v.sampleSize);
    for (const id of ids) {
      const events = await v.history(id);
      const last = events[events.length - 1];
      if (last?.eventType !== EventType.EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED) continue; // still running
      const result = (await v.result(id)) as SubscriptionResult | undefined;
      const charges = events.filter((e) => {
        if (e.eventType !== EventType.EVENT_TYPE_ACTIVITY_TASK_COMPLETED) return false;
        const scheduled = events.find(
          (x) => Number(x.eventId) === Number(e.activityTaskCompletedEventAttributes?.scheduledEventId),
        );
        return scheduled?.activityTaskScheduledEventAttributes?.activityType?.name === 'charge';
      }).length;
      const emails = events.filter(
        (e) => e.activityTaskScheduledEventAttributes?.activityType?.name === 'send-email',
      ).length;
      const cancelsDelivered = v.expected.get(id)?.cancels ?? 0;
      if (!result) problems.push(`${id}: completed without a result`);
      else if (result.charges !== charges)
        problems.push(`${id}: result says ${result.charges} charges, history has ${charges}`);
      else if (!result.cancelled && charges !== o.cycles)
        problems.push(`${id}: charged ${charges} times over a ${o.cycles}-cycle subscription`);
      else if (result.cancelled && (charges > o.cycles || emails !== 1))
        problems.push(`${id}: cancelled after ${charges} charges with ${emails} emails`);
      else if (cancelsDelivered > 0 && !result.cancelled)
        problems.push(`${id}: a cancel signal was delivered but the subscription ran its term`);
    }
    return problems;
  },
});

const chargeOptions = {
  startToCloseMs: 10_000,
  retry: { initialIntervalMs: 1000, backoff: 2, maximumIntervalMs: 60_000, maximumAttempts: 0 },
};
const emailOptions = { startToCloseMs: 10_000, retry: { initialIntervalMs: 1000, maximumAttempts: 0 } };
