/**
 * A schedule's durable record (Temporal's scheduler `InternalState` + `ScheduleInfo`, kept natively): the schedule
 * itself (canonical spec, action, policies, state) as its protobuf encoding, and the scheduler's bookkeeping.
 * Serialized as JSON into the schedule store's row.
 */
import { api, type temporal } from '../proto.js';

export interface BufferedStart {
  nominalMs: number;
  /** The nominal time plus jitter. */
  actualMs: number;
  /** ScheduleOverlapPolicy; 0 = the schedule's policy, resolved when the start is taken. */
  overlapPolicy: number;
  /** Triggered or backfilled: ignores pause, remaining actions and the catch-up window. */
  manual: boolean;
}

export interface Backfill {
  startMs: number;
  endMs: number;
  overlapPolicy: number;
}

export interface RecentAction {
  scheduleTimeMs: number;
  actualTimeMs: number;
  workflowId: string;
  runId: string;
  /** WorkflowExecutionStatus, updated when the run is seen closed. */
  status: number;
}

export interface ScheduleRecord {
  namespaceId: string;
  namespace: string;
  scheduleId: string;
  /** base64 of temporal.api.schedule.v1.Schedule, its spec canonical. */
  schedule: string;
  /** base64 of temporal.api.common.v1.Memo / SearchAttributes; '' when none. */
  memo: string;
  searchAttributes: string;
  conflictToken: number;
  lastProcessedMs: number;
  createTimeMs: number;
  updateTimeMs: number;
  actionCount: number;
  missedCatchupWindow: number;
  overlapSkipped: number;
  bufferDropped: number;
  buffer: BufferedStart[];
  backfills: Backfill[];
  running: { workflowId: string; runId: string }[];
  recent: RecentAction[];
}

type Schedule = temporal.api.schedule.v1.ISchedule;

/** A new schedule's record at `nowMs`: token 1, nothing processed before its creation, nothing done yet. */
export function newScheduleRecord(
  p: Pick<ScheduleRecord, 'namespaceId' | 'namespace' | 'scheduleId' | 'schedule' | 'memo' | 'searchAttributes'>,
  nowMs: number,
): ScheduleRecord {
  return {
    ...p,
    conflictToken: 1,
    lastProcessedMs: nowMs,
    createTimeMs: nowMs,
    updateTimeMs: 0,
    actionCount: 0,
    missedCatchupWindow: 0,
    overlapSkipped: 0,
    bufferDropped: 0,
    buffer: [],
    backfills: [],
    running: [],
    recent: [],
  };
}

export function encodeSchedule(s: Schedule): string {
  return Buffer.from(api.schedule.v1.Schedule.encode(s).finish()).toString('base64');
}

export function decodeSchedule(b64: string): temporal.api.schedule.v1.Schedule {
  return api.schedule.v1.Schedule.decode(Buffer.from(b64, 'base64'));
}

export function encodeMemo(m: temporal.api.common.v1.IMemo | null | undefined): string {
  return m?.fields && Object.keys(m.fields).length > 0
    ? Buffer.from(api.common.v1.Memo.encode(m).finish()).toString('base64')
    : '';
}

export function decodeMemo(b64: string): temporal.api.common.v1.Memo | undefined {
  return b64 ? api.common.v1.Memo.decode(Buffer.from(b64, 'base64')) : undefined;
}

export function encodeSearchAttributes(sa: temporal.api.common.v1.ISearchAttributes | null | undefined): string {
  return sa?.indexedFields && Object.keys(sa.indexedFields).length > 0
    ? Buffer.from(api.common.v1.SearchAttributes.encode(sa).finish()).toString('base64')
    : '';
}

export function decodeSearchAttributes(b64: string): temporal.api.common.v1.SearchAttributes | undefined {
  return b64 ? api.common.v1.SearchAttributes.decode(Buffer.from(b64, 'base64')) : undefined;
}

export function encodeRecord(r: ScheduleRecord): Uint8Array {
  return Buffer.from(JSON.stringify(r), 'utf8');
}

export function decodeRecord(blob: Uint8Array | string): ScheduleRecord {
  return JSON.parse(typeof blob === 'string' ? blob : Buffer.from(blob).toString('utf8')) as ScheduleRecord;
}
