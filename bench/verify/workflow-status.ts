/** Workflow execution statuses as verification counts them: Temporal's enum, named as results and visibility name them. */
import proto from '@temporalio/proto';

const S = proto.temporal.api.enums.v1.WorkflowExecutionStatus;

export const RUNNING: number = S.WORKFLOW_EXECUTION_STATUS_RUNNING;
export const CONTINUED_AS_NEW: number = S.WORKFLOW_EXECUTION_STATUS_CONTINUED_AS_NEW;

/** `WORKFLOW_EXECUTION_STATUS_CONTINUED_AS_NEW` -> `ContinuedAsNew` (visibility's GROUP BY names them so too). */
export function statusName(status: number): string {
  const name: string | undefined = S[status];
  if (!name || status === S.WORKFLOW_EXECUTION_STATUS_UNSPECIFIED) return `status ${status}`;
  return name
    .replace('WORKFLOW_EXECUTION_STATUS_', '')
    .toLowerCase()
    .replace(/(^|_)([a-z])/g, (_, _sep: string, c: string) => c.toUpperCase());
}
