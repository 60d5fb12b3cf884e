/**
 * Parent/child consistency over the runs a verification read (Temporal's contract between a parent and its
 * children): a child chain that closed was recorded by its parent (the parent, if still running, no longer lists it
 * as pending), and no child is left running by a parent that closed with a policy that should have ended it
 * (TERMINATE or REQUEST_CANCEL; ABANDON leaves children running by design). Only families whose runs were read
 * are checked: a parent outside the run's workflow-id prefix is not in view.
 */
import proto from '@temporalio/proto';
import type { StoredRun } from '../../engine/index.js';

const ABANDON = proto.temporal.api.enums.v1.ParentClosePolicy.PARENT_CLOSE_POLICY_ABANDON;

export function familyProblems(runs: StoredRun[]): string[] {
  const problems: string[] = [];
  const byRun = new Map(runs.map((r) => [`${r.workflowId}/${r.runId}`, r]));
  for (const child of runs) {
    const p = child.parent;
    if (!p) continue;
    const parent = byRun.get(`${p.workflowId}/${p.runId}`);
    if (!parent) continue;
    const entry = parent.pendingChildren.find((c) => c.initiatedEventId === p.initiatedEventId);
    const chainClosed = child.state === 'completed' && !child.newRunId;
    if (chainClosed && parent.state !== 'completed' && entry)
      problems.push(
        `${child.workflowId}/${child.runId}: closed, but its parent ${p.workflowId}/${p.runId} still lists it as pending (initiated event ${p.initiatedEventId})`,
      );
    if (child.state !== 'completed' && parent.state === 'completed' && entry && entry.parentClosePolicy !== ABANDON)
      problems.push(
        `${child.workflowId}/${child.runId}: orphan: still running though its parent ${p.workflowId}/${p.runId} closed with parent-close policy ${entry.parentClosePolicy}`,
      );
  }
  for (const parent of runs) {
    if (parent.state === 'completed') continue;
    for (const c of parent.pendingChildren) {
      if (!c.startedRunId) continue;
      const first = runs.find((r) => r.workflowId === c.workflowId && r.runId === c.startedRunId);
      if (first && first.parent?.runId !== parent.runId)
        problems.push(
          `${parent.workflowId}/${parent.runId}: child ${c.workflowId}/${c.startedRunId} names another parent (${first.parent?.workflowId ?? 'none'})`,
        );
    }
  }
  return problems;
}

type HistoryEvent = proto.temporal.api.history.v1.IHistoryEvent;
const E = proto.temporal.api.enums.v1.EventType;

/**
 * From a parent's history alone (verification through the API, where mutable state is not visible): the children it
 * left started and unresolved when it closed under TERMINATE or REQUEST_CANCEL. Each must have been closed by the
 * policy; one still running is an orphan.
 */
export function childrenClosedByPolicy(events: readonly HistoryEvent[]): { workflowId: string; runId: string }[] {
  const last = events[events.length - 1];
  if (!last || !CLOSES.has(last.eventType ?? 0)) return [];
  const initiated = new Map<number, { workflowId: string; policy: number; runId: string }>();
  for (const e of events) {
    const id = Number(e.eventId);
    const a = e.startChildWorkflowExecutionInitiatedEventAttributes;
    if (a) initiated.set(id, { workflowId: a.workflowId ?? '', policy: a.parentClosePolicy ?? 0, runId: '' });
    const started = e.childWorkflowExecutionStartedEventAttributes;
    if (started) {
      const c = initiated.get(Number(started.initiatedEventId));
      if (c) c.runId = started.workflowExecution?.runId ?? '';
    }
    const resolved =
      e.startChildWorkflowExecutionFailedEventAttributes ??
      e.childWorkflowExecutionCompletedEventAttributes ??
      e.childWorkflowExecutionFailedEventAttributes ??
      e.childWorkflowExecutionCanceledEventAttributes ??
      e.childWorkflowExecutionTimedOutEventAttributes ??
      e.childWorkflowExecutionTerminatedEventAttributes;
    if (resolved) initiated.delete(Number(resolved.initiatedEventId));
  }
  return [...initiated.values()]
    .filter((c) => c.runId && c.policy !== ABANDON)
    .map((c) => ({ workflowId: c.workflowId, runId: c.runId }));
}

const CLOSES = new Set<number>([
  E.EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED,
  E.EVENT_TYPE_WORKFLOW_EXECUTION_FAILED,
  E.EVENT_TYPE_WORKFLOW_EXECUTION_TIMED_OUT,
  E.EVENT_TYPE_WORKFLOW_EXECUTION_CANCELED,
  E.EVENT_TYPE_WORKFLOW_EXECUTION_TERMINATED,
  E.EVENT_TYPE_WORKFLOW_EXECUTION_CONTINUED_AS_NEW,
]);
