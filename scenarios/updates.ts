/**
 * updates — a high rate of workflow updates into a few long-lived workflows. Each update adds an amount to its
 * workflow's total; the validator rejects a configured share; a share of the accepted ones runs an activity before
 * it completes (accepted in one workflow task, completed in a later one). At the end a `finish` signal closes each
 * workflow with its total.
 *
 * What this stresses: the update protocol on single executions. Every update is admitted under the run's lock,
 * delivered with a workflow task (those arriving while a task is in flight wait for the next one and come several
 * to a task), and written as UpdateAccepted and UpdateCompleted events in the task's completion, while its caller
 * long-polls for the stage it asked for. Latency to ACCEPTED and to COMPLETED per update shows what a caller waits;
 * rejections write nothing, and the end-of-run check proves none was applied.
 */
import {
  completeWorkflow,
  continueAsNew,
  defineScenario,
  EventType,
  fromPayloads,
  scheduleActivity,
  UpdateReplies,
  type Command,
  type Decision,
  type DeciderTask,
} from './sdk/index.js';

const TYPE = 'updates';
const ADD = 'add';

interface AddInput {
  amount: number;
  /** The validator rejects it (the sender chose it to be rejected, so the run knows what to expect). */
  reject: boolean;
  /** The handler runs an activity before it completes (accepted now, completed in a later task). */
  slow: boolean;
}

export interface UpdatesResult {
  applied: number;
  accepted: number;
}

/** What the chain's accepted, completed updates add up to (the handler applies an update when it completes). */
function totals(task: DeciderTask): UpdatesResult {
  const carried = task.input<UpdatesResult | undefined>();
  let applied = carried?.applied ?? 0;
  let accepted = carried?.accepted ?? 0;
  for (const u of task.acceptedUpdates().values()) {
    accepted += 1;
    if (u.completed) applied += (u.input as AddInput).amount;
  }
  return { applied, accepted };
}

function workflowOf(ctx: { workflowId(s: string): string }, i: number): string {
  return ctx.workflowId(`updates-${i}`);
}

