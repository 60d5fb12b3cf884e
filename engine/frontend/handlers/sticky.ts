/** ShutdownWorker and ResetStickyTaskQueue: a sticky worker is gone, its pending tasks go to the normal queue. */
import type { temporal } from '../../proto.js';
import { resolveRun } from '../../history/api/resolve.js';
import { redispatchToNormalQueue } from '../../history/tasks/transfer-executor.js';
import type { Handler } from '../handler.js';
import { checkId, requireNamespace } from '../validate.js';

export const shutdownWorker: Handler<
  temporal.api.workflowservice.v1.IShutdownWorkerRequest,
  temporal.api.workflowservice.v1.IShutdownWorkerResponse
> = async (fe, req) => {
  const ns = await fe.namespaces.byNameOrThrow(requireNamespace(req.namespace));
  if (!req.stickyTaskQueue) return {};
  const orphans = fe.matching.shutdownSticky(ns.id, req.stickyTaskQueue);
  for (const t of orphans) {
    const shard = fe.history.shardFor(t.namespaceId, t.workflowId);
    await redispatchToNormalQueue(
      fe.history,
      shard,
      { namespaceId: t.namespaceId, workflowId: t.workflowId, runId: t.runId },
      t.scheduledEventId,
    );
  }
  return {};
};

export const resetStickyTaskQueue: Handler<
  temporal.api.workflowservice.v1.IResetStickyTaskQueueRequest,
  temporal.api.workflowservice.v1.IResetStickyTaskQueueResponse
> = async (fe, req) => {
  const ns = await fe.namespaces.byNameOrThrow(requireNamespace(req.namespace));
  const { shard, key } = await resolveRun(
    fe.history,
    ns.id,
    checkId(req.execution?.workflowId, 'WorkflowId'),
    req.execution?.runId,
  );
  await fe.history.tx.update(shard, key, (ms) => {
    if (ms.info.stickyTaskQueue === '') return;
    ms.info.stickyTaskQueue = '';
    ms.touch();
  });
  return {};
};
