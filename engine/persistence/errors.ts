/**
 * Store errors, classified at the boundary. `applied` answers Temporal's most important question about a failed
 * write, "could it have committed?": `'no'` means retry freely, `'unknown'` means the outcome must be learned by
 * fencing (re-acquire the shard) and reading back (Temporal's OperationPossiblySucceeded).
 */
export type StoreErrorCode =
  | 'SHARD_OWNERSHIP_LOST'
  | 'CURRENT_WORKFLOW_CONDITION_FAILED'
  | 'WORKFLOW_CONDITION_FAILED'
  | 'CONDITION_FAILED'
  | 'TASK_QUEUE_LEASE_LOST'
  | 'ALREADY_EXISTS'
  | 'TIMEOUT'
  | 'UNAVAILABLE'
  | 'THROTTLED'
  | 'BATCH_TOO_LARGE'
  | 'NOT_FOUND'
  | 'INTERNAL';

export interface StoreErrorOptions {
  cause?: unknown;
  /**
   * The store could not be reached at all (no host answered, the connection dropped, the node is starting): an
   * outage, after which what the engine caches may be ahead of what the store kept (engine/persistence/health.ts).
   * Not set for a store that answered, however unhappily (a timeout under contention, a rate limit).
   */
  outage?: boolean;
}

export class StoreError extends Error {
  readonly outage: boolean;
  constructor(
    readonly code: StoreErrorCode,
    message: string,
    readonly applied: 'no' | 'unknown',
    options?: StoreErrorOptions,
  ) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'StoreError';
    this.outage = options?.outage ?? false;
  }
}

export class ShardOwnershipLostError extends StoreError {
  constructor(
    readonly shardId: number,
    readonly expectedRangeId: number,
    readonly actualRangeId: number | undefined,
  ) {
    super(
      'SHARD_OWNERSHIP_LOST',
      `shard ${shardId} ownership lost: expected range_id ${expectedRangeId}, found ${actualRangeId ?? 'none'}`,
      'no',
    );
    this.name = 'ShardOwnershipLostError';
  }
}

export class CurrentWorkflowConditionFailedError extends StoreError {
  constructor(
    message: string,
    readonly currentRunId: string | undefined,
    readonly currentState?: number,
    readonly currentStatus?: number,
    readonly currentCreateRequestId?: string,
  ) {
    super('CURRENT_WORKFLOW_CONDITION_FAILED', message, 'no');
    this.name = 'CurrentWorkflowConditionFailedError';
  }
}

export class WorkflowConditionFailedError extends StoreError {
  constructor(
    message: string,
    readonly actualDbRecordVersion?: number,
  ) {
    super('WORKFLOW_CONDITION_FAILED', message, 'no');
    this.name = 'WorkflowConditionFailedError';
  }
}

export class ConditionFailedError extends StoreError {
  constructor(message: string) {
    super('CONDITION_FAILED', message, 'no');
    this.name = 'ConditionFailedError';
  }
}

export class TaskQueueLeaseLostError extends StoreError {
  constructor(queue: string, expected: number, actual: number | undefined) {
    super(
      'TASK_QUEUE_LEASE_LOST',
      `task queue ${queue} lease lost: expected range_id ${expected}, found ${actual ?? 'none'}`,
      'no',
    );
    this.name = 'TaskQueueLeaseLostError';
  }
}

export class AlreadyExistsError extends StoreError {
  constructor(message: string) {
    super('ALREADY_EXISTS', message, 'no');
    this.name = 'AlreadyExistsError';
  }
}

/** A write that timed out: it may or may not have been applied. */
export class StoreTimeoutError extends StoreError {
  constructor(
    message: string,
    readonly conditional: boolean,
    options?: StoreErrorOptions,
  ) {
    super('TIMEOUT', message, 'unknown', options);
    this.name = 'StoreTimeoutError';
  }
}

/** The store refused or could not reach replicas; nothing was applied. */
export class StoreUnavailableError extends StoreError {
  constructor(message: string, options?: StoreErrorOptions) {
    super('UNAVAILABLE', message, 'no', options);
    this.name = 'StoreUnavailableError';
  }
}

/**
 * The store refused the request for its rate (Cassandra's OverloadedException; Astra DB's "Rate limit reached"):
 * certainly not applied. Temporal maps it to ResourceExhausted (cause SYSTEM_OVERLOADED) and backs off longer.
 */
export class StoreThrottledError extends StoreError {
  constructor(message: string, options?: StoreErrorOptions) {
    super('THROTTLED', message, 'no', options);
    this.name = 'StoreThrottledError';
  }
}

/**
 * A logged batch refused for its size (`batch_size_fail_threshold_in_kb`, Astra's 50 KB guardrail): certainly not
 * applied, and the same batch would be refused again, so it is never retried.
 */
export class StoreBatchTooLargeError extends StoreError {
  constructor(message: string, options?: StoreErrorOptions) {
    super('BATCH_TOO_LARGE', message, 'no', options);
    this.name = 'StoreBatchTooLargeError';
  }
}

/**
 * A SQL transaction the database rolled back to keep transactions apart (PostgreSQL's serialization failure,
 * SQLSTATE 40001, or a deadlock, 40P01): nothing was applied, and the transaction may simply run again.
 */
export class TransactionConflictError extends StoreError {
  constructor(
    readonly reason: 'serialization_failure' | 'deadlock',
    message: string,
    options?: StoreErrorOptions,
  ) {
    super('UNAVAILABLE', message, 'no', options);
    this.name = 'TransactionConflictError';
  }
}

export function isConditionFailure(err: unknown): boolean {
  return (
    err instanceof ShardOwnershipLostError ||
    err instanceof CurrentWorkflowConditionFailedError ||
    err instanceof WorkflowConditionFailedError ||
    err instanceof ConditionFailedError
  );
}

/** Something the managers refuse before it reaches a store: it would break what every backend relies on. */
export class InvariantViolationError extends Error {
  readonly code = 'INVARIANT_VIOLATION';
  constructor(message: string) {
    super(message);
    this.name = 'InvariantViolationError';
  }
}

export function checkInvariant(condition: boolean, message: string): asserts condition {
  if (!condition) throw new InvariantViolationError(message);
}
