/** RegisterNamespace, DescribeNamespace, ListNamespaces. */
import { durationFromMs, msFromDuration, type temporal, type Wire } from '../../proto.js';
import type { NamespaceRecord } from '../../persistence/records.js';
import type { Handler } from '../handler.js';
import { requireField } from '../validate.js';

function describe(r: NamespaceRecord): Wire<temporal.api.workflowservice.v1.IDescribeNamespaceResponse> {
  return {
    namespaceInfo: {
      name: r.name,
      state: r.state,
      description: r.description,
      ownerEmail: r.ownerEmail,
      data: r.data,
      id: r.id,
      supportsSchedules: false,
    },
    config: { workflowExecutionRetentionTtl: durationFromMs(r.retentionMs) },
    isGlobalNamespace: false,
  };
}

export const registerNamespace: Handler<
  temporal.api.workflowservice.v1.IRegisterNamespaceRequest,
  temporal.api.workflowservice.v1.IRegisterNamespaceResponse
> = async (fe, req) => {
  const name = requireField(req.namespace, 'Namespace not set on request.');
  await fe.namespaces.register({
    name,
    description: req.description ?? '',
    ownerEmail: req.ownerEmail ?? '',
    retentionMs: msFromDuration(req.workflowExecutionRetentionPeriod) || 24 * 3600_000,
    data: { ...(req.data ?? {}) },
  });
  return {};
};

export const describeNamespace: Handler<
  temporal.api.workflowservice.v1.IDescribeNamespaceRequest,
  temporal.api.workflowservice.v1.IDescribeNamespaceResponse
> = async (fe, req) => {
  const record = req.id
    ? await fe.namespaces.byIdOrThrow(req.id)
    : await fe.namespaces.byNameOrThrow(requireField(req.namespace, 'Namespace not set on request.'));
  return describe(record);
};

export const listNamespaces: Handler<
  temporal.api.workflowservice.v1.IListNamespacesRequest,
  temporal.api.workflowservice.v1.IListNamespacesResponse
> = async (fe) => ({ namespaces: (await fe.namespaces.list()).map(describe) });
