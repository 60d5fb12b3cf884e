/**
 * A run for the state machines' unit tests: created by newRun at a ManualClock's time and committed, so that each
 * test starts from persisted state and sees only what its own transaction adds. `step` begins a transaction at the
 * clock's time, as transaction.ts does.
 */
import { ManualClock } from '../../clock.js';
import { enums, toNumber, type IHistoryEvent } from '../../proto.js';
import type { MutableState, PendingTask } from '../mutable-state.js';
import { newRun } from './start.js';

export interface Fixture {
  clock: ManualClock;
  ms: MutableState;
  /** Commits what the current transaction did, then begins the next one at the clock's time. */
  step(): void;
  /** Event types written by the current transaction, by name (`WORKFLOW_TASK_STARTED`). */
  written(): string[];
  /** What the run's first transaction (newRun) wrote and queued. */
  first: { events: string[]; tasks: PendingTask[] };
}

export const E = enums.EventType;

export function eventName(e: IHistoryEvent): string {
  return (E[e.eventType ?? 0] ?? String(e.eventType)).replace('EVENT_TYPE_', '');
}

export function idOf(e: IHistoryEvent | undefined): number {
  return toNumber(e?.eventId);
}

export function startedRun(
  o: { timeScale?: number; runTimeoutMs?: number; workflowTaskTimeoutMs?: number } = {},
): Fixture {
  const clock = new ManualClock(Date.UTC(2026, 0, 1), o.timeScale ?? 1);
  const ms = newRun(
    {
      namespaceId: 'ns',
      workflowId: 'wf',
      runId: 'run-1',
      firstRunId: 'run-1',
      requestId: 'req-1',
      workflowType: 'hello',
      taskQueue: 'tq',
      input: undefined,
      workflowRunTimeoutMs: o.runTimeoutMs ?? 0,
      workflowExecutionTimeoutMs: 0,
      executionExpirationTimeMs: 0,
      workflowTaskTimeoutMs: o.workflowTaskTimeoutMs ?? 10_000,
      retentionMs: 3_600_000,
      identity: 'starter',
      header: undefined,
      memo: undefined,
      searchAttributes: undefined,
      retryPolicy: undefined,
      continuedExecutionRunId: '',
      initiator: 0,
      lastCompletionResult: undefined,
      continuedFailure: undefined,
      timeScale: o.timeScale ?? 1,
    },
    clock.now(),
  );
  const step = (): void => {
    ms.commit();
    ms.begin(clock.now());
  };
  const first = { events: ms.newEvents.map(eventName), tasks: [...ms.tasks] };
  step();
  return { clock, ms, step, written: () => ms.newEvents.map(eventName), first };
}
