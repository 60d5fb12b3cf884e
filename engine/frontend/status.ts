/**
 * The one table from engine errors to gRPC status. Details follow Temporal's (google.rpc.Status in
 * `grpc-status-details-bin` carrying the errordetails message), so SDKs that read them see what they expect.
 */
import { Metadata, status as Status, type ServiceError } from '@grpc/grpc-js';
import {
  EngineError,
  MultiOperationError,
  NotOwnerError,
  NamespaceNotFoundError,
  WorkflowAlreadyStartedError,
  type EngineErrorCode,
} from '../errors.js';
import { api, root } from '../proto.js';
import { InvariantViolationError } from '../persistence/manager.js';
import { ShardOwnershipLostError, StoreError } from '../persistence/errors.js';

const CODES: Record<EngineErrorCode, Status> = {
  INVALID_ARGUMENT: Status.INVALID_ARGUMENT,
  NAMESPACE_NOT_FOUND: Status.NOT_FOUND,
  NAMESPACE_ALREADY_EXISTS: Status.ALREADY_EXISTS,
  NOT_FOUND: Status.NOT_FOUND,
  WORKFLOW_ALREADY_STARTED: Status.ALREADY_EXISTS,
  WORKFLOW_NOT_READY: Status.FAILED_PRECONDITION,
  QUERY_FAILED: Status.INVALID_ARGUMENT,
  RESOURCE_EXHAUSTED: Status.RESOURCE_EXHAUSTED,
  UNAVAILABLE: Status.UNAVAILABLE,
  UNIMPLEMENTED: Status.UNIMPLEMENTED,
  DEADLINE_EXCEEDED: Status.DEADLINE_EXCEEDED,
  CANCELLED: Status.CANCELLED,
  FAILED_PRECONDITION: Status.FAILED_PRECONDITION,
  PERMISSION_DENIED: Status.PERMISSION_DENIED,
  INTERNAL: Status.INTERNAL,
};

interface AnyDetail {
  type_url: string;
  value: Uint8Array;
}

function anyOf(typeName: string, value: Uint8Array): AnyDetail {
  return { type_url: `type.googleapis.com/${typeName}`, value };
}

function details(detail: AnyDetail, code: Status, message: string): Metadata {
  const statusBytes = root.google.rpc.Status.encode({ code, message, details: [detail] }).finish();
  const md = new Metadata();
  md.set('grpc-status-details-bin', Buffer.from(statusBytes));
  return md;
}

/** The errordetails message Temporal attaches to an error, if any. */
function detailOf(err: EngineError): AnyDetail | undefined {
  if (err instanceof WorkflowAlreadyStartedError) {
    const value = api.errordetails.v1.WorkflowExecutionAlreadyStartedFailure.encode({
      startRequestId: err.startRequestId,
      runId: err.runId,
    }).finish();
    return anyOf('temporal.api.errordetails.v1.WorkflowExecutionAlreadyStartedFailure', value);
  }
  if (err instanceof NamespaceNotFoundError) {
    const value = api.errordetails.v1.NamespaceNotFoundFailure.encode({ namespace: err.namespace }).finish();
    return anyOf('temporal.api.errordetails.v1.NamespaceNotFoundFailure', value);
  }
  return undefined;
}

/** One operation's status in a MultiOperationExecutionFailure: OK, aborted (null), or its own error. */
function operationStatus(err: Error | null | undefined): { code: number; message: string; details: AnyDetail[] } {
  if (err === undefined) return { code: Status.OK, message: '', details: [] };
  if (err === null) {
    const aborted = anyOf(
      'temporal.api.failure.v1.MultiOperationExecutionAborted',
      api.failure.v1.MultiOperationExecutionAborted.encode({}).finish(),
    );
    return { code: Status.ABORTED, message: 'Operation was aborted.', details: [aborted] };
  }
  const e = toServiceError(err);
  const detail = err instanceof EngineError ? detailOf(err) : undefined;
  return { code: e.code ?? Status.INTERNAL, message: e.details ?? '', details: detail ? [detail] : [] };
}

/** Metadata on a request one member of a cluster forwarded to another: served there, never forwarded again. */
export const FORWARDED_HEADER = 'stampede-forwarded';
/** Metadata on an error: the member does not own what the call is about (the forwarding member tries the owner). */
export const NOT_OWNER_HEADER = 'stampede-not-owner';

/** A gRPC status another member of the cluster answered a forwarded request with: passed on as it came. */
export class ForwardedStatusError extends Error {
  constructor(readonly status: Partial<ServiceError>) {
    super(status.details ?? 'forwarded call failed');
    this.name = 'ForwardedStatusError';
  }
}

export function toServiceError(err: unknown): Partial<ServiceError> {
  if (err instanceof ForwardedStatusError) return err.status;
  // Not the owner (a shard or task queue another engine holds now): the forwarding member of a cluster tries the owner.
  if (err instanceof NotOwnerError || err instanceof ShardOwnershipLostError) {
    const metadata = new Metadata();
    metadata.set(NOT_OWNER_HEADER, '1');
    return { code: Status.UNAVAILABLE, details: err.message, metadata };
  }
  if (err instanceof MultiOperationError) {
    const statuses = err.operations.map(operationStatus);
    const code = statuses.find((s) => s.code !== Status.OK && s.code !== Status.ABORTED)?.code ?? Status.ABORTED;
    const value = api.errordetails.v1.MultiOperationExecutionFailure.encode({ statuses }).finish();
    const detail = anyOf('temporal.api.errordetails.v1.MultiOperationExecutionFailure', value);
    return { code, details: err.message, metadata: details(detail, code, err.message) };
  }
  if (err instanceof EngineError) {
    const code = CODES[err.code];
    const detail = detailOf(err);
    if (detail) return { code, details: err.message, metadata: details(detail, code, err.message) };
    return { code, details: err.message };
  }
  if (err instanceof StoreError && err.code === 'THROTTLED') {
    // Temporal's gocql ConvertError: an overloaded coordinator is ResourceExhausted (cause SYSTEM_OVERLOADED).
    const message = `persistence: ${err.message}`;
    const value = api.errordetails.v1.ResourceExhaustedFailure.encode({
      cause: api.enums.v1.ResourceExhaustedCause.RESOURCE_EXHAUSTED_CAUSE_SYSTEM_OVERLOADED,
      scope: api.enums.v1.ResourceExhaustedScope.RESOURCE_EXHAUSTED_SCOPE_SYSTEM,
    }).finish();
    const code = Status.RESOURCE_EXHAUSTED;
    return {
      code,
      details: message,
      metadata: details(anyOf('temporal.api.errordetails.v1.ResourceExhaustedFailure', value), code, message),
    };
  }
  if (err instanceof StoreError && err.code === 'BATCH_TOO_LARGE') {
    // Temporal's gocql ConvertError maps an invalid request (which a batch refused for its size is) to Unavailable;
    // the message names the guardrail so that clients and the harness can tell it from an outage.
    return { code: Status.UNAVAILABLE, details: `persistence: batch too large: ${err.message}` };
  }
  if (err instanceof StoreError) {
    // Reached the API unhandled: the store is failing or contended; the client should retry.
    return { code: Status.UNAVAILABLE, details: `persistence: ${err.message}` };
  }
  if (err instanceof InvariantViolationError) return { code: Status.INTERNAL, details: err.message };
  const message = err instanceof Error ? err.message : String(err);
  return { code: Status.INTERNAL, details: `internal error: ${message}` };
}
