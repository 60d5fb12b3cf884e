/** RegisterNamespace, DescribeNamespace, ListNamespaces. */
import { InvalidArgumentError } from '../../errors.js';
import { durationFromMs, type IDuration, type temporal, type Wire } from '../../proto.js';
import type { NamespaceRecord } from '../../persistence/records.js';
import type { Handler } from '../handler.js';
import { checkDuration, checkLength, requireField } from '../validate.js';

function describe(
  r: NamespaceRecord,
  schedules: boolean,
): Wire<temporal.api.workflowservice.v1.IDescribeNamespaceResponse> {
  return {
    namespaceInfo: {
      name: r.name,
      state: r.state,
      description: r.description,
      ownerEmail: r.ownerEmail,
      data: r.data,
      id: r.id,
      supportsSchedules: schedules,
    },
    config: { workflowExecutionRetentionTtl: durationFromMs(r.retentionMs) },
    isGlobalNamespace: false,
  };
}

const HOUR_MS = 3600_000;
/** The engine's retention when a registration sets none (Temporal refuses that; the engine stays convenient). */
const DEFAULT_RETENTION_MS = 24 * HOUR_MS;
/** Temporal's `system.namespaceMinRetentionLocal` default (common/namespace/const.go MinRetentionLocal). */
const MIN_RETENTION_MS = HOUR_MS;

/**
 * Temporal's `validateRetentionDuration`: a well-formed, non-negative duration of at least the minimum, else
 * "A valid retention period is not set on request.". Absent or zero falls back to the engine's default.
 */
function retentionMs(d: IDuration | null | undefined): number {
  let ms: number;
  try {
    ms = checkDuration(d, 'WorkflowExecutionRetentionPeriod');
  } catch {
    throw new InvalidArgumentError('A valid retention period is not set on request.');
  }
  if (ms === 0) return DEFAULT_RETENTION_MS;
  if (ms < MIN_RETENTION_MS) throw new InvalidArgumentError('A valid retention period is not set on request.');
  return ms;
}

export const registerNamespace: Handler<
  temporal.api.workflowservice.v1.IRegisterNamespaceRequest,
  temporal.api.workflowservice.v1.IRegisterNamespaceResponse
> = async (fe, req) => {
  const name = checkLength(requireField(req.namespace, 'Namespace not set on request.'), 'Namespace');
  await fe.namespaces.register({
    name,
    description: req.description ?? '',
    ownerEmail: req.ownerEmail ?? '',
    retentionMs: retentionMs(req.workflowExecutionRetentionPeriod),
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
  return describe(record, fe.schedules !== undefined);
};

export const listNamespaces: Handler<
  temporal.api.workflowservice.v1.IListNamespacesRequest,
  temporal.api.workflowservice.v1.IListNamespacesResponse
> = async (fe) => ({ namespaces: (await fe.namespaces.list()).map((r) => describe(r, fe.schedules !== undefined)) });
