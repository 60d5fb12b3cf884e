import { randomUUID } from 'node:crypto';
import { enums, type temporal } from '../../proto.js';
import { withTypedHistory } from '../../visibility/history-search-attributes.js';
import type { Handler } from '../handler.js';
import { checkIdentity, checkTaskQueue, requireNamespace } from '../validate.js';

/** Long poll: answers with a started workflow task (or a query task), or empty before the client's deadline. */
export const pollWorkflowTaskQueue: Handler<
  temporal.api.workflowservice.v1.IPollWorkflowTaskQueueRequest,
  temporal.api.workflowservice.v1.IPollWorkflowTaskQueueResponse
> = async (fe, req, call) => {
  const ns = await fe.namespaces.byNameOrThrow(requireNamespace(req.namespace));
  const tq = checkTaskQueue(req.taskQueue);
  const kind = tq.kind === enums.TaskQueueKind.TASK_QUEUE_KIND_STICKY ? 'sticky' : 'normal';
  const queue = fe.matching.queue(ns.id, tq.name, 'workflow', kind);
  const identity = checkIdentity(req.identity);
  queue.notePoller(identity, fe.clock.now());
  const response = await fe.matching.poll(queue, call.deadlineMs, call, randomUUID(), (task, requestId) =>
    fe.history.historyClient.recordWorkflowTaskStarted(task, {
      identity,
      requestId,
      backlogCountHint: queue.backlogSize,
    }),
  );
  // Search attributes in the history go out typed, as Temporal's matching sends them.
  return response ? withTypedHistory(response, ns.customSearchAttributes ?? {}) : {};
};
