/**
 * node-postgres errors, classified at the boundary into the same store errors as Cassandra's, so the engine's
 * fencing, retries and outage handling work unchanged:
 * - the server refused or lost the connection (refused, reset, terminated by an administrator or a restart, still
 *   starting up): an outage. A write whose COMMIT was in flight when that happened has an unknown outcome
 *   (StoreTimeoutError, like a CAS write timeout); anything earlier in a transaction was rolled back with it.
 * - serialization failure (40001) and deadlock (40P01): rolled back, nothing applied (TransactionConflictError).
 * - too many connections, out of resources, a statement timeout before COMMIT: unavailable, nothing applied.
 */
import { StoreError, StoreTimeoutError, StoreUnavailableError, TransactionConflictError } from '../errors.js';

/** Where in its life a statement failed: a read, a write whose effect is all-or-nothing and not yet sent, a COMMIT. */
export type Phase = 'read' | 'rolled-back' | 'in-doubt';

/** SQLSTATE classes and codes we tell apart (PostgreSQL Appendix A). */
const SERIALIZATION_FAILURE = '40001';
const DEADLOCK = '40P01';
const UNDEFINED_TABLE = '42P01';
/** admin_shutdown (pg_terminate_backend, fast shutdown), crash_shutdown, cannot_connect_now (starting up). */
const GONE = new Set(['57P01', '57P02', '57P03']);
const QUERY_CANCELED = '57014';

/** Messages node-postgres and its pool use for a connection that went away or never came. */
const CONNECTION_MESSAGES = [
  'Connection terminated',
  'connection error',
  'not queryable',
  'timeout exceeded when trying to connect',
  'Query read timeout',
];
const SOCKET_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
]);

function sqlState(err: unknown): string | undefined {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code) ? code : undefined;
}

/** True when the error means the connection is gone (the client must not be reused). */
export function isConnectionLoss(err: unknown): boolean {
  if (!(err instanceof Error)) return false;
  const state = sqlState(err);
  if (state !== undefined) return GONE.has(state) || state.startsWith('08');
  const code = (err as { code?: unknown }).code;
  if (typeof code === 'string' && SOCKET_CODES.has(code)) return true;
  return CONNECTION_MESSAGES.some((m) => err.message.includes(m));
}

/** `conditional`: the write was fenced (a transaction with conditions), so an in-doubt outcome counts as a CAS timeout. */
export function classifyPgError(err: unknown, phase: Phase, conditional = false): Error {
  if (err instanceof StoreError) return err;
  if (!(err instanceof Error)) return new Error(String(err));
  const state = sqlState(err);
  if (state === SERIALIZATION_FAILURE)
    return new TransactionConflictError('serialization_failure', `serialization failure: ${err.message}`, {
      cause: err,
    });
  if (state === DEADLOCK) return new TransactionConflictError('deadlock', `deadlock: ${err.message}`, { cause: err });
  if (isConnectionLoss(err)) {
    const message = `connection failure: ${err.message}`;
    return phase === 'in-doubt'
      ? new StoreTimeoutError(message, conditional, { cause: err, outage: true })
      : new StoreUnavailableError(message, { cause: err, outage: true });
  }
  if (state === QUERY_CANCELED) {
    // statement_timeout: a COMMIT cancelled may or may not have reached the WAL; anything else was rolled back.
    return phase === 'in-doubt'
      ? new StoreTimeoutError(`statement timeout: ${err.message}`, conditional, { cause: err })
      : new StoreUnavailableError(`statement timeout: ${err.message}`, { cause: err });
  }
  if (state?.startsWith('53'))
    return new StoreUnavailableError(`insufficient resources: ${err.message}`, { cause: err });
  if (state === UNDEFINED_TABLE)
    return new StoreUnavailableError(`${err.message} (run: stampede schema create --store postgres ...)`, {
      cause: err,
    });
  return new StoreError('INTERNAL', err.message, 'no', { cause: err });
}