export const updates = defineScenario({
  name: 'updates',
  summary: 'a high rate of updates into a few long-lived workflows (accept, reject, complete)',
  workflowTypes: [TYPE],
  stresses:
    "The update protocol on single executions: every update is admitted under the run's lock, delivered with a workflow task (those arriving during a task come several to the next), written as UpdateAccepted and UpdateCompleted events, while its caller long-polls. Latency to ACCEPTED and COMPLETED per update; rejections write nothing and none is applied.",
  options: {
    workflows: {
      type: 'integer',
      default: 4,
      min: 1,
      max: 100_000,
      describe: 'long-lived workflows the updates go to',
    },
    rejectRatio: { type: 'ratio', default: 0.1, describe: 'share of updates the validator rejects' },
    continueAfter: {
      type: 'integer',
      default: 500,
      min: 1,
      max: 1900,
      describe: 'updates a run accepts before it continues as new (Temporal allows 2,000 per run)',
    },
    slowRatio: {
      type: 'ratio',
      default: 0.2,
      describe: 'share of accepted updates whose handler runs an activity first (completed in a later task)',
    },
  },
  async iterate(ctx, o) {
    const workflowId = workflowOf(ctx, ctx.iteration % o.workflows);
    const input: AddInput = {
      amount: 1 + (ctx.iteration % 7),
      reject: ctx.random() < o.rejectRatio,
      slow: ctx.random() < o.slowRatio,
    };
    ctx.expect(workflowId, 'attempted', input.amount);
    // Update-with-start: the first update to a workflow starts it, whichever thread sends it.
    const outcome = await ctx.updateWorkflow({ workflowId, name: ADD, input, start: { workflowType: TYPE } });
    if (outcome.accepted !== !input.reject)
      throw new Error(`update ${input.reject ? 'to be rejected was accepted' : `was rejected: ${outcome.failure}`}`);
    if (outcome.accepted) {
      ctx.expect(workflowId, 'applied', input.amount);
      ctx.expect(workflowId, 'accepted', 1);
    } else ctx.expect(workflowId, 'rejected', 1);
  },
  decide(task, o): Command[] | Decision {
    const replies = new UpdateReplies();
    const work: Command[] = [];
    const activities = task.activities();
    let { applied, accepted } = totals(task);
    for (const u of task.updateRequests()) {
      const input = u.input as AddInput;
      if (u.name !== ADD || input.reject) {
        replies.reject(u, u.name === ADD ? 'rejected by the validator' : `unknown update ${u.name}`);
        continue;
      }
      replies.accept(u);
      accepted += 1;
      if (input.slow) work.push(scheduleActivity(`u:${u.id}`, 'update-work', input.amount));
      else replies.complete(u, { applied: (applied += input.amount) });
    }
    // Handlers whose activity has finished complete now.
    for (const [id, u] of task.acceptedUpdates()) {
      if (u.completed || activities.get(`u:${id}`)?.state !== 'completed') continue;
      replies.complete({ id }, { applied: (applied += (u.input as AddInput).amount) });
    }
    const commands = [...replies.commands, ...work];
    const pending = [...task.acceptedUpdates().keys()].some((id) => activities.get(`u:${id}`)?.state === 'scheduled');
    // The finish signal closes the run once no handler is still working; a run that took its share of updates
    // continues as new (Temporal caps the updates one run may take); updates that arrive meanwhile are retried
    // by their callers onto the new run.
    const idle = !pending && work.length === 0;
    if (idle && task.signals().some((s) => s.name === 'finish'))
      commands.push(completeWorkflow({ applied, accepted } satisfies UpdatesResult));
    else if (idle && accepted - (task.input<UpdatesResult | undefined>()?.accepted ?? 0) >= o.continueAfter)
      commands.push(
        continueAsNew(TYPE, task.started.taskQueue?.name ?? '', { applied, accepted } satisfies UpdatesResult),
      );
    return { commands, messages: replies.messages };
  },
  query(task, queryType) {
    if (queryType !== 'applied') throw new Error(`unknown query ${queryType}`);
    return totals(task).applied;
  },
  activities: {
    'update-work': (input) => input,
  },
  closesDuringRun: () => true,
  async finish(ctx) {
    await Promise.all([...ctx.expected.keys()].map((workflowId) => ctx.signalWorkflow({ workflowId, name: 'finish' })));
  },
  async verify(v) {
    const problems: string[] = [];
    for (const [id, e] of [...v.expected].slice(0, v.sampleSize)) {
      const events = await v.history(id);
      const result = (await v.result(id)) as UpdatesResult | undefined;
      const accepted = events.filter((x) => x.eventType === EventType.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED);
      const completed = events.filter(
        (x) => x.eventType === EventType.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_COMPLETED,
      ).length;
      // Rejected updates leave no trace: an accepted one the sender meant to be rejected was applied.
      const wrongly = accepted.filter(
        (x) =>
          (fromPayloads(x.workflowExecutionUpdateAcceptedEventAttributes?.acceptedRequest?.input?.args) as AddInput)
            .reject,
      ).length;
      if (wrongly > 0) problems.push(`${id}: ${wrongly} update(s) the validator should have rejected were accepted`);
      if (completed !== accepted.length)
        problems.push(`${id}: ${accepted.length} updates accepted but ${completed} completed`);
      const acked = e.applied ?? 0;
      const attempted = e.attempted ?? 0;
      if (!result) problems.push(`${id}: no result (still running?)`);
      // An update whose reply was lost may still have been applied: between acknowledged and attempted.
      else if (result.applied < acked || result.applied > attempted)
        problems.push(`${id}: applied ${result.applied}; ${acked} was acknowledged, ${attempted} attempted`);
      else if (result.accepted < (e.accepted ?? 0) || result.accepted < accepted.length)
        problems.push(
          `${id}: result counts ${result.accepted} accepted updates; callers saw ${e.accepted ?? 0} accepted, the last run's history ${accepted.length}`,
        );
    }
    return problems;
  },
});
