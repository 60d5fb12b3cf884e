/**
 * The workflow a WorkflowService request is about, read from the fields Temporal's requests carry it in, so that a
 * client over several engine members can send every call about one workflow to the same member (or to its shard's
 * owner). Requests about no single workflow (polls, lists, counts, namespaces) have none.
 */

function field(value: unknown, name: string): unknown {
  if (typeof value !== 'object' || value === null) return undefined;
  const out: unknown = Reflect.get(value, name);
  return out;
}

function nonEmpty(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined;
}

/** The workflow id of a request: `workflowId`, `workflowExecution`/`execution`, an update ref, a multi-operation. */
export function workflowIdOf(request: unknown): string | undefined {
  const ops = field(request, 'operations');
  const firstOp: unknown = Array.isArray(ops) ? ops[0] : undefined;
  return (
    nonEmpty(field(request, 'workflowId')) ??
    nonEmpty(field(field(request, 'workflowExecution'), 'workflowId')) ??
    nonEmpty(field(field(request, 'execution'), 'workflowId')) ??
    nonEmpty(field(field(field(request, 'updateRef'), 'workflowExecution'), 'workflowId')) ??
    nonEmpty(field(field(firstOp, 'startWorkflow'), 'workflowId'))
  );
}
