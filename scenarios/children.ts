/**
 * children — a parent fans out to N children, tells each to go (a signal to an external workflow), waits for all of
 * them, and completes; a few more "detached" children it does not wait for are left to its parent-close policy.
 *
 * What this stresses: cross-shard work. Each child id hashes to its own shard, so a child start is a transfer task
 * on the parent's shard, a start transaction on the child's, and a ChildWorkflowExecutionStarted written back on the
 * parent's; the go signal crosses back the same way, and every child's close is recorded on the parent again. The
 * parent's shard sees one write per child per step (fan-in onto one execution), and the close policy terminates or
 * cancels what the parent leaves behind. Child start-to-started latency shows the cross-shard hop; the parent's
 * end-to-end the whole fan-out.
 */
import {
  cancelWorkflow,
  completeWorkflow,
  defineScenario,
  EventType,
  failWorkflow,
  PARENT_CLOSE_POLICIES,
  scheduleActivity,
  signalExternalWorkflow,
  startChildWorkflow,
  startTimer,
  type ChildOutcome,
  type Command,
  type DeciderTask,
} from './sdk/index.js';

const PARENT = 'children-parent';
const CHILD = 'children-child';

interface ChildInput {
  index: number;
  /** The parent waits for it (it waits for the parent's go signal, then works); false: detached. */
  waited: boolean;
  lingerMs: number;
}

export interface ParentResult {
  completed: number;
  /** Sum of the waited children's results (each returns its index + 1): every result was recorded. */
  sum: number;
  detached: number;
}

/** The child workflow ids of a parent: waited ones `-c<i>`, detached ones `-d<i>`. */
export function childId(parent: string, waited: boolean, i: number): string {
  return `${parent}-${waited ? 'c' : 'd'}${i}`;
}

/** Workflow ids that already got the parent's go signal. */
function signalled(task: DeciderTask): Set<string> {
  const out = new Set<string>();
  for (const e of task.events) {
    const a = e.signalExternalWorkflowExecutionInitiatedEventAttributes;
    if (a) out.add(a.workflowExecution?.workflowId ?? '');
  }
  return out;
}

const CLOSED: ReadonlySet<ChildOutcome['state']> = new Set([
  'start-failed',
  'completed',
  'failed',
  'canceled',
  'terminated',
  'timed-out',
]);

function decideChild(task: DeciderTask): Command[] {
  const input = task.input<ChildInput>();
  if (!input.waited) {
    // Detached: lingers, and honours a cancel request (the REQUEST_CANCEL policy) by cancelling.
    if (task.cancelRequested()) return [cancelWorkflow()];
    const linger = task.timers().get('linger');
    if (!linger) return [startTimer('linger', input.lingerMs)];
    return linger === 'fired' ? [completeWorkflow(0)] : [];
  }
  if (!task.signals().some((s) => s.name === 'go')) return [];
  const work = task.activities().get('work');
  if (!work) return [scheduleActivity('work', 'child-work', input.index)];
  if (work.state === 'completed') return [completeWorkflow(work.result)];
  if (work.state === 'scheduled') return [];
  return [failWorkflow(`child work ${work.state}`)];
}

