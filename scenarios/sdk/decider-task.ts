/**
 * A workflow task as a decider sees it: the history (full, since synthetic workers poll the normal queue), the
 * events new since the last task, and queries over them. Deciders are pure functions of this view.
 */
import proto from '@temporalio/proto';
import type { temporal } from '@temporalio/proto';
import { LOCAL_ACTIVITY_MARKER } from './commands.js';
import { fromPayloads } from './payloads.js';
import { updateRequests, type UpdateRequest } from './updates.js';

export type HistoryEvent = temporal.api.history.v1.IHistoryEvent;
export const EventType = proto.temporal.api.enums.v1.EventType;

function num(v: unknown): number {
  if (typeof v === 'number') return v;
  if (v && typeof v === 'object' && 'toNumber' in v) return (v as { toNumber(): number }).toNumber();
  return Number(v ?? 0);
}

export type ActivityOutcome =
  | { state: 'scheduled'; scheduledEventId: number }
  | { state: 'completed'; scheduledEventId: number; result: unknown }
  | { state: 'failed'; scheduledEventId: number; message: string }
  | { state: 'timed-out'; scheduledEventId: number }
  | { state: 'canceled'; scheduledEventId: number };

export type ChildState =
  'initiated' | 'start-failed' | 'started' | 'completed' | 'failed' | 'canceled' | 'terminated' | 'timed-out';

export interface ChildOutcome {
  state: ChildState;
  initiatedEventId: number;
  /** The child's run, once started. */
  runId: string;
  /** Event times (the workflow's clock, epoch ms): initiated, and started when it has. */
  initiatedMs: number;
  startedMs: number;
  result: unknown;
}

/** Requests to other workflows (signal or cancel) and how they ended. */
export type ExternalState = 'initiated' | 'done' | 'failed';

export class DeciderTask {
  readonly started: temporal.api.history.v1.IWorkflowExecutionStartedEventAttributes;

  constructor(
    readonly workflowId: string,
    readonly runId: string,
    readonly workflowType: string,
    readonly events: readonly HistoryEvent[],
    readonly previousStartedEventId: number,
    readonly attempt: number,
    /** Protocol messages delivered with the task (update requests). */
    readonly messages: readonly temporal.api.protocol.v1.IMessage[] = [],
  ) {
    this.started = events[0]?.workflowExecutionStartedEventAttributes ?? {};
  }

  /** Events the worker has not seen in an earlier task. */
  get newEvents(): HistoryEvent[] {
    return this.events.filter((e) => num(e.eventId) > this.previousStartedEventId);
  }

  input<T>(): T {
    return fromPayloads(this.started.input) as T;
  }

  /** Activity outcomes by activity id. */
  activities(): Map<string, ActivityOutcome> {
    const byScheduled = new Map<number, string>();
    const out = new Map<string, ActivityOutcome>();
    for (const e of this.events) {
      const id = num(e.eventId);
      switch (e.eventType) {
        case EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED: {
          const a = e.activityTaskScheduledEventAttributes;
          byScheduled.set(id, a?.activityId ?? '');
          out.set(a?.activityId ?? '', { state: 'scheduled', scheduledEventId: id });
          break;
        }
        case EventType.EVENT_TYPE_ACTIVITY_TASK_COMPLETED: {
          const a = e.activityTaskCompletedEventAttributes;
          const s = num(a?.scheduledEventId);
          out.set(byScheduled.get(s) ?? '', {
            state: 'completed',
            scheduledEventId: s,
            result: fromPayloads(a?.result),
          });
          break;
        }
        case EventType.EVENT_TYPE_ACTIVITY_TASK_FAILED: {
          const a = e.activityTaskFailedEventAttributes;
          const s = num(a?.scheduledEventId);
          out.set(byScheduled.get(s) ?? '', {
            state: 'failed',
            scheduledEventId: s,
            message: a?.failure?.message ?? '',
          });
          break;
        }
        case EventType.EVENT_TYPE_ACTIVITY_TASK_TIMED_OUT: {
          const s = num(e.activityTaskTimedOutEventAttributes?.scheduledEventId);
          out.set(byScheduled.get(s) ?? '', { state: 'timed-out', scheduledEventId: s });
          break;
        }
        case EventType.EVENT_TYPE_ACTIVITY_TASK_CANCELED: {
          const s = num(e.activityTaskCanceledEventAttributes?.scheduledEventId);
          out.set(byScheduled.get(s) ?? '', { state: 'canceled', scheduledEventId: s });
          break;
        }
      }
    }
    return out;
  }

  /** Timers by id: 'started' | 'fired' | 'canceled'. */
  timers(): Map<string, 'started' | 'fired' | 'canceled'> {
    const out = new Map<string, 'started' | 'fired' | 'canceled'>();
    for (const e of this.events) {
      if (e.eventType === EventType.EVENT_TYPE_TIMER_STARTED)
        out.set(e.timerStartedEventAttributes?.timerId ?? '', 'started');
      if (e.eventType === EventType.EVENT_TYPE_TIMER_FIRED)
        out.set(e.timerFiredEventAttributes?.timerId ?? '', 'fired');
      if (e.eventType === EventType.EVENT_TYPE_TIMER_CANCELED)
        out.set(e.timerCanceledEventAttributes?.timerId ?? '', 'canceled');
    }
    return out;
  }

  /** Signals received, in order. */
  signals(): { name: string; input: unknown; eventId: number }[] {
    return this.events
      .filter((e) => e.eventType === EventType.EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED)
      .map((e) => ({
        name: e.workflowExecutionSignaledEventAttributes?.signalName ?? '',
        input: fromPayloads(e.workflowExecutionSignaledEventAttributes?.input),
        eventId: num(e.eventId),
      }));
  }

