import { NotFoundError } from '../../errors.js';

/** The run a task refers to is gone (deleted by retention) or the task itself is stale. */
export function isMissing(err: unknown): boolean {
  return err instanceof NotFoundError;
}