export const children = defineScenario({
  name: 'children',
  summary: 'a parent fans out to N children on other shards, signals them, waits for all (cross-shard work)',
  workflowTypes: [PARENT, CHILD],
  stresses:
    "Cross-shard work: every child start, go signal and close crosses from the parent's shard to the child's and back (transfer tasks, a transaction on each side), the parent's execution takes one write per child per step, and the parent-close policy ends the detached children it leaves. Child start-to-started latency shows the hop; the parent's end-to-end the fan-out.",
  options: {
    children: { type: 'integer', default: 5, min: 1, max: 1000, describe: 'children each parent waits for' },
    detached: {
      type: 'integer',
      default: 1,
      min: 0,
      max: 1000,
      describe: 'children each parent leaves running when it closes (ended by the parent-close policy)',
    },
    policy: {
      type: 'string',
      default: 'terminate',
      choices: PARENT_CLOSE_POLICIES,
      describe: 'parent-close policy of the children',
    },
    linger: {
      type: 'duration',
      default: '5s',
      min: '1ms',
      describe: 'how long a detached child runs on its own before completing (durable timer)',
    },
  },
  async iterate(ctx, o) {
    await ctx.startWorkflow({
      workflowId: ctx.workflowId(`parent-${ctx.iteration}`),
      workflowType: PARENT,
      extraRuns: o.children + o.detached,
    });
  },
  decide(task, o): Command[] {
    if (task.workflowType === CHILD) return decideChild(task);
    const kids = task.children();
    const policy = { parentClosePolicy: PARENT_CLOSE_POLICIES.find((p) => p === o.policy) ?? 'terminate' };
    if (kids.size === 0) {
      const start = (waited: boolean, n: number) =>
        Array.from({ length: n }, (_, i) =>
          startChildWorkflow(
            childId(task.workflowId, waited, i),
            CHILD,
            { index: i, waited, lingerMs: o.linger } satisfies ChildInput,
            policy,
          ),
        );
      return [...start(true, o.children), ...start(false, o.detached)];
    }
    const waited = [...kids].filter(([id]) => id.startsWith(`${task.workflowId}-c`));
    const told = signalled(task);
    const commands = waited
      .filter(([id, c]) => c.state === 'started' && !told.has(id))
      .map(([id, c]) => signalExternalWorkflow(id, 'go', undefined, { runId: c.runId, childWorkflowOnly: true }));
    if (waited.every(([, c]) => CLOSED.has(c.state))) {
      const done = waited.filter(([, c]) => c.state === 'completed');
      if (done.length < waited.length)
        return [failWorkflow(`${waited.length - done.length} of ${waited.length} children did not complete`)];
      const sum = done.reduce((n, [, c]) => n + Number(c.result), 0);
      return [
        completeWorkflow({ completed: done.length, sum, detached: kids.size - waited.length } satisfies ParentResult),
      ];
    }
    return commands;
  },
  activities: {
    'child-work': (input) => Number(input) + 1,
  },
  closesDuringRun: () => true,
  async verify(v, o) {
    const problems: string[] = [];
    const ids = await v.workflowIds();
    const parents = ids.filter((id) => /parent-\d+$/.test(id)).slice(0, v.sampleSize);
    const expectedSum = (o.children * (o.children + 1)) / 2;
    for (const parent of parents) {
      const result = (await v.result(parent)) as ParentResult | undefined;
      if (result?.completed !== o.children || result.sum !== expectedSum || result.detached !== o.detached) {
        problems.push(
          `${parent}: result ${JSON.stringify(result)}, expected ${o.children} children summing to ${expectedSum} and ${o.detached} detached`,
        );
        continue;
      }
      // Every child closed and names this parent: none running, none adopted by another.
      for (const [waited, n] of [
        [true, o.children],
        [false, o.detached],
      ] as const) {
        for (let i = 0; i < n; i++) {
          const id = childId(parent, waited, i);
          const events = await v.history(id);
          const parentOf = events[0]?.workflowExecutionStartedEventAttributes?.parentWorkflowExecution?.workflowId;
          const last = events[events.length - 1]?.eventType;
          if (parentOf !== parent) problems.push(`${id}: started by ${parentOf ?? 'no parent'}, not ${parent}`);
          else if (!closedAsExpected(last, waited, o.policy))
            problems.push(`${id}: ended with ${EventType[last ?? 0] ?? 'nothing'} under policy ${o.policy}`);
        }
      }
    }
    return problems;
  },
});

/** How a child may end: a waited one completes; a detached one completes on its own or as its policy ends it. */
function closedAsExpected(last: number | null | undefined, waited: boolean, policy: string): boolean {
  if (last === EventType.EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED) return true;
  if (waited) return false;
  if (policy === 'terminate') return last === EventType.EVENT_TYPE_WORKFLOW_EXECUTION_TERMINATED;
  if (policy === 'request-cancel') return last === EventType.EVENT_TYPE_WORKFLOW_EXECUTION_CANCELED;
  return false;
}
