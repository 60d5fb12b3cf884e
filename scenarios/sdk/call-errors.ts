/** Telling expected outcomes of client calls apart (scenarios see gRPC errors as thrown Errors with a `code`). */

const NOT_FOUND = 5;
const ALREADY_EXISTS = 6;

function codeOf(err: unknown): number | undefined {
  return typeof err === 'object' && err !== null && 'code' in err && typeof err.code === 'number'
    ? err.code
    : undefined;
}

/** The workflow does not exist or has already closed (e.g. a signal that arrived after completion). */
export function isNotFound(err: unknown): boolean {
  return codeOf(err) === NOT_FOUND;
}

/** A workflow with this id is already running. */
export function isAlreadyStarted(err: unknown): boolean {
  return codeOf(err) === ALREADY_EXISTS;
}
