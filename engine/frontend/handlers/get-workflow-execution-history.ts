import { enums, type temporal } from '../../proto.js';
import { getHistory } from '../../history/api/get-history.js';
import { typedHistoryForOutput } from '../../visibility/history-search-attributes.js';
import type { Handler } from '../handler.js';
import { checkId, requireNamespace } from '../validate.js';

export const getWorkflowExecutionHistory: Handler<
  temporal.api.workflowservice.v1.IGetWorkflowExecutionHistoryRequest,
  temporal.api.workflowservice.v1.IGetWorkflowExecutionHistoryResponse
> = async (fe, req, call) => {
  const ns = await fe.namespaces.byNameOrThrow(requireNamespace(req.namespace));
  const result = await getHistory(fe.history, {
    namespaceId: ns.id,
    workflowId: checkId(req.execution?.workflowId, 'WorkflowId'),
    runId: req.execution?.runId ?? '',
    pageSize: req.maximumPageSize ?? 0,
    pageToken: req.nextPageToken,
    waitNewEvent: req.waitNewEvent ?? false,
    closeEventOnly: req.historyEventFilterType === enums.HistoryEventFilterType.HISTORY_EVENT_FILTER_TYPE_CLOSE_EVENT,
    deadlineMs: call.deadlineMs,
    signal: call.signal,
  });
  return {
    // Search attributes go out typed (`metadata.type`), as Temporal's frontend sends them.
    history: { events: typedHistoryForOutput(result.events, ns.customSearchAttributes ?? {}) },
    ...(result.nextPageToken ? { nextPageToken: result.nextPageToken } : {}),
    archived: false,
  };
};