  /** Child workflows by workflow id, in the order they were initiated. */
  children(): Map<string, ChildOutcome> {
    const out = new Map<string, ChildOutcome>();
    const byInitiated = new Map<number, ChildOutcome>();
    const set = (initiated: unknown, change: Partial<ChildOutcome>) => {
      const c = byInitiated.get(num(initiated));
      if (c) Object.assign(c, change);
    };
    for (const e of this.events) {
      const a = e.startChildWorkflowExecutionInitiatedEventAttributes;
      if (a) {
        const c: ChildOutcome = {
          state: 'initiated',
          initiatedEventId: num(e.eventId),
          runId: '',
          initiatedMs: msOf(e),
          startedMs: 0,
          result: undefined,
        };
        byInitiated.set(c.initiatedEventId, c);
        out.set(a.workflowId ?? '', c);
      }
      const started = e.childWorkflowExecutionStartedEventAttributes;
      if (started)
        set(started.initiatedEventId, {
          state: 'started',
          runId: started.workflowExecution?.runId ?? '',
          startedMs: msOf(e),
        });
      const done = e.childWorkflowExecutionCompletedEventAttributes;
      if (done) set(done.initiatedEventId, { state: 'completed', result: fromPayloads(done.result) });
      const startFailed = e.startChildWorkflowExecutionFailedEventAttributes;
      if (startFailed) set(startFailed.initiatedEventId, { state: 'start-failed' });
      const failed = e.childWorkflowExecutionFailedEventAttributes;
      if (failed) set(failed.initiatedEventId, { state: 'failed' });
      const canceled = e.childWorkflowExecutionCanceledEventAttributes;
      if (canceled) set(canceled.initiatedEventId, { state: 'canceled' });
      const terminated = e.childWorkflowExecutionTerminatedEventAttributes;
      if (terminated) set(terminated.initiatedEventId, { state: 'terminated' });
      const timedOut = e.childWorkflowExecutionTimedOutEventAttributes;
      if (timedOut) set(timedOut.initiatedEventId, { state: 'timed-out' });
    }
    return out;
  }

  /** External signals and cancel requests this run sent, by initiated event id. */
  externalRequests(): Map<number, { kind: 'signal' | 'cancel'; state: ExternalState }> {
    const out = new Map<number, { kind: 'signal' | 'cancel'; state: ExternalState }>();
    const set = (id: unknown, state: ExternalState) => {
      const r = out.get(num(id));
      if (r) r.state = state;
    };
    for (const e of this.events) {
      const id = num(e.eventId);
      if (e.signalExternalWorkflowExecutionInitiatedEventAttributes)
        out.set(id, { kind: 'signal', state: 'initiated' });
      if (e.requestCancelExternalWorkflowExecutionInitiatedEventAttributes)
        out.set(id, { kind: 'cancel', state: 'initiated' });
      set(e.externalWorkflowExecutionSignaledEventAttributes?.initiatedEventId, 'done');
      set(e.signalExternalWorkflowExecutionFailedEventAttributes?.initiatedEventId, 'failed');
      set(e.externalWorkflowExecutionCancelRequestedEventAttributes?.initiatedEventId, 'done');
      set(e.requestCancelExternalWorkflowExecutionFailedEventAttributes?.initiatedEventId, 'failed');
    }
    return out;
  }

  /** The update requests delivered with this task, to accept and complete or to reject. */
  updateRequests(): UpdateRequest[] {
    return updateRequests(this.messages);
  }

  /** Updates this run accepted (from its history), with whether each has completed. */
  acceptedUpdates(): Map<string, { name: string; input: unknown; completed: boolean }> {
    const out = new Map<string, { name: string; input: unknown; completed: boolean }>();
    for (const e of this.events) {
      const a = e.workflowExecutionUpdateAcceptedEventAttributes;
      if (a)
        out.set(a.protocolInstanceId ?? '', {
          name: a.acceptedRequest?.input?.name ?? '',
          input: fromPayloads(a.acceptedRequest?.input?.args),
          completed: false,
        });
      const done = e.workflowExecutionUpdateCompletedEventAttributes;
      const entry = done ? out.get(done.meta?.updateId ?? '') : undefined;
      if (entry) entry.completed = true;
    }
    return out;
  }

  /** Local activities recorded by this run (markers), by activity id, with their results. */
  localActivities(): Map<string, unknown> {
    const out = new Map<string, unknown>();
    for (const e of this.events) {
      const a = e.markerRecordedEventAttributes;
      if (a?.markerName !== LOCAL_ACTIVITY_MARKER) continue;
      const data = fromPayloads(a.details?.data) as { activityId?: string } | undefined;
      out.set(data?.activityId ?? '', fromPayloads(a.details?.result));
    }
    return out;
  }

  /** The previous cron run's (or retried run's) result, if this run follows one. */
  lastCompletionResult<T>(): T | undefined {
    return fromPayloads(this.started.lastCompletionResult) as T | undefined;
  }

  cancelRequested(): boolean {
    return this.events.some((e) => e.eventType === EventType.EVENT_TYPE_WORKFLOW_EXECUTION_CANCEL_REQUESTED);
  }

  /** Virtual time of the task (the workflow's clock): the last event's time, epoch ms. */
  nowMs(): number {
    return msOf(this.events[this.events.length - 1]);
  }
}

/** An event's time, epoch ms (0 when absent). */
export function msOf(e: HistoryEvent | undefined): number {
  const t = e?.eventTime;
  return t ? num(t.seconds) * 1000 + Math.floor((t.nanos ?? 0) / 1e6) : 0;
}
