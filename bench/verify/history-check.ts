/**
 * History well-formedness, checked the way the SDK would trip over it: event ids 1..n with no gaps, in order,
 * every event timed, exactly one close event and nothing after it, and references (scheduled/started ids,
 * timer ids) pointing at events of the right type earlier in the history.
 */
import proto from '@temporalio/proto';
import type { temporal } from '@temporalio/proto';
import { updateProblems } from './update-check.js';

const E = proto.temporal.api.enums.v1.EventType;
type Event = temporal.api.history.v1.IHistoryEvent;

/** Event types that close a run. */
export const CLOSE_EVENT_TYPES: ReadonlySet<number> = new Set<number>([
  E.EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED,
  E.EVENT_TYPE_WORKFLOW_EXECUTION_FAILED,
  E.EVENT_TYPE_WORKFLOW_EXECUTION_TIMED_OUT,
  E.EVENT_TYPE_WORKFLOW_EXECUTION_CANCELED,
  E.EVENT_TYPE_WORKFLOW_EXECUTION_TERMINATED,
  E.EVENT_TYPE_WORKFLOW_EXECUTION_CONTINUED_AS_NEW,
]);

/** An int64 field as protobufjs gives it (number or Long), as a number. */
export function num(v: unknown): number {
  if (typeof v === 'number') return v;
  if (v && typeof v === 'object' && 'toNumber' in v) return (v as { toNumber(): number }).toNumber();
  return Number(v ?? 0);
}

/** Problems found (empty when the history is well-formed). `closed`: the run must have ended. */
export function historyProblems(events: Event[], opts: { closed?: boolean } = {}): string[] {
  const problems: string[] = [];
  const types = new Map<number, number>();
  let closeAt = -1;
  events.forEach((e, i) => {
    const id = num(e.eventId);
    if (id !== i + 1) problems.push(`event #${i} has id ${id}, expected ${i + 1}`);
    if (!e.eventTime) problems.push(`event ${id} has no eventTime`);
    types.set(id, e.eventType ?? 0);
    if (closeAt >= 0) problems.push(`event ${id} (${E[e.eventType ?? 0]}) follows the close event ${closeAt}`);
    if (CLOSE_EVENT_TYPES.has(e.eventType ?? 0)) closeAt = id;
    const ref = (what: string, refId: unknown, expected: number[]): void => {
      const r = num(refId);
      if (!expected.includes(types.get(r) ?? -1) || r >= id) {
        problems.push(
          `event ${id} (${E[e.eventType ?? 0]}) ${what}=${r} does not point at an earlier ${expected.map((t) => E[t]).join('/')}`,
        );
      }
    };
    const a = e;
    if (a.workflowTaskStartedEventAttributes)
      ref('scheduledEventId', a.workflowTaskStartedEventAttributes.scheduledEventId, [
        E.EVENT_TYPE_WORKFLOW_TASK_SCHEDULED,
      ]);
    for (const attrs of [a.workflowTaskCompletedEventAttributes, a.workflowTaskFailedEventAttributes]) {
      if (attrs) {
        ref('scheduledEventId', attrs.scheduledEventId, [E.EVENT_TYPE_WORKFLOW_TASK_SCHEDULED]);
        ref('startedEventId', attrs.startedEventId, [E.EVENT_TYPE_WORKFLOW_TASK_STARTED]);
      }
    }
    if (a.activityTaskStartedEventAttributes)
      ref('scheduledEventId', a.activityTaskStartedEventAttributes.scheduledEventId, [
        E.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED,
      ]);
    for (const attrs of [a.activityTaskCompletedEventAttributes, a.activityTaskFailedEventAttributes]) {
      if (attrs) {
        ref('scheduledEventId', attrs.scheduledEventId, [E.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED]);
        ref('startedEventId', attrs.startedEventId, [E.EVENT_TYPE_ACTIVITY_TASK_STARTED]);
      }
    }
    if (a.activityTaskTimedOutEventAttributes)
      ref('scheduledEventId', a.activityTaskTimedOutEventAttributes.scheduledEventId, [
        E.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED,
      ]);
    if (a.activityTaskCanceledEventAttributes)
      ref('scheduledEventId', a.activityTaskCanceledEventAttributes.scheduledEventId, [
        E.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED,
      ]);
    if (a.timerFiredEventAttributes)
      ref('startedEventId', a.timerFiredEventAttributes.startedEventId, [E.EVENT_TYPE_TIMER_STARTED]);
    if (a.timerCanceledEventAttributes)
      ref('startedEventId', a.timerCanceledEventAttributes.startedEventId, [E.EVENT_TYPE_TIMER_STARTED]);
    const childStart = [E.EVENT_TYPE_START_CHILD_WORKFLOW_EXECUTION_INITIATED];
    for (const attrs of [
      a.childWorkflowExecutionStartedEventAttributes,
      a.startChildWorkflowExecutionFailedEventAttributes,
    ])
      if (attrs) ref('initiatedEventId', attrs.initiatedEventId, childStart);
    for (const attrs of [
      a.childWorkflowExecutionCompletedEventAttributes,
      a.childWorkflowExecutionFailedEventAttributes,
      a.childWorkflowExecutionCanceledEventAttributes,
      a.childWorkflowExecutionTimedOutEventAttributes,
      a.childWorkflowExecutionTerminatedEventAttributes,
    ]) {
      if (attrs) {
        ref('initiatedEventId', attrs.initiatedEventId, childStart);
        ref('startedEventId', attrs.startedEventId, [E.EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_STARTED]);
      }
    }
    for (const attrs of [
      a.externalWorkflowExecutionSignaledEventAttributes,
      a.signalExternalWorkflowExecutionFailedEventAttributes,
    ])
      if (attrs)
        ref('initiatedEventId', attrs.initiatedEventId, [E.EVENT_TYPE_SIGNAL_EXTERNAL_WORKFLOW_EXECUTION_INITIATED]);
    for (const attrs of [
      a.externalWorkflowExecutionCancelRequestedEventAttributes,
      a.requestCancelExternalWorkflowExecutionFailedEventAttributes,
    ])
      if (attrs)
        ref('initiatedEventId', attrs.initiatedEventId, [
          E.EVENT_TYPE_REQUEST_CANCEL_EXTERNAL_WORKFLOW_EXECUTION_INITIATED,
        ]);
  });
  if (events[0] && events[0].eventType !== E.EVENT_TYPE_WORKFLOW_EXECUTION_STARTED)
    problems.push('the first event is not WorkflowExecutionStarted');
  if (opts.closed && closeAt < 0) problems.push('the history has no close event');
  problems.push(...updateProblems(events, closeAt >= 0 ? (types.get(closeAt) ?? 0) : undefined));
  return problems;
}

export function eventTypes(events: Event[]): string[] {
  return events.map((e) => (E[e.eventType ?? 0] ?? String(e.eventType)).replace('EVENT_TYPE_', ''));
}
