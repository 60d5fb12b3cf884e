/**
 * How members of a cluster talk to each other about calls that are not WorkflowService requests (a history call from
 * one shard to another, a task handed to the member that owns its queue): arguments and results as V8's structured
 * serialization (plain data, Maps, byte arrays, Longs as their fields), errors as their class name and fields, so that
 * the caller can tell "already started" from "not found" from "not the owner" as it would in one process.
 */
import { deserialize, serialize } from 'node:v8';
import * as errors from '../errors.js';
import * as historyErrors from '../history/errors.js';
import * as matchingErrors from '../matching/errors.js';
import * as storeErrors from '../persistence/errors.js';

export const encode = (value: unknown): Buffer => serialize(value);
export const decode = (bytes: Buffer): unknown => (bytes.length === 0 ? undefined : deserialize(bytes));

/** An error as it crosses to another member. */
export interface WireError {
  name: string;
  message: string;
  fields: Record<string, unknown>;
}

type ErrorClass = abstract new (...args: never[]) => Error;

/** Every error class of the engine that callers tell apart by `instanceof`, by name. */
const CLASSES = new Map<string, ErrorClass>();
for (const m of [errors, historyErrors, matchingErrors, storeErrors] as Record<string, unknown>[])
  for (const v of Object.values(m))
    if (typeof v === 'function' && (v as { prototype: unknown }).prototype instanceof Error)
      CLASSES.set(v.name, v as ErrorClass);

export function toWireError(err: unknown): WireError {
  if (!(err instanceof Error)) return { name: 'Error', message: String(err), fields: {} };
  const fields: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(err)) {
    if (k === 'cause' || typeof v === 'function') continue;
    try {
      serialize(v);
      fields[k] = v;
    } catch {
      // A field that cannot cross (a socket, a handle) stays behind: the class and message carry the meaning.
    }
  }
  return { name: err.constructor.name, message: err.message, fields };
}

/** The error a member raised, as the same class here (an unknown class becomes an UnavailableError). */
export function fromWireError(w: WireError, member: string): Error {
  const cls = CLASSES.get(w.name);
  if (!cls) return new errors.UnavailableError(`member ${member}: ${w.name}: ${w.message}`);
  const err = Object.create(cls.prototype as object) as Error;
  Object.assign(err, w.fields);
  Object.defineProperty(err, 'message', { value: w.message, enumerable: false, writable: true });
  Object.defineProperty(err, 'stack', {
    value: `${w.name}: ${w.message}\n    at member ${member}`,
    enumerable: false,
    writable: true,
  });
  return err;
}
