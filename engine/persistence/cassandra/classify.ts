/**
 * Driver errors and not-applied LWT results, classified at the boundary into store errors. A not-applied batch
 * returns one row per conditioned row with its current values; the failure is named in Temporal's priority:
 * ShardOwnershipLost > CurrentWorkflowConditionFailed > WorkflowConditionFailed > ConditionFailed.
 */
import cassandra from 'cassandra-driver';
import {
  ConditionFailedError,
  CurrentWorkflowConditionFailedError,
  ShardOwnershipLostError,
  StoreBatchTooLargeError,
  StoreError,
  StoreThrottledError,
  StoreTimeoutError,
  StoreUnavailableError,
  WorkflowConditionFailedError,
} from '../errors.js';
import { whileThrottled } from '../decorators.js';
import { CURRENT_RUN_ID, RowType } from './constants.js';

const codes = cassandra.types.responseErrorCodes;
/** What cassandra-driver's host connection pool throws (as a plain Error) when it has no connection to lend. */
const NO_CONNECTION = 'No connection available';
const BATCH_TOO_LARGE = /batch too large|batch_size_fail_threshold/i;

/**
 * Overloaded is how a coordinator sheds load, and how Astra DB refuses requests over the database's rate limit
 * ("Rate limit reached"): throttled, certainly not applied.
 */
export function isThrottled(err: unknown): boolean {
  if (err instanceof cassandra.errors.ResponseError) return err.code === codes.overloaded;
  // The driver's connect (and a query with no host left to try) reports each host's error: throttled if all were.
  if (err instanceof cassandra.errors.NoHostAvailableError) {
    const inner = Object.values((err as { innerErrors?: Record<string, unknown> }).innerErrors ?? {});
    return inner.length > 0 && inner.every(isThrottled);
  }
  return false;
}

/**
 * Runs a set-up statement (connecting, reading the schema or the node's settings, creating the schema) that sits
 * outside the engine's own retries: a throttled attempt waits and tries again with the throttle backoff every store
 * call uses (decorators.ts `whileThrottled`), for up to `budgetMs`.
 * A rate-limited Astra DB refuses the burst of statements a starting engine sends; that is a wait, not a failure.
 */
export async function retryThrottled<T>(what: string, fn: () => Promise<T>, budgetMs = 30_000): Promise<T> {
  try {
    return await whileThrottled(
      () =>
        fn().catch((err: unknown) => {
          throw isThrottled(err) ? new StoreThrottledError((err as Error).message, { cause: err }) : err;
        }),
      budgetMs,
    );
  } catch (err) {
    if (!(err instanceof StoreThrottledError)) throw err;
    throw new StoreUnavailableError(
      `the store kept refusing ${what} for its rate for ${Math.round(budgetMs / 1000)} s (a rate limit: raise it, or wait for quieter traffic)`,
      { cause: err },
    );
  }
}

