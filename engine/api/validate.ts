/** Request validation shared by handlers, with Temporal's messages. Every failure is an INVALID_ARGUMENT. */
import { InvalidArgumentError } from '../errors.js';
import { msFromDuration, type IDuration, type IPayloads } from '../proto.js';

export function requireField<T>(value: T | null | undefined | '', message: string): T {
  if (value === null || value === undefined || value === '') throw new InvalidArgumentError(message);
  return value;
}

export function requireNamespace(ns: string | null | undefined): string {
  return requireField(ns, 'Namespace not set on request.');
}

const MAX_ID_LENGTH = 1000;

export function checkId(value: string | null | undefined, what: string): string {
  const v = requireField(value, `${what} is not set on request.`);
  if (v.length > MAX_ID_LENGTH) throw new InvalidArgumentError(`${what} exceeds length limit.`);
  return v;
}

export function nonNegativeDuration(d: IDuration | null | undefined, what: string): number {
  const ms = msFromDuration(d);
  if (ms < 0) throw new InvalidArgumentError(`Invalid ${what}.`);
  return ms;
}

export function checkPayloads(payloads: IPayloads | null | undefined, limitBytes: number, what = 'Blob'): void {
  if (!payloads?.payloads) return;
  let size = 0;
  for (const p of payloads.payloads) size += p.data?.length ?? 0;
  if (size > limitBytes) throw new InvalidArgumentError(`${what} data size exceeds limit.`);
}
