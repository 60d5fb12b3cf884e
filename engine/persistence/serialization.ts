/**
 * Record <-> blob. Records travel as UTF-8 JSON (encoding "json", readable in cqlsh); history events as
 * protobuf `temporal.api.history.v1.History` (encoding "proto3"), exactly what Temporal stores in history_node.
 */
import { decodeHistoryEvents, encodeHistoryEvents, type IHistoryEvent } from '../proto.js';
import type { HistoryTask, WorkflowKey } from './records.js';
import type { HistoryTaskRow } from './store.js';

export const RECORD_ENCODING = 'json';
export const HISTORY_ENCODING = 'proto3';

const encoder = new TextEncoder();

/**
 * `TextEncoder` (not `Buffer.from`): every record gets an exact-size buffer of its own. A slice of Node's shared
 * pool would pin the whole 8 KiB slab for as long as the memory store keeps the record.
 */
export function encodeRecord(value: unknown): Uint8Array {
  return encoder.encode(JSON.stringify(value));
}

/** Decoded through a Buffer view of the same bytes (no copy; faster than `TextDecoder` for short records). */
export function decodeRecord<T>(blob: Uint8Array): T {
  const b = Buffer.isBuffer(blob) ? blob : Buffer.from(blob.buffer, blob.byteOffset, blob.byteLength);
  return JSON.parse(b.toString('utf8')) as T;
}

export function encodeEvents(events: IHistoryEvent[]): Uint8Array {
  return encodeHistoryEvents(events);
}

export function decodeEvents(blob: Uint8Array): IHistoryEvent[] {
  return decodeHistoryEvents(blob);
}

interface TaskBlob {
  key: WorkflowKey;
  body: HistoryTask['body'];
}

export function encodeHistoryTask(task: HistoryTask): HistoryTaskRow {
  const blob: TaskBlob = { key: task.key, body: task.body };
  return {
    category: task.category,
    taskId: task.taskId,
    visibilityTimeMs: task.category === 'timer' ? task.visibilityTimeMs : 0,
    blob: encodeRecord(blob),
  };
}

export function decodeHistoryTask(row: HistoryTaskRow): HistoryTask {
  const { key, body } = decodeRecord<TaskBlob>(row.blob);
  return {
    category: row.category,
    taskId: row.taskId,
    visibilityTimeMs: row.visibilityTimeMs,
    key,
    body,
  } as HistoryTask;
}
