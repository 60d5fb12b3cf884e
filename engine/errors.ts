/**
 * Engine errors. Each class carries a stable `code` (the contract; messages are for people) and maps to one
 * gRPC status in `frontend/status.ts`. Messages follow Temporal's wording where an SDK or a user may match on them.
 */
export type EngineErrorCode =
  | 'INVALID_ARGUMENT'
  | 'NAMESPACE_NOT_FOUND'
  | 'NAMESPACE_ALREADY_EXISTS'
  | 'NOT_FOUND'
  | 'WORKFLOW_ALREADY_STARTED'
  | 'WORKFLOW_NOT_READY'
  | 'QUERY_FAILED'
  | 'RESOURCE_EXHAUSTED'
  | 'UNAVAILABLE'
  | 'UNIMPLEMENTED'
  | 'DEADLINE_EXCEEDED'
  | 'CANCELLED'
  | 'FAILED_PRECONDITION'
  | 'PERMISSION_DENIED'
  | 'INTERNAL';

export class EngineError extends Error {
  constructor(
    readonly code: EngineErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'EngineError';
  }
}

export class InvalidArgumentError extends EngineError {
  constructor(message: string) {
    super('INVALID_ARGUMENT', message);
    this.name = 'InvalidArgumentError';
  }
}

export class NamespaceNotFoundError extends EngineError {
  constructor(readonly namespace: string) {
    super('NAMESPACE_NOT_FOUND', `Namespace ${namespace} is not found.`);
    this.name = 'NamespaceNotFoundError';
  }
}

export class NamespaceAlreadyExistsError extends EngineError {
  constructor(namespace: string) {
    super('NAMESPACE_ALREADY_EXISTS', `Namespace ${namespace} already exists.`);
    this.name = 'NamespaceAlreadyExistsError';
  }
}

export class NotFoundError extends EngineError {
  constructor(message: string) {
    super('NOT_FOUND', message);
    this.name = 'NotFoundError';
  }
}

export class WorkflowNotFoundError extends NotFoundError {
  constructor(workflowId: string, runId?: string) {
    super(
      runId
        ? `workflow execution not found for workflowId ${workflowId} and runId ${runId}`
        : `workflow execution not found for workflowId ${workflowId}`,
    );
    this.name = 'WorkflowNotFoundError';
  }
}

export class WorkflowAlreadyStartedError extends EngineError {
  constructor(
    readonly workflowId: string,
    readonly runId: string,
    readonly startRequestId: string,
  ) {
    super(
      'WORKFLOW_ALREADY_STARTED',
      `Workflow execution is already running. WorkflowId: ${workflowId}, RunId: ${runId}.`,
    );
    this.name = 'WorkflowAlreadyStartedError';
  }
}

export class UnavailableError extends EngineError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('UNAVAILABLE', message, options);
    this.name = 'UnavailableError';
  }
}

/**
 * This engine does not own what the call is about (a shard or a task queue that another member of the cluster owns,
 * or one that is moving between members): the router retries it with the current owner, clients see UNAVAILABLE.
 */
export class NotOwnerError extends UnavailableError {
  constructor(message: string) {
    super(message);
    this.name = 'NotOwnerError';
  }
}

/** The client cancelled the call or went away: what is left of its work is dropped (nobody would read the reply). */
export class CancelledError extends EngineError {
  constructor(message = 'The call was cancelled by its client.') {
    super('CANCELLED', message);
    this.name = 'CancelledError';
  }
}

export class UnimplementedError extends EngineError {
  constructor(method: string) {
    super('UNIMPLEMENTED', `${method} is not implemented by the stampede reference engine`);
    this.name = 'UnimplementedError';
  }
}

/** A sticky queue whose worker is gone (shut down, or not polling): history dispatches to the normal queue. */
export class StickyWorkerUnavailableError extends EngineError {
  constructor(queue: string) {
    super('UNAVAILABLE', `sticky worker unavailable, please use original task queue (sticky queue ${queue})`);
    this.name = 'StickyWorkerUnavailableError';
  }
}

/**
 * Update-with-start failed: one error (or undefined for an operation that succeeded, null for one aborted because
 * of the other's error) per operation, reported as Temporal's MultiOperationExecutionFailure.
 */
export class MultiOperationError extends EngineError {
  constructor(readonly operations: (Error | null | undefined)[]) {
    const first = operations.find((e): e is Error => e instanceof Error);
    super(first instanceof EngineError ? first.code : 'INTERNAL', 'Update-with-Start could not be executed.', {
      cause: first,
    });
    this.name = 'MultiOperationError';
  }
}
