import { describe, expect, it } from 'vitest';
import { api, enums, toNumber } from '../../proto.js';
import { TimeoutKind } from '../../persistence/records.js';
import { StaleTaskError } from '../errors.js';
import type { MutableState } from '../mutable-state.js';
import {
  completeActivity,
  failActivityAttempt,
  normalizeActivityTimeouts,
  requestCancelActivity,
  requireStarted,
  scheduleActivity,
  startActivity,
  timeoutFailure,
} from './activities.js';
import { BUFFERED_EVENT_ID } from '../mutable-state.js';
import { E, eventName, idOf, startedRun, type Fixture } from './run.fixture.js';
import { addExternalEvent, completeWorkflowTask, startWorkflowTask } from './workflow-task.js';

const RetryState = enums.RetryState;

/** Command attributes as the frontend decodes them (durations with Long seconds). */
const command = (o: object) => api.command.v1.ScheduleActivityTaskCommandAttributes.fromObject(o);
const seconds = (ms: number) => ({ seconds: Math.floor(ms / 1000), nanos: (ms % 1000) * 1e6 });

/** A run whose first workflow task completed with ScheduleActivityTask (event 5), committed. */
function withActivity(
  o: { timeScale?: number; scheduleToCloseMs?: number; retry?: { maximumAttempts?: number } } = {},
): Fixture & { scheduledEventId: number } {
  const f = startedRun({ timeScale: o.timeScale ?? 1 });
  const wt = startWorkflowTask(f.ms, 2, 'poll-1', 'worker').wt;
  const completed = completeWorkflowTask(f.ms, wt, { identity: 'worker' });
  const attrs = command({
    activityId: 'a1',
    activityType: { name: 'charge' },
    startToCloseTimeout: seconds(10_000),
    ...(o.scheduleToCloseMs ? { scheduleToCloseTimeout: seconds(o.scheduleToCloseMs) } : {}),
    retryPolicy: {
      initialInterval: seconds(1_000),
      backoffCoefficient: 2,
      maximumInterval: seconds(3_000),
      maximumAttempts: o.retry?.maximumAttempts ?? 0,
    },
  });
  const timeouts = normalizeActivityTimeouts(attrs, 0);
  if (typeof timeouts === 'string') throw new Error(timeouts);
  const a = scheduleActivity(f.ms, attrs, timeouts, idOf(completed), idOf(completed));
  f.step();
  return { ...f, scheduledEventId: a.scheduledEventId };
}

function failure(type = 'Boom') {
  return { message: 'boom', applicationFailureInfo: { type } };
}

function activityOf(ms: MutableState, id: number) {
  const a = ms.activities.get(id);
  if (!a) throw new Error(`no activity ${id}`);
  return a;
}

describe('activity timeouts', () => {
  it('are normalized as Temporal does: schedule-to-close bounds the others, start-to-close is required', () => {
    expect(
      normalizeActivityTimeouts(
        command({ scheduleToCloseTimeout: seconds(5_000), startToCloseTimeout: seconds(9_000) }),
        0,
      ),
    ).toEqual({ scheduleToCloseMs: 5_000, scheduleToStartMs: 5_000, startToCloseMs: 5_000, heartbeatMs: 0 });
    expect(normalizeActivityTimeouts(command({}), 0)).toMatch(/StartToClose or ScheduleToCloseTimeout is not set/);
    // The run's timeout bounds schedule-to-close.
    expect(normalizeActivityTimeouts(command({ startToCloseTimeout: seconds(1_000) }), 30_000)).toMatchObject({
      scheduleToCloseMs: 30_000,
      startToCloseMs: 1_000,
    });
  });
});

