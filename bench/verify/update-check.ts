/**
 * Workflow update outcomes in one run's history: every update accepted once (with the request the SDK replays
 * from), completed at most once and only after its acceptance, and — once the run has closed by its own hand —
 * every accepted update completed. A run closed from outside (terminated, timed out) may leave accepted updates
 * without a completion: Temporal aborts them with a failure outcome and writes no event.
 */
import proto from '@temporalio/proto';
import type { temporal } from '@temporalio/proto';

const E = proto.temporal.api.enums.v1.EventType;
type Event = temporal.api.history.v1.IHistoryEvent;

function num(v: unknown): number {
  if (typeof v === 'number') return v;
  if (v && typeof v === 'object' && 'toNumber' in v) return (v as { toNumber(): number }).toNumber();
  return Number(v ?? 0);
}

/** Closes that end the run from outside its own code. */
const EXTERNAL_CLOSES: ReadonlySet<number> = new Set<number>([
  E.EVENT_TYPE_WORKFLOW_EXECUTION_TERMINATED,
  E.EVENT_TYPE_WORKFLOW_EXECUTION_TIMED_OUT,
]);

export function updateProblems(events: Event[], closeEventType: number | undefined): string[] {
  const problems: string[] = [];
  const acceptedAt = new Map<string, number>();
  const completed = new Set<string>();
  for (const e of events) {
    const id = num(e.eventId);
    const accepted = e.workflowExecutionUpdateAcceptedEventAttributes;
    if (accepted) {
      const updateId = accepted.protocolInstanceId ?? '';
      if (acceptedAt.has(updateId))
        problems.push(`update ${updateId} accepted twice (events ${acceptedAt.get(updateId)} and ${id})`);
      if (!accepted.acceptedRequest) problems.push(`update ${updateId} accepted at event ${id} without its request`);
      acceptedAt.set(updateId, id);
    }
    const done = e.workflowExecutionUpdateCompletedEventAttributes;
    if (done) {
      const updateId = done.meta?.updateId ?? '';
      const acceptedEventId = num(done.acceptedEventId);
      if (acceptedAt.get(updateId) !== acceptedEventId)
        problems.push(
          `update ${updateId} completed at event ${id} without its acceptance (acceptedEventId ${acceptedEventId})`,
        );
      if (completed.has(updateId)) problems.push(`update ${updateId} completed twice (again at event ${id})`);
      if (!done.outcome?.success && !done.outcome?.failure)
        problems.push(`update ${updateId} completed at event ${id} without an outcome`);
      completed.add(updateId);
    }
  }
  if (closeEventType !== undefined && !EXTERNAL_CLOSES.has(closeEventType)) {
    for (const updateId of acceptedAt.keys()) {
      if (!completed.has(updateId))
        problems.push(`update ${updateId} was accepted and never completed before the run closed`);
    }
  }
  return problems;
}
