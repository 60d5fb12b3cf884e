/**
 * ListWorkflowExecutions and CountWorkflowExecutions: from the store's own visibility where it has one (PostgreSQL),
 * else from the in-memory index.
 */
import { InvalidArgumentError } from '../../errors.js';
import { timestampFromMs, type temporal, type Wire } from '../../proto.js';
import { statusName } from '../../visibility/query/bind.js';
import { decodePayloadB64 } from '../../history/state/start.js';
import { typedForOutput } from '../../visibility/search-attributes.js';
import type { VisibilityRecord } from '../../visibility/visibility-store.js';
import type { Handler } from '../handler.js';
import { requireNamespace } from '../validate.js';

function info(
  r: VisibilityRecord,
  custom: Readonly<Record<string, number>>,
): Wire<temporal.api.workflow.v1.IWorkflowExecutionInfo> {
  const payloads = (m: Record<string, string>) =>
    Object.fromEntries(Object.entries(m).map(([k, v]) => [k, decodePayloadB64(v)]));
  return {
    execution: { workflowId: r.workflowId, runId: r.runId },
    type: { name: r.workflowType },
    startTime: timestampFromMs(r.startTimeMs),
    executionTime: timestampFromMs(r.executionTimeMs),
    ...(r.closeTimeMs ? { closeTime: timestampFromMs(r.closeTimeMs) } : {}),
    status: r.status,
    historyLength: r.historyLength,
    historySizeBytes: r.historySizeBytes,
    taskQueue: r.taskQueue,
    firstRunId: r.firstRunId,
    memo: { fields: payloads(r.memo) },
    searchAttributes: { indexedFields: typedForOutput(payloads(r.searchAttributes), custom) },
  };
}

/** The page token is the decimal offset this engine wrote; anything else (`0x10`, ` 7 `, `1e3`, ...) is forged. */
function offsetOf(token: Uint8Array | null | undefined): number {
  if (!token || token.length === 0) return 0;
  const text = Buffer.from(token).toString('utf8');
  const n = /^(0|[1-9][0-9]{0,15})$/.test(text) ? Number(text) : NaN;
  if (!Number.isSafeInteger(n)) throw new InvalidArgumentError('Invalid NextPageToken.');
  return n;
}

export const listWorkflowExecutions: Handler<
  temporal.api.workflowservice.v1.IListWorkflowExecutionsRequest,
  temporal.api.workflowservice.v1.IListWorkflowExecutionsResponse
> = async (fe, req) => {
  const ns = await fe.namespaces.byNameOrThrow(requireNamespace(req.namespace));
  const pageSize = req.pageSize && req.pageSize > 0 ? Math.min(req.pageSize, 1000) : 100;
  const custom = ns.customSearchAttributes ?? {};
  const offset = offsetOf(req.nextPageToken);
  const query = req.query ?? '';
  const page = fe.durableVisibility
    ? await fe.durableVisibility.list(ns.id, query, { custom }, pageSize, offset)
    : await fe.visibility.list(ns.id, query, { custom }, pageSize, offset);
  return {
    executions: page.records.map((r) => info(r, custom)),
    ...(page.nextOffset !== undefined ? { nextPageToken: Buffer.from(String(page.nextOffset), 'utf8') } : {}),
  };
};

export const countWorkflowExecutions: Handler<
  temporal.api.workflowservice.v1.ICountWorkflowExecutionsRequest,
  temporal.api.workflowservice.v1.ICountWorkflowExecutionsResponse
> = async (fe, req) => {
  const ns = await fe.namespaces.byNameOrThrow(requireNamespace(req.namespace));
  const scope = { custom: ns.customSearchAttributes ?? {} };
  const query = req.query ?? '';
  const result = fe.durableVisibility
    ? await fe.durableVisibility.count(ns.id, query, scope)
    : await fe.visibility.count(ns.id, query, scope);
  return {
    count: result.count,
    ...(result.groups
      ? {
          groups: result.groups.map((g) => ({
            groupValues: [
              {
                metadata: { encoding: Buffer.from('json/plain'), type: Buffer.from('Keyword') },
                data: Buffer.from(JSON.stringify(statusName(g.status))),
              },
            ],
            count: g.count,
          })),
        }
      : {}),
  };
};
