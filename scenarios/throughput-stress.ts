/**
 * throughput-stress — every workflow does a bit of everything, as Temporal's release "throughput stress" mix does,
 * but in the open model: parallel activities, a local activity, two children (one completes, one the parent cancels
 * through an external cancel request), signals, a query and updates from the starter, and a continue-as-new; the
 * second run does one more activity and completes with what both runs saw. Each workflow's result is checked
 * against what its starter sent.
 *
 * What this stresses: every kind of write at once on every shard — activity and child transfer tasks, cross-shard
 * starts, cancels and close records, signals and updates contending with workflow tasks on one execution, markers,
 * queries through the worker, and the close-and-start transaction of a continue-as-new — so a regression in any of
 * them shows in one run.
 */
import {
  cancelWorkflow,
  completeWorkflow,
  continueAsNew,
  defineScenario,
  failWorkflow,
  recordLocalActivity,
  requestCancelExternalWorkflow,
  scheduleActivity,
  startChildWorkflow,
  startTimer,
  UpdateReplies,
  type Command,
  type Decision,
  type DeciderTask,
} from './sdk/index.js';

const TYPE = 'stress';
const CHILD = 'stress-child';
/** A virtual hour: the cancelled child waits this long unless its parent cancels it first. */
const CHILD_WAIT_MS = 3_600_000;

/** What the first run carries into the second. */
interface Carried {
  signals: number;
  updates: number;
  activities: number;
  localActivities: number;
  children: { completed: number; canceled: number };
}

export type StressResult = Carried & { runs: number };

interface ChildInput {
  /** true: run one activity and complete; false: wait until cancelled. */
  completes: boolean;
}

function decideChild(task: DeciderTask): Command[] {
  if (task.input<ChildInput>().completes) {
    const a = task.activities().get('work');
    if (!a) return [scheduleActivity('work', 'stress-work', 0)];
    if (a.state === 'completed') return [completeWorkflow(1)];
    return a.state === 'scheduled' ? [] : [failWorkflow(`child work ${a.state}`)];
  }
  if (task.cancelRequested()) return [cancelWorkflow()];
  return task.timers().size === 0 ? [startTimer('wait', CHILD_WAIT_MS)] : [];
}

/** Updates this run has accepted and completed so far (the handler completes each in the task that accepts it). */
function updatesDone(task: DeciderTask): number {
  return [...task.acceptedUpdates().values()].filter((u) => u.completed).length;
}

type Options = { activities: number; signals: number; updates: number };

function firstRun(task: DeciderTask, o: Options): Command[] | Decision {
  const replies = new UpdateReplies();
  let updates = updatesDone(task);
  for (const u of task.updateRequests()) {
    if (u.name !== 'bump') {
      replies.reject(u, `unknown update ${u.name}`);
      continue;
    }
    replies.accept(u).complete(u, (updates += 1));
  }
  const commands: Command[] = [...replies.commands];
  const decision = (): Decision => ({ commands, messages: replies.messages });
  const activities = task.activities();
  const kids = task.children();
  if (activities.size === 0) {
    for (let i = 0; i < o.activities; i++) commands.push(scheduleActivity(`a${i}`, 'stress-work', i));
    commands.push(recordLocalActivity('local', 'stress-local', 'checked'));
    commands.push(startChildWorkflow(`${task.workflowId}-child`, CHILD, { completes: true } satisfies ChildInput));
    commands.push(startChildWorkflow(`${task.workflowId}-cancel`, CHILD, { completes: false } satisfies ChildInput));
    return decision();
  }
  const toCancel = kids.get(`${task.workflowId}-cancel`);
  const cancelSent = [...task.externalRequests().values()].some((r) => r.kind === 'cancel');
  if (toCancel?.state === 'started' && !cancelSent)
    commands.push(requestCancelExternalWorkflow(`${task.workflowId}-cancel`, { runId: toCancel.runId }));
  const failed = [...activities.values()].find((a) => a.state !== 'scheduled' && a.state !== 'completed');
  if (failed) return [failWorkflow(`activity ${failed.state}`)];
  const allDone =
    [...activities.values()].every((a) => a.state === 'completed') &&
    kids.get(`${task.workflowId}-child`)?.state === 'completed' &&
    toCancel?.state === 'canceled' &&
    task.signals().filter((s) => s.name === 'ping').length >= o.signals &&
    updates >= o.updates;
  if (!allDone) return decision();
  const carried: Carried = {
    signals: task.signals().filter((s) => s.name === 'ping').length,
    updates,
    activities: activities.size,
    localActivities: task.localActivities().size,
    children: { completed: 1, canceled: 1 },
  };
  // Updates answered in this task are written before the continue-as-new closes the run.
  commands.push(continueAsNew(TYPE, task.started.taskQueue?.name ?? '', carried));
  return decision();
}

