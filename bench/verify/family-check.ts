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
