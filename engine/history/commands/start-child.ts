/**
 * StartChildWorkflowExecution: the StartChildWorkflowExecutionInitiated event, a pending-child entry and a
 * transfer task that starts the child on its own shard (tasks/cross-shard-executor.ts). Defaults and timeout
 * normalization follow Temporal's command handler: TERMINATE parent-close policy, ALLOW_DUPLICATE reuse policy,
 * the parent's task queue, run timeout bounded by the execution timeout.
 */
import { durationFromMs, enums, msFromDuration, toNumber, type ICommand } from '../../proto.js';
import { parseCron } from '../../common/cron.js';
import { retryPolicyInfo, retryPolicyProto } from '../state/activities.js';
import { workflowTaskTimeoutMs } from '../state/start.js';
import { crossNamespace } from './external.js';
import type { CommandHandler } from './types.js';

const Cause = enums.WorkflowTaskFailedCause;

function attrs(c: ICommand) {
  return c.startChildWorkflowExecutionCommandAttributes ?? {};
}

export const startChildWorkflowExecution: CommandHandler = {
  cause: Cause.WORKFLOW_TASK_FAILED_CAUSE_BAD_START_CHILD_EXECUTION_ATTRIBUTES,
  closes: false,
  validate(c, _ms, seen, namespace) {
    const a = attrs(c);
    if (!a.workflowId)
      return `Required field WorkflowId is not set on StartChildWorkflowExecutionCommand. WorkflowType=${a.workflowType?.name ?? ''} Namespace=${namespace}`;
    if (!a.workflowType?.name)
      return `Required field WorkflowType is not set on StartChildWorkflowExecutionCommand. WorkflowId=${a.workflowId} Namespace=${namespace}`;
    if (crossNamespace(a.namespace, namespace)) return 'cross namespace commands are not allowed';
    for (const [field, d] of [
      ['WorkflowExecutionTimeout', a.workflowExecutionTimeout],
      ['WorkflowRunTimeout', a.workflowRunTimeout],
      ['WorkflowTaskTimeout', a.workflowTaskTimeout],
    ] as const) {
      if (msFromDuration(d) < 0)
        return `Invalid ${field} on StartChildWorkflowExecutionCommand: negative duration. WorkflowId=${a.workflowId}`;
    }
    if (a.cronSchedule) {
      const cron = parseCron(a.cronSchedule);
      if (typeof cron === 'string')
        return `invalid CronSchedule on StartChildWorkflowExecutionCommand: ${cron}. WorkflowId=${a.workflowId}`;
    }
    seen.childWorkflowIds.add(a.workflowId);
    return undefined;
  },
  apply(c, ms, env) {
    const a = attrs(c);
    const execMs = msFromDuration(a.workflowExecutionTimeout);
    const runReq = msFromDuration(a.workflowRunTimeout);
    const runMs = execMs === 0 ? runReq : runReq === 0 ? execMs : Math.min(runReq, execMs);
    const taskMs = workflowTaskTimeoutMs(msFromDuration(a.workflowTaskTimeout), runMs);
    const policy = a.parentClosePolicy || enums.ParentClosePolicy.PARENT_CLOSE_POLICY_TERMINATE;
    const taskQueue = a.taskQueue?.name || ms.info.taskQueue;
    const event = ms.addEvent(enums.EventType.EVENT_TYPE_START_CHILD_WORKFLOW_EXECUTION_INITIATED, {
      startChildWorkflowExecutionInitiatedEventAttributes: {
        workflowTaskCompletedEventId: env.workflowTaskCompletedEventId,
        namespace: env.namespace,
        namespaceId: ms.info.namespaceId,
        workflowId: a.workflowId ?? '',
        workflowType: { name: a.workflowType?.name ?? '' },
        taskQueue: { name: taskQueue, kind: enums.TaskQueueKind.TASK_QUEUE_KIND_NORMAL },
        ...(a.input ? { input: a.input } : {}),
        ...(a.header ? { header: a.header } : {}),
        ...(execMs > 0 ? { workflowExecutionTimeout: durationFromMs(execMs) } : {}),
        ...(runMs > 0 ? { workflowRunTimeout: durationFromMs(runMs) } : {}),
        workflowTaskTimeout: durationFromMs(taskMs),
        parentClosePolicy: policy,
        workflowIdReusePolicy:
          a.workflowIdReusePolicy || enums.WorkflowIdReusePolicy.WORKFLOW_ID_REUSE_POLICY_ALLOW_DUPLICATE,
        ...(a.retryPolicy ? { retryPolicy: retryPolicyProto(retryPolicyInfo(a.retryPolicy)) } : {}),
        ...(a.cronSchedule ? { cronSchedule: a.cronSchedule } : {}),
        ...(a.memo ? { memo: a.memo } : {}),
        ...(a.searchAttributes ? { searchAttributes: a.searchAttributes } : {}),
        ...(a.control ? { control: a.control } : {}),
      },
    });
    const initiatedEventId = toNumber(event.eventId);
    ms.info.children[String(initiatedEventId)] = {
      initiatedEventId,
      initiatedEventBatchId: env.batchFirstEventId,
      startedEventId: 0,
      workflowId: a.workflowId ?? '',
      startedRunId: '',
      workflowType: a.workflowType?.name ?? '',
      namespace: env.namespace,
      namespaceId: ms.info.namespaceId,
      parentClosePolicy: policy,
      createRequestId: `${ms.info.runId}:${initiatedEventId}:0`,
    };
    ms.touch();
    ms.addTransferTask({ kind: 'start-child', initiatedEventId });
  },
};