/** A driver error as a store error. `write`: the statement changes data (so a timeout leaves it unknown). */
export function classifyDriverError(err: unknown, write: boolean, conditional: boolean): Error {
  if (err instanceof StoreError) return err;
  if (err instanceof cassandra.errors.ResponseError) {
    const e = err as cassandra.errors.ResponseError & { writeType?: string };
    if (e.code === codes.writeTimeout) {
      // A CAS write timeout: the Paxos round may still complete. Outcome unknown.
      const cas = e.writeType === 'CAS' || conditional;
      return new StoreTimeoutError(`write timeout (${e.writeType ?? 'unknown write type'}): ${e.message}`, cas, {
        cause: err,
      });
    }
    if (e.code === codes.readTimeout || e.code === codes.readFailure) {
      return write
        ? new StoreTimeoutError(e.message, conditional, { cause: err })
        : new StoreUnavailableError(`read timeout: ${e.message}`, { cause: err });
    }
    if (e.code === codes.unavailableException || e.code === codes.isBootstrapping) {
      // Not enough replicas alive, or the node is still starting: the store is (partly) down.
      return new StoreUnavailableError(e.message, { cause: err, outage: true });
    }
    if (isThrottled(e)) return new StoreThrottledError(e.message, { cause: err });
    // Invalid request, refused before anything was written. Cassandra says "Batch too large"; Astra names the
    // guardrail (batch_size_fail_threshold).
    if (e.code === codes.invalid && BATCH_TOO_LARGE.test(e.message))
      return new StoreBatchTooLargeError(e.message, { cause: err });
    if (e.code === codes.writeFailure)
      return new StoreTimeoutError(`write failure: ${e.message}`, conditional, { cause: err });
    return new StoreError('INTERNAL', e.message, 'no', { cause: err });
  }
  if (err instanceof cassandra.errors.OperationTimedOutError) {
    // The client gave up waiting: a write may or may not have happened.
    return write
      ? new StoreTimeoutError(err.message, conditional, { cause: err })
      : new StoreUnavailableError(err.message, { cause: err });
  }
  if (err instanceof cassandra.errors.NoHostAvailableError)
    return new StoreUnavailableError(err.message, { cause: err, outage: true });
  if (err instanceof cassandra.errors.BusyConnectionError)
    return new StoreUnavailableError(err.message, { cause: err });
  // The driver throws a plain Error when a host's pool has no open connection to lend (re-preparing statements on
  // a node that just came back up, for one): nothing was sent, and the node is unreachable for now.
  if (err instanceof Error && err.constructor === Error && err.message === NO_CONNECTION)
    return new StoreUnavailableError(`connection failure: ${err.message}`, { cause: err, outage: true });
  if (err instanceof cassandra.errors.DriverError) {
    // Anything else the driver reports (a connection closed under a request in flight, a node going down): a
    // write may have reached Cassandra, so its outcome is unknown; a read can simply be retried.
    return write
      ? new StoreTimeoutError(`connection failure: ${err.message}`, conditional, { cause: err, outage: true })
      : new StoreUnavailableError(`connection failure: ${err.message}`, { cause: err, outage: true });
  }
  return err instanceof Error ? err : new Error(String(err));
}

export interface ExpectedConditions {
  shardId: number;
  rangeId: number;
  /** Run id the current row must name (undefined: not conditioned or IF NOT EXISTS). */
  currentRunId?: string;
  /** The current row must not exist. */
  currentMustNotExist?: boolean;
  /** workflow_state the current row must have (reusing a closed workflow id). */
  currentState?: number;
  runId?: string;
  dbRecordVersion?: number;
}

function str(v: unknown): string {
  return v === null || v === undefined ? '' : (v as { toString(): string }).toString();
}

function num(v: unknown): number {
  if (v === null || v === undefined) return NaN;
  if (typeof v === 'number') return v;
  return Number((v as { toString(): string }).toString());
}

/** Names the condition that failed, from the rows a not-applied batch returned. */
export function classifyNotApplied(rows: cassandra.types.Row[], e: ExpectedConditions): StoreError {
  let shardRange: number | undefined;
  let current: { runId: string; state: number } | undefined;
  let execVersion: number | undefined;
  let execExists = false;
  for (const r of rows) {
    const type = num(r.get('type'));
    if (type === RowType.Shard) shardRange = num(r.get('range_id'));
    else if (type === RowType.Execution) {
      const runId = str(r.get('run_id'));
      if (runId === CURRENT_RUN_ID)
        current = { runId: str(r.get('current_run_id')), state: num(r.get('workflow_state')) };
      else if (runId === e.runId) {
        execExists = true;
        execVersion = num(r.get('db_record_version'));
      }
    }
  }
  if (shardRange !== undefined && shardRange !== e.rangeId)
    return new ShardOwnershipLostError(e.shardId, e.rangeId, shardRange);
  if (
    current &&
    (e.currentMustNotExist ||
      (e.currentRunId !== undefined && current.runId !== e.currentRunId) ||
      (e.currentState !== undefined && current.state !== e.currentState))
  ) {
    return new CurrentWorkflowConditionFailedError(`current run is ${current.runId}`, current.runId, current.state);
  }
  if (execExists && e.dbRecordVersion !== undefined && execVersion !== e.dbRecordVersion) {
    return new WorkflowConditionFailedError(
      `expected db_record_version ${e.dbRecordVersion}, found ${execVersion}`,
      execVersion,
    );
  }
  if (execExists && e.dbRecordVersion === undefined)
    return new WorkflowConditionFailedError(`run ${e.runId} already exists`);
  return new ConditionFailedError('conditional batch not applied');
}
