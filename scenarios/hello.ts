/**
 * hello — start -> one activity -> complete.
 *
 * What this stresses: the baseline cost of a workflow on the engine and its store. Each workflow is about five
 * conditional batches and five history inserts on its shard, as measured (docs/scenarios.md): start, activity
 * scheduled, activity completed, the second workflow task started, completed — the first workflow task and the
 * activity start ride in the transactions that create them when dispatched eagerly — with matching handing tasks to
 * waiting pollers. Throughput here is the ceiling every other scenario is measured against.
 */
import { completeWorkflow, defineScenario, failWorkflow, scheduleActivity } from './sdk/index.js';

export const hello = defineScenario({
  name: 'hello',
  summary: 'start -> one activity -> complete (the baseline)',
  workflowTypes: ['hello'],
  stresses:
    'The baseline cost of one workflow: ~5 conditional batches and 5 history inserts on its shard, tasks sync-matched to waiting pollers.',
  options: {
    payloadBytes: {
      type: 'integer',
      default: 16,
      min: 0,
      max: 1_000_000,
      describe: 'size of the activity input, bytes',
    },
  },
  async iterate(ctx, o) {
    await ctx.startWorkflow({
      workflowId: ctx.workflowId(ctx.iteration),
      workflowType: 'hello',
      input: 'x'.repeat(o.payloadBytes),
    });
  },
  decide(task) {
    const greet = task.activities().get('greet');
    if (!greet) return [scheduleActivity('greet', 'greet', task.input<unknown>() ?? 'world')];
    if (greet.state === 'completed') return [completeWorkflow(greet.result)];
    if (greet.state === 'scheduled') return [];
    return [failWorkflow(`greet ${greet.state}`)];
  },
  activities: {
    greet: (input) => `hello, ${typeof input === 'string' ? input.slice(0, 32) : 'world'}`,
  },
  closesDuringRun: () => true,
});
