import { randomUUID } from 'node:crypto';
import type { temporal } from '../../proto.js';
import type { Handler } from '../handler.js';
import { checkIdentity, checkTaskQueue, requireNamespace } from '../validate.js';

export const pollActivityTaskQueue: Handler<
  temporal.api.workflowservice.v1.IPollActivityTaskQueueRequest,
  temporal.api.workflowservice.v1.IPollActivityTaskQueueResponse
> = async (fe, req, call) => {
  const ns = await fe.namespaces.byNameOrThrow(requireNamespace(req.namespace));
  const { name } = checkTaskQueue(req.taskQueue);
  const queue = fe.matching.queue(ns.id, name, 'activity', 'normal');
  const identity = checkIdentity(req.identity);
  queue.notePoller(identity, fe.clock.now());
  const response = await fe.matching.poll(queue, call.deadlineMs, call, randomUUID(), (task, requestId) =>
    fe.history.historyClient.recordActivityTaskStarted(task, { identity, requestId, namespaceName: ns.name }),
  );
  return response ?? {};
};
