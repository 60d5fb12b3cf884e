/**
 * Query errors with Temporal's wording: every one is INVALID_ARGUMENT "invalid query: …"; syntax errors read
 * "invalid query: malformed SQL query: syntax error at position N near '…'", converter errors "invalid query:
 * invalid expression: …" or "invalid query: operation is not supported: …".
 */
import { InvalidArgumentError } from '../../errors.js';

export function syntaxError(position: number, near: string): InvalidArgumentError {
  return new InvalidArgumentError(
    `invalid query: malformed SQL query: syntax error at position ${position} near '${near.slice(0, 40)}'`,
  );
}

export function invalidExpression(message: string): InvalidArgumentError {
  return new InvalidArgumentError(`invalid query: invalid expression: ${message}`);
}

export function notSupported(message: string): InvalidArgumentError {
  return new InvalidArgumentError(`invalid query: operation is not supported: ${message}`);
}
