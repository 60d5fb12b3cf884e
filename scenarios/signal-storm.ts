/**
 * signal-storm — a few long-lived workflows receive a high rate of signals from many concurrent senders
 * (signal-with-start, so the first signal opens each workflow); each run counts what it handled and
 * continues as new after a number of signals to bound its history; at the end of the run a `finish` signal
 * closes every workflow with its total.
 *
 * What this stresses: fan-in onto single executions. Every signal is a conditional write on the same run and
 * the same shard, so updates queue behind each other (lock waits), signals that arrive while a workflow task
 * is in flight are buffered and written when it completes, a closing task that raced new signals is failed
 * (UnhandledCommand), and on Cassandra the shard's LWTs serialize. Signal-to-handled latency shows what a
 * sender waits for a reaction.
 */
import { completeWorkflow, continueAsNew, defineScenario, type Command } from './sdk/index.js';

const TYPE = 'signal-storm';

interface StormInput {
  /** Signals handled by the earlier runs of the chain. */
  handled: number;
}

export interface StormResult {
  handled: number;
}

export const signalStorm = defineScenario({
  name: 'signal-storm',
  summary: 'a few workflows, a high rate of signals from many senders (fan-in contention)',
  workflowTypes: [TYPE],
  stresses:
    'Fan-in onto single executions: every signal is a conditional write on the same run and shard, so updates queue behind each other, signals arriving during a workflow task are buffered, closing tasks that race new signals are failed (UnhandledCommand), and continue-as-new bounds the history.',
  options: {
    workflows: { type: 'integer', default: 4, min: 1, max: 100_000, describe: 'workflows the signals fan into' },
    continueAfter: {
      type: 'integer',
      default: 250,
      min: 1,
      describe: 'signals a run handles before it continues as new (bounds history)',
    },
    payloadBytes: {
      type: 'integer',
      default: 64,
      min: 0,
      max: 1_000_000,
      describe: 'size of each signal payload, bytes',
    },
  },
  async iterate(ctx, o) {
    const workflowId = ctx.workflowId(`storm-${ctx.iteration % o.workflows}`);
    ctx.expect(workflowId, 'attempted', 1);
    await ctx.signalWithStart({
      workflowId,
      workflowType: TYPE,
      input: { handled: 0 } satisfies StormInput,
      signal: 'ping',
      signalInput: { seq: ctx.iteration, pad: 'x'.repeat(o.payloadBytes) },
    });
    ctx.expect(workflowId, 'signals', 1);
  },
  decide(task, o): Command[] {
    const carried = task.input<StormInput | undefined>()?.handled ?? 0;
    const signals = task.signals();
    const pings = signals.filter((s) => s.name === 'ping').length;
    const handled = carried + pings;
    if (signals.some((s) => s.name === 'finish')) return [completeWorkflow({ handled } satisfies StormResult)];
    if (pings >= o.continueAfter) {
      return [continueAsNew(TYPE, task.started.taskQueue?.name ?? '', { handled } satisfies StormInput)];
    }
    return [];
  },
  query(task, queryType) {
    if (queryType !== 'handled') throw new Error(`unknown query ${queryType}`);
    const carried = task.input<StormInput | undefined>()?.handled ?? 0;
    return carried + task.signals().filter((s) => s.name === 'ping').length;
  },
  activities: {},
  closesDuringRun: () => true,
  async finish(ctx) {
    await Promise.all([...ctx.expected.keys()].map((workflowId) => ctx.signalWorkflow({ workflowId, name: 'finish' })));
  },
  async verify(v) {
    const problems: string[] = [];
    for (const [id, e] of [...v.expected].slice(0, v.sampleSize)) {
      const result = (await v.result(id)) as StormResult | undefined;
      const acked = e.signals ?? 0;
      const attempted = e.attempted ?? 0;
      if (!result) problems.push(`${id}: no result (still running?)`);
      // A signal whose reply was lost may still have landed: between acknowledged and attempted.
      else if (result.handled < acked || result.handled > attempted)
        problems.push(`${id}: handled ${result.handled} signals; ${acked} were acknowledged, ${attempted} sent`);
    }
    return problems;
  },
});