function secondRun(task: DeciderTask, carried: Carried): Command[] {
  const last = task.activities().get('last');
  if (!last) return [scheduleActivity('last', 'stress-work', -1)];
  if (last.state === 'scheduled') return [];
  if (last.state !== 'completed') return [failWorkflow(`last activity ${last.state}`)];
  // Signals that came after the continue-as-new count too.
  const late = task.signals().filter((s) => s.name === 'ping').length;
  return [
    completeWorkflow({
      ...carried,
      signals: carried.signals + late,
      activities: carried.activities + 1,
      runs: 2,
    } satisfies StressResult),
  ];
}

export const throughputStress = defineScenario({
  name: 'throughput-stress',
  summary: 'every workflow does a bit of everything: activities, local activity, children, signals, updates, CAN',
  workflowTypes: [TYPE, CHILD],
  stresses:
    'Every kind of write at once on every shard: activity and child transfer tasks, cross-shard starts, cancels and close records, signals and updates contending with workflow tasks on one execution, local-activity markers, queries through the worker and the close-and-start of a continue-as-new. Each workflow is checked against what its starter sent.',
  options: {
    activities: { type: 'integer', default: 3, min: 1, max: 100, describe: 'parallel activities in the first run' },
    signals: { type: 'integer', default: 2, min: 0, max: 100, describe: 'signals the starter sends each workflow' },
    updates: { type: 'integer', default: 1, min: 0, max: 100, describe: 'updates the starter sends each workflow' },
  },
  async iterate(ctx, o) {
    const workflowId = ctx.workflowId(`stress-${ctx.iteration}`);
    // Two children: one completes, one is cancelled by its parent.
    await ctx.startWorkflow({ workflowId, workflowType: TYPE, extraRuns: 2 });
    for (let i = 0; i < o.signals; i++) {
      await ctx.signalWorkflow({ workflowId, name: 'ping', input: i });
      ctx.expect(workflowId, 'signals', 1);
    }
    await ctx.queryWorkflow({ workflowId, queryType: 'progress' });
    for (let i = 0; i < o.updates; i++) {
      const r = await ctx.updateWorkflow({ workflowId, name: 'bump' });
      if (!r.accepted) throw new Error(`update bump rejected: ${r.failure}`);
      ctx.expect(workflowId, 'updates', 1);
    }
  },
  decide(task, o): Command[] | Decision {
    if (task.workflowType === CHILD) return decideChild(task);
    const carried = task.input<Carried | undefined>();
    return carried ? secondRun(task, carried) : firstRun(task, o);
  },
  query(task, queryType) {
    if (queryType !== 'progress') throw new Error(`unknown query ${queryType}`);
    const done = [...task.activities().values()].filter((a) => a.state === 'completed').length;
    return { activities: done, signals: task.signals().length, updates: updatesDone(task) };
  },
  activities: {
    'stress-work': (input) => input,
  },
  closesDuringRun: () => true,
  async verify(v, o) {
    const problems: string[] = [];
    for (const [id, e] of [...v.expected].slice(0, v.sampleSize)) {
      const r = (await v.result(id)) as StressResult | undefined;
      const expected: StressResult = {
        signals: e.signals ?? 0,
        updates: e.updates ?? 0,
        activities: o.activities + 1,
        localActivities: 1,
        children: { completed: 1, canceled: 1 },
        runs: 2,
      };
      const same =
        r !== undefined &&
        r.signals === expected.signals &&
        r.updates === expected.updates &&
        r.activities === expected.activities &&
        r.localActivities === expected.localActivities &&
        r.children.completed === 1 &&
        r.children.canceled === 1 &&
        r.runs === 2;
      if (!same) problems.push(`${id}: result ${JSON.stringify(r)}, expected ${JSON.stringify(expected)}`);
    }
    return problems;
  },
});
