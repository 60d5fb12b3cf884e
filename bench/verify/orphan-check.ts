/**
 * Orphans through the API: children a closed parent left to its parent-close policy (TERMINATE, REQUEST_CANCEL)
 * must not still run. Collects them from the parents' histories as they are read, then asks the engine about each.
 */
import type { WorkflowCaller } from '../client/workflow-service.js';
import type { fullHistory } from './engine-reader.js';
import { childrenClosedByPolicy } from './family-check.js';
import type { ListedRun, Problems } from './read-back.js';
import { RUNNING } from './workflow-status.js';

export class OrphanCheck {
  private readonly closedByPolicy: { parent: string; workflowId: string; runId: string }[] = [];

  constructor(
    private readonly client: WorkflowCaller,
    private readonly namespace: string,
  ) {}

  /** Sees a history read back (pass as `checkHistories`'s onHistory). */
  readonly onHistory = (run: ListedRun, events: Awaited<ReturnType<typeof fullHistory>>): void => {
    for (const c of childrenClosedByPolicy(events))
      this.closedByPolicy.push({ parent: `${run.workflowId}/${run.runId}`, ...c });
  };

  /** Asks the engine about every child the parents left to their policy: one still running is an orphan. */
  async check(problems: Problems): Promise<void> {
    for (const c of this.closedByPolicy) {
      const d = await this.client.call(
        'DescribeWorkflowExecution',
        { namespace: this.namespace, execution: { workflowId: c.workflowId, runId: c.runId } },
        { timeoutMs: 30_000 },
      );
      if (d.workflowExecutionInfo?.status === RUNNING)
        problems.add(`${c.workflowId}/${c.runId}: orphan: still running though its parent ${c.parent} closed`);
    }
  }
}
