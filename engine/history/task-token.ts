/**
 * Task tokens: opaque to workers, they name the task a respond call is about. Encoded as compact JSON; a
 * token that does not decode is an INVALID_ARGUMENT, as in Temporal ("Error deserializing task token").
 */
import { InvalidArgumentError } from '../errors.js';

export interface WorkflowTaskToken {
  k: 'w';
  ns: string;
  wid: string;
  rid: string;
  sid: number;
  tid: number;
  a: number;
}

export interface ActivityTaskToken {
  k: 'a';
  ns: string;
  wid: string;
  rid: string;
  sid: number;
  a: number;
  aid: string;
}

export interface QueryTaskToken {
  k: 'q';
  ns: string;
  wid: string;
  rid: string;
  qid: string;
}

export type TaskToken = WorkflowTaskToken | ActivityTaskToken | QueryTaskToken;

export function encodeTaskToken(t: TaskToken): Buffer {
  return Buffer.from(JSON.stringify(t), 'utf8');
}

export function decodeTaskToken(bytes: Uint8Array | null | undefined): TaskToken {
  if (!bytes || bytes.length === 0) throw new InvalidArgumentError('Task token not set on request.');
  let t: unknown;
  try {
    t = JSON.parse(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8'));
  } catch {
    throw new InvalidArgumentError('Error deserializing task token.');
  }
  if (!isToken(t)) throw new InvalidArgumentError('Error deserializing task token.');
  return t;
}

function isToken(t: unknown): t is TaskToken {
  if (typeof t !== 'object' || t === null) return false;
  const o = t as Record<string, unknown>;
  if (typeof o.ns !== 'string' || typeof o.wid !== 'string' || typeof o.rid !== 'string') return false;
  if (o.k === 'w') return typeof o.sid === 'number' && typeof o.tid === 'number' && typeof o.a === 'number';
  if (o.k === 'a') return typeof o.sid === 'number' && typeof o.a === 'number' && typeof o.aid === 'string';
  if (o.k === 'q') return typeof o.qid === 'string';
  return false;
}
