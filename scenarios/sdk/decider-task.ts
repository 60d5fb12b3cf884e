/**
 * A workflow task as a decider sees it: the history (full, since synthetic workers poll the normal queue), the
 * events new since the last task, and queries over them. Deciders are pure functions of this view.
 */
import proto from '@temporalio/proto';
import type { temporal } from '@temporalio/proto';
import { fromPayloads } from './payloads.js';

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

export class DeciderTask {
  readonly started: temporal.api.history.v1.IWorkflowExecutionStartedEventAttributes;

  constructor(
    readonly workflowId: string,
    readonly runId: string,
    readonly workflowType: string,
    readonly events: readonly HistoryEvent[],
    readonly previousStartedEventId: number,
    readonly attempt: number,
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

  cancelRequested(): boolean {
    return this.events.some((e) => e.eventType === EventType.EVENT_TYPE_WORKFLOW_EXECUTION_CANCEL_REQUESTED);
  }

  /** Virtual time of the task (the workflow's clock): the last event's time, epoch ms. */
  nowMs(): number {
    const last = this.events[this.events.length - 1];
    const t = last?.eventTime;
    return t ? num(t.seconds) * 1000 + Math.floor((t.nanos ?? 0) / 1e6) : 0;
  }
}