describe('an activity', () => {
  it('is scheduled with its event, a task for matching and its schedule-to-close timeout in real time', () => {
    const f = startedRun({ timeScale: 10 });
    const wt = startWorkflowTask(f.ms, 2, 'p', 'w').wt;
    const done = completeWorkflowTask(f.ms, wt, { identity: 'w' });
    const attrs = command({ activityId: 'a1', activityType: { name: 'x' }, scheduleToCloseTimeout: seconds(4_000) });
    const timeouts = normalizeActivityTimeouts(attrs, 0);
    if (typeof timeouts === 'string') throw new Error(timeouts);
    const a = scheduleActivity(f.ms, attrs, timeouts, idOf(done), idOf(done));
    expect(f.written().at(-1)).toBe('ACTIVITY_TASK_SCHEDULED');
    const bodies = f.ms.tasks.map((t) => ({ ...t.body, at: t.visibilityTimeMs - f.clock.now() }));
    expect(bodies).toContainEqual({
      kind: 'activity-task',
      taskQueue: 'tq',
      scheduledEventId: a.scheduledEventId,
      attempt: 1,
      at: 0,
    });
    // 4 s of real time on a clock that runs 10x: 40 s of virtual time.
    expect(bodies).toContainEqual({
      kind: 'activity-timeout',
      scheduledEventId: a.scheduledEventId,
      attempt: 0,
      timeout: TimeoutKind.ScheduleToClose,
      at: 40_000,
    });
  });

  it('starts without an event and completes with Started + Completed, the outcome pointing at Started', () => {
    const f = withActivity();
    const { activity, duplicate } = startActivity(f.ms, f.scheduledEventId, 1, 'poll-a', 'worker');
    expect(duplicate).toBe(false);
    expect(f.ms.newEvents).toEqual([]);
    f.step();
    expect(startActivity(f.ms, f.scheduledEventId, 1, 'poll-a', 'worker').duplicate).toBe(true);
    expect(() => startActivity(f.ms, f.scheduledEventId, 1, 'poll-b', 'worker')).toThrow(StaleTaskError);
    completeActivity(f.ms, activity, undefined, 'worker');
    expect(f.written()).toEqual(['ACTIVITY_TASK_STARTED', 'ACTIVITY_TASK_COMPLETED', 'WORKFLOW_TASK_SCHEDULED']);
    const [started, completed] = f.ms.newEvents;
    expect(toNumber(completed?.activityTaskCompletedEventAttributes?.startedEventId)).toBe(idOf(started));
    expect(f.ms.activities.has(f.scheduledEventId)).toBe(false);
  });

  it('completed while a workflow task is in flight is buffered, its outcome pointing at Started once flushed', () => {
    const f = withActivity();
    const a = startActivity(f.ms, f.scheduledEventId, 1, 'poll-a', 'worker').activity;
    // A signal schedules a workflow task and a worker takes it: the activity's outcome must wait for it.
    addExternalEvent(f.ms, E.EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED, { workflowExecutionSignaledEventAttributes: {} });
    const wtId = f.ms.info.workflowTask!.scheduledEventId;
    f.step();
    const wt = startWorkflowTask(f.ms, wtId, 'poll-2', 'worker').wt;
    f.step();
    completeActivity(f.ms, a, undefined, 'worker');
    expect(f.ms.newEvents).toEqual([]);
    const buffered = f.ms.pendingBufferedEvents();
    expect(buffered.map(eventName)).toEqual(['ACTIVITY_TASK_STARTED', 'ACTIVITY_TASK_COMPLETED']);
    expect(toNumber(buffered[1]?.activityTaskCompletedEventAttributes?.startedEventId)).toBe(BUFFERED_EVENT_ID);
    f.step();
    completeWorkflowTask(f.ms, wt, { identity: 'worker' });
    const [started, completed] = f.ms.flushBufferedEvents();
    expect(idOf(started)).toBe(idOf(f.ms.newEvents[0]) + 1);
    expect(toNumber(completed?.activityTaskCompletedEventAttributes?.startedEventId)).toBe(idOf(started));
  });

  it('failed attempts back off (initial x coefficient^(attempt-1), capped) with no events, then retry', () => {
    const f = withActivity();
    const a = startActivity(f.ms, f.scheduledEventId, 1, 'p1', 'w').activity;
    const delays: number[] = [];
    for (let attempt = 1; attempt <= 4; attempt++) {
      f.step();
      const current = requireStarted(f.ms, f.scheduledEventId, attempt);
      expect(failActivityAttempt(f.ms, current, failure(), 'w', { failed: true })).toBe(true);
      expect(f.ms.newEvents).toEqual([]);
      const retry = f.ms.tasks.find((t) => t.body.kind === 'activity-retry');
      delays.push((retry?.visibilityTimeMs ?? 0) - f.clock.now());
      f.step();
      startActivity(f.ms, f.scheduledEventId, attempt + 1, `p${attempt + 1}`, 'w');
    }
    expect(delays).toEqual([1_000, 2_000, 3_000, 3_000]);
    expect(a.attempt).toBe(5);
  });

  it('that reaches its maximum attempts fails with ActivityTaskFailed (MAXIMUM_ATTEMPTS_REACHED)', () => {
    const f = withActivity({ retry: { maximumAttempts: 2 } });
    startActivity(f.ms, f.scheduledEventId, 1, 'p1', 'w');
    f.step();
    failActivityAttempt(f.ms, activityOf(f.ms, f.scheduledEventId), failure(), 'w', { failed: true });
    f.step();
    startActivity(f.ms, f.scheduledEventId, 2, 'p2', 'w');
    f.step();
    const last = activityOf(f.ms, f.scheduledEventId);
    expect(failActivityAttempt(f.ms, last, failure(), 'w', { failed: true })).toBe(false);
    expect(f.written()).toEqual(['ACTIVITY_TASK_STARTED', 'ACTIVITY_TASK_FAILED', 'WORKFLOW_TASK_SCHEDULED']);
    const attrs = f.ms.newEvents[1]?.activityTaskFailedEventAttributes;
    expect(attrs?.retryState).toBe(RetryState.RETRY_STATE_MAXIMUM_ATTEMPTS_REACHED);
    expect(toNumber(attrs?.startedEventId)).toBe(idOf(f.ms.newEvents[0]));
  });

  it('a retry that would pass schedule-to-close ends with a timeout instead', () => {
    // Schedule-to-close 2.5 s: the second backoff (2 s) would end after it.
    const f = withActivity({ scheduleToCloseMs: 2_500 });
    startActivity(f.ms, f.scheduledEventId, 1, 'p1', 'w');
    f.step();
    expect(failActivityAttempt(f.ms, activityOf(f.ms, f.scheduledEventId), failure(), 'w', { failed: true })).toBe(
      true,
    );
    f.clock.advance(1_000);
    f.step();
    startActivity(f.ms, f.scheduledEventId, 2, 'p2', 'w');
    f.step();
    const a = activityOf(f.ms, f.scheduledEventId);
    expect(
      failActivityAttempt(f.ms, a, timeoutFailure(a, TimeoutKind.StartToClose), 'w', {
        timeout: TimeoutKind.StartToClose,
      }),
    ).toBe(false);
    expect(f.written()).toContain('ACTIVITY_TASK_TIMED_OUT');
    const attrs = f.ms.newEvents.find(
      (e) => eventName(e) === 'ACTIVITY_TASK_TIMED_OUT',
    )?.activityTaskTimedOutEventAttributes;
    expect(attrs?.retryState).toBe(RetryState.RETRY_STATE_TIMEOUT);
  });

  it('not yet started is canceled at once when the workflow asks', () => {
    const f = withActivity();
    requestCancelActivity(f.ms, activityOf(f.ms, f.scheduledEventId), 4);
    expect(f.written()).toEqual(['ACTIVITY_TASK_CANCEL_REQUESTED', 'ACTIVITY_TASK_CANCELED']);
    expect(f.ms.activities.has(f.scheduledEventId)).toBe(false);
  });

  it('a stale attempt number is refused', () => {
    const f = withActivity();
    expect(() => startActivity(f.ms, f.scheduledEventId, 2, 'p', 'w')).toThrow(StaleTaskError);
    expect(() => requireStarted(f.ms, f.scheduledEventId, 1)).toThrow(StaleTaskError);
  });
});
