/**
 * Which member a frontend request belongs to: a workflow's requests to the owner of its history shard, a poll to
 * the owner of its task queue, schedule requests to the member that runs the scheduler. Everything else (namespaces,
 * system info, visibility, which gathers from every member) is answered where it arrives.
 */
import { decodeTaskToken } from '../history/task-token.js';

export type Route =
  | { kind: 'workflow'; namespace: string; namespaceId?: string; workflowId: string }
  | { kind: 'queue'; namespace: string; name: string; type: 'workflow' | 'activity' }
  | { kind: 'schedules' };

type Req = Record<string, unknown>;

const str = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);
const obj = (v: unknown): Req | undefined => (v && typeof v === 'object' ? (v as Req) : undefined);

/** The workflow id of a request about one workflow, wherever its message keeps it. */
function workflowIdOf(r: Req): string | undefined {
  const ops = Array.isArray(r.operations) ? (r.operations as unknown[]) : [];
  return (
    str(r.workflowId) ??
    str(obj(r.execution)?.workflowId) ??
    str(obj(r.workflowExecution)?.workflowId) ??
    str(obj(obj(r.updateRef)?.workflowExecution)?.workflowId) ??
    str(obj(obj(ops[0])?.startWorkflow)?.workflowId)
  );
}

const BY_WORKFLOW = new Set([
  'StartWorkflowExecution',
  'SignalWithStartWorkflowExecution',
  'SignalWorkflowExecution',
  'QueryWorkflow',
  'RequestCancelWorkflowExecution',
  'TerminateWorkflowExecution',
  'DescribeWorkflowExecution',
  'GetWorkflowExecutionHistory',
  'ResetWorkflowExecution',
  'UpdateWorkflowExecution',
  'PollWorkflowExecutionUpdate',
  'ExecuteMultiOperation',
  'ResetStickyTaskQueue',
  'RespondActivityTaskCompletedById',
  'RespondActivityTaskFailedById',
  'RespondActivityTaskCanceledById',
  'RecordActivityTaskHeartbeatById',
  'PauseActivity',
  'UnpauseActivity',
  'UpdateActivityOptions',
  'ResetActivity',
]);

const BY_TOKEN = new Set([
  'RespondWorkflowTaskCompleted',
  'RespondWorkflowTaskFailed',
  'RespondActivityTaskCompleted',
  'RespondActivityTaskFailed',
  'RespondActivityTaskCanceled',
  'RecordActivityTaskHeartbeat',
  'RespondQueryTaskCompleted',
]);

const SCHEDULES = new Set([
  'CreateSchedule',
  'DescribeSchedule',
  'UpdateSchedule',
  'PatchSchedule',
  'DeleteSchedule',
  'ListSchedules',
  'ListScheduleMatchingTimes',
  'CountSchedules',
]);

/** The route of a request, or undefined to answer it here (or when it is malformed: the handler says why). */
export function routeOf(method: string, request: object): Route | undefined {
  const r = request as Req;
  const namespace = str(r.namespace);
  if (SCHEDULES.has(method)) return { kind: 'schedules' };
  // A task token names its run's namespace id and workflow: routed by it even where the request leaves `namespace` out.
  if (BY_TOKEN.has(method)) {
    try {
      const t = decodeTaskToken(r.taskToken as Uint8Array | undefined);
      return { kind: 'workflow', namespace: namespace ?? '', namespaceId: t.ns, workflowId: t.wid };
    } catch {
      return undefined;
    }
  }
  if (!namespace) return undefined;
  if (BY_WORKFLOW.has(method)) {
    const workflowId = workflowIdOf(r);
    return workflowId ? { kind: 'workflow', namespace, workflowId } : undefined;
  }
  if (method === 'PollWorkflowTaskQueue' || method === 'PollActivityTaskQueue' || method === 'DescribeTaskQueue') {
    const name = str(obj(r.taskQueue)?.name);
    // TASK_QUEUE_TYPE_ACTIVITY is 2.
    const type =
      method === 'PollActivityTaskQueue' || (method === 'DescribeTaskQueue' && r.taskQueueType === 2)
        ? 'activity'
        : 'workflow';
    return name ? { kind: 'queue', namespace, name, type } : undefined;
  }
  if (method === 'ShutdownWorker') {
    const name = str(r.stickyTaskQueue);
    return name ? { kind: 'queue', namespace, name, type: 'workflow' } : undefined;
  }
  return undefined;
}

/** Requests after which every member re-reads its namespaces (search attributes, registrations). */
export const NAMESPACE_CHANGES = new Set([
  'RegisterNamespace',
  'UpdateNamespace',
  'AddSearchAttributes',
  'RemoveSearchAttributes',
]);
