/**
 * Record <-> blob. Records travel as UTF-8 JSON (encoding "json", readable in cqlsh); history events as
 * protobuf `temporal.api.history.v1.History` (encoding "proto3"), exactly what Temporal stores in history_node.
 */
import { decodeHistoryEvents, encodeHistoryEvents, type IHistoryEvent } from '../proto.js';
import type { HistoryTask, WorkflowKey } from './records.js';
import type { HistoryTaskRow, RecordBlob } from './store.js';

export const RECORD_ENCODING = 'json';
export const HISTORY_ENCODING = 'proto3';

/**
 * JSON text, kept as a string: the memory store holds it as it is, and a byte-oriented backend encodes it to UTF-8
 * where it writes the column (see `RecordBlob`). Turning every record into its own Uint8Array here cost an ArrayBuffer
 * per row and a third of the engine's serialization time, for a store that never needed the bytes.
 */
export function encodeRecord(value: unknown): string {
  return JSON.stringify(value);
}

/** Either form of a record: text as stored, or UTF-8 bytes as read back (decoded through a Buffer view, no copy). */
export function decodeRecord<T>(blob: RecordBlob): T {
  if (typeof blob === 'string') return JSON.parse(blob) as T;
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
