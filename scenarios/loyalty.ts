/**
 * loyalty — a forever function per customer account: `notify-purchase` signals add points, a `get-points`
 * query reads them, a coupon activity fires each time the points pass another threshold, and the run
 * continues as new after a number of purchases to bound its history. At the end of the run a
 * `close-account` signal completes each account with its totals.
 *
 * What this stresses: the entity-workflow pattern. Long-lived executions driven by signals (signal-with-start
 * opens an account on its first purchase), queries answered by the worker from history while signals keep
 * arriving, activities scheduled from signal handling, and continue-as-new carrying state across runs.
 */
import {
  completeWorkflow,
  continueAsNew,
  defineScenario,
  failWorkflow,
  scheduleActivity,
  type Command,
  type DeciderTask,
} from './sdk/index.js';

const TYPE = 'loyalty';

interface Account {
  points: number;
  coupons: number;
}

export type LoyaltyResult = Account;

/** The account as of this task: carried state plus this run's purchases and completed coupons. */
function accountOf(task: DeciderTask): Account & {
  purchases: number;
  couponsPending: number;
  couponsScheduled: number;
  couponFailed: boolean;
  closing: boolean;
} {
  const carried = task.input<Account | undefined>() ?? { points: 0, coupons: 0 };
  let points = carried.points;
  let purchases = 0;
  let closing = false;
  for (const s of task.signals()) {
    if (s.name === 'notify-purchase') {
      points += (s.input as { points?: number } | undefined)?.points ?? 0;
      purchases += 1;
    } else if (s.name === 'close-account') closing = true;
  }
  let coupons = carried.coupons;
  let couponsPending = 0;
  let couponsScheduled = 0;
  let couponFailed = false;
  for (const a of task.activities().values()) {
    couponsScheduled += 1;
    if (a.state === 'completed') coupons += 1;
    else if (a.state === 'scheduled') couponsPending += 1;
    else couponFailed = true;
  }
  return { points, coupons, purchases, couponsPending, couponsScheduled, couponFailed, closing };
}

export const loyalty = defineScenario({
  name: 'loyalty',
  summary: 'forever function: purchase signals, get-points queries, coupons, continue-as-new',
  workflowTypes: [TYPE],
  stresses:
    'The entity pattern: long-lived accounts opened by signal-with-start and driven by purchase signals, get-points queries answered from history while signals keep arriving, coupon activities scheduled from signal handling, and continue-as-new carrying state across runs.',
  options: {
    customers: { type: 'integer', default: 100, min: 1, max: 1_000_000, describe: 'loyalty accounts (workflows)' },
    maxPoints: { type: 'integer', default: 100, min: 1, describe: 'points per purchase: uniform 1..max' },
    threshold: {
      type: 'integer',
      default: 1000,
      min: 1,
      describe: 'a coupon is issued each time points pass a multiple of this',
    },
    continueAfter: {
      type: 'integer',
      default: 100,
      min: 1,
      describe: 'purchases a run handles before it continues as new',
    },
    queryRatio: { type: 'ratio', default: 0.1, describe: 'share of purchases followed by a get-points query' },
  },
  async iterate(ctx, o) {
    const workflowId = ctx.workflowId(`account-${ctx.iteration % o.customers}`);
    const points = 1 + Math.floor(ctx.random() * o.maxPoints);
    ctx.expect(workflowId, 'pointsSent', points);
    await ctx.signalWithStart({
      workflowId,
      workflowType: TYPE,
      input: { points: 0, coupons: 0 } satisfies Account,
      signal: 'notify-purchase',
      signalInput: { points },
    });
    ctx.expect(workflowId, 'pointsAcked', points);
    if (ctx.random() < o.queryRatio) {
      const seen = await ctx.queryWorkflow({ workflowId, queryType: 'get-points' });
      if (typeof seen !== 'number') throw new Error(`get-points answered ${JSON.stringify(seen)}`);
    }
  },
  decide(task, o): Command[] {
    const a = accountOf(task);
    if (a.couponFailed) return [failWorkflow('a coupon activity failed for good (the retry policy is unlimited)')];
    const due = Math.floor(a.points / o.threshold);
    const issued = task.input<Account | undefined>()?.coupons ?? 0;
    const out: Command[] = [];
    // Coupons owed beyond those issued by earlier runs and scheduled in this one.
    for (let k = issued + a.couponsScheduled + 1; k <= due; k++) {
      out.push(scheduleActivity(`coupon-${k}`, 'issue-coupon', { coupon: k }, couponOptions));
    }
    if (out.length > 0 || a.couponsPending > 0) return out; // let the coupons finish before closing or continuing
    const account: Account = { points: a.points, coupons: a.coupons };
    if (a.closing) return [completeWorkflow(account satisfies LoyaltyResult)];
    if (a.purchases >= o.continueAfter) return [continueAsNew(TYPE, task.started.taskQueue?.name ?? '', account)];
    return [];
  },
  query(task, queryType) {
    if (queryType !== 'get-points') throw new Error(`unknown query ${queryType}`);
    return accountOf(task).points;
  },
  activities: {
    'issue-coupon': (input) => ({ issued: (input as { coupon?: number } | undefined)?.coupon ?? 0 }),
  },
  closesDuringRun: () => true,
  async finish(ctx) {
    await Promise.all(
      [...ctx.expected.keys()].map((workflowId) => ctx.signalWorkflow({ workflowId, name: 'close-account' })),
    );
  },
  async verify(v, o) {
    const problems: string[] = [];
    for (const [id, e] of [...v.expected].slice(0, v.sampleSize)) {
      const result = (await v.result(id)) as LoyaltyResult | undefined;
      const acked = e.pointsAcked ?? 0;
      const sent = e.pointsSent ?? 0;
      if (!result) problems.push(`${id}: no result (account still open?)`);
      else if (result.points < acked || result.points > sent)
        problems.push(`${id}: ${result.points} points; purchases acknowledged ${acked}, sent ${sent}`);
      else if (result.coupons !== Math.floor(result.points / o.threshold))
        problems.push(`${id}: ${result.coupons} coupons for ${result.points} points (threshold ${o.threshold})`);
    }
    return problems;
  },
});

const couponOptions = { startToCloseMs: 10_000, retry: { initialIntervalMs: 1000, maximumAttempts: 0 } };
