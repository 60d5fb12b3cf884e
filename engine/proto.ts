/**
 * Typed access to the Temporal API definitions shipped in `@temporalio/proto` (a protobufjs reflection root),
 * plus the small conversions every service needs: int64 values arrive as `Long`, timestamps and durations as
 * `{seconds, nanos}`.
 */
import protoRoot from '@temporalio/proto';
import type { google, temporal } from '@temporalio/proto';
import type Long from 'long';

export type { google, temporal };
export const root = protoRoot;
export const api = protoRoot.temporal.api;
export const enums = protoRoot.temporal.api.enums.v1;

/**
 * A message as we build it: protobufjs encodes a JS number into an int64 field, but its typings only admit
 * `Long`. `Wire<T>` widens every int64 in T to `number | Long`, so engine code writes plain numbers.
 */
export type Wire<T> = T extends Long
  ? number | Long
  : T extends Uint8Array
    ? T
    : T extends readonly (infer U)[]
      ? Wire<U>[]
      : T extends object
        ? { [K in keyof T]: Wire<T[K]> }
        : T;

export type IHistoryEvent = Wire<temporal.api.history.v1.IHistoryEvent>;
export type IPayloads = temporal.api.common.v1.IPayloads;
export type IPayload = temporal.api.common.v1.IPayload;
export type IFailure = temporal.api.failure.v1.IFailure;
export type ICommand = temporal.api.command.v1.ICommand;
export type IRetryPolicy = Wire<temporal.api.common.v1.IRetryPolicy>;
export type ITimestamp = Wire<google.protobuf.ITimestamp>;
export type IDuration = Wire<google.protobuf.IDuration>;
export type EventType = temporal.api.enums.v1.EventType;
export type CommandType = temporal.api.enums.v1.CommandType;
export type WorkflowExecutionStatus = temporal.api.enums.v1.WorkflowExecutionStatus;

type Int64 = Long | number | string | null | undefined;

/** int64 from the wire (Long, number or decimal string) to a JS number; values here stay far below 2^53. */
export function toNumber(value: Int64): number {
  if (value === null || value === undefined) return 0;
  if (typeof value === 'number') return value;
  if (typeof value === 'string') return Number(value);
  return value.toNumber();
}

export function timestampFromMs(ms: number): ITimestamp {
  const seconds = Math.floor(ms / 1000);
  return { seconds, nanos: Math.round((ms - seconds * 1000) * 1e6) };
}

export function durationFromMs(ms: number): IDuration {
  const seconds = Math.floor(ms / 1000);
  return { seconds, nanos: Math.round((ms - seconds * 1000) * 1e6) };
}

/** Duration to milliseconds; absent or zero means "not set" and maps to 0. */
export function msFromDuration(d: IDuration | null | undefined): number {
  if (!d) return 0;
  return toNumber(d.seconds) * 1000 + Math.floor((d.nanos ?? 0) / 1e6);
}

export function encodeHistoryEvents(events: IHistoryEvent[]): Uint8Array {
  return api.history.v1.History.encode({ events } as temporal.api.history.v1.IHistory).finish();
}

export function decodeHistoryEvents(blob: Uint8Array): IHistoryEvent[] {
  return api.history.v1.History.decode(blob).events;
}

/** The reflection API of the protobufjs root (typed structurally: two protobufjs majors are installed). */
export interface ReflectionRoot {
  lookupService(name: string): {
    resolveAll(): unknown;
    methodsArray: { name: string; resolvedRequestType: unknown; resolvedResponseType: unknown }[];
  };
}
export const reflection = protoRoot as unknown as ReflectionRoot;
