import { describe, expect, it } from 'vitest';
import { msFromDuration, toNumber } from '../../proto.js';
import { E, idOf, startedRun, type Fixture } from './run.fixture.js';
import { cancelTimer, fireTimer, startTimer } from './timers.js';
import { addExternalEvent, completeWorkflowTask, startWorkflowTask } from './workflow-task.js';

/** A run whose first workflow task completed (event 4), with a transaction open for its commands. */
function completedFirstTask(timeScale = 1): Fixture & { completedId: number } {
  const f = startedRun({ timeScale });
  const wt = startWorkflowTask(f.ms, 2, 'poll-1', 'worker').wt;
  const completed = completeWorkflowTask(f.ms, wt, { identity: 'worker' });
  return { ...f, completedId: idOf(completed) };
}

describe('a user timer', () => {
  it('starts with TimerStarted and a durable timer task at now + start-to-fire, in virtual time', () => {
    // A clock 86400x faster than real time: the 30-day timer is still 30 virtual days away.
    const f = completedFirstTask(86_400);
    const thirtyDays = 30 * 86_400_000;
    const timer = startTimer(f.ms, 't1', thirtyDays, f.completedId);
    const started = f.ms.newEvents.at(-1);
    expect(msFromDuration(started?.timerStartedEventAttributes?.startToFireTimeout)).toBe(thirtyDays);
    expect(timer).toMatchObject({
      timerId: 't1',
      startedEventId: idOf(started),
      expiryTimeMs: f.clock.now() + thirtyDays,
    });
    expect(f.ms.tasks.at(-1)).toEqual({
      category: 'timer',
      body: { kind: 'user-timer', startedEventId: idOf(started) },
      visibilityTimeMs: f.clock.now() + thirtyDays,
    });
    expect(f.ms.timers.get('t1')).toBe(timer);
  });

  it('fires with TimerFired, is forgotten, and a workflow task reports it', () => {
    const f = completedFirstTask();
    const timer = startTimer(f.ms, 't1', 5_000, f.completedId);
    f.clock.advance(5_000);
    f.step();
    fireTimer(f.ms, timer);
    expect(f.written()).toEqual(['TIMER_FIRED', 'WORKFLOW_TASK_SCHEDULED']);
    const fired = f.ms.newEvents[0]?.timerFiredEventAttributes;
    expect(toNumber(fired?.startedEventId)).toBe(timer.startedEventId);
    expect(f.ms.newEvents[0]?.eventTime?.seconds).toBe(Math.floor(f.clock.now() / 1000));
    expect(f.ms.timers.has('t1')).toBe(false);
    expect(f.ms.toMutation().deleteTimers).toEqual(['t1']);
  });

  it('that fires while a workflow task is in flight waits, buffered, for the task to finish', () => {
    const f = completedFirstTask();
    const timer = startTimer(f.ms, 't1', 1_000, f.completedId);
    f.step();
    // A signal scheduled a workflow task and a worker is on it when the timer fires.
    addExternalEvent(f.ms, E.EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED, { workflowExecutionSignaledEventAttributes: {} });
    const wtId = f.ms.info.workflowTask!.scheduledEventId;
    f.step();
    startWorkflowTask(f.ms, wtId, 'poll-2', 'worker');
    f.step();
    fireTimer(f.ms, timer);
    expect(f.ms.newEvents).toEqual([]);
    expect(f.ms.pendingBufferedEvents().map((e) => e.timerFiredEventAttributes?.timerId)).toEqual(['t1']);
  });

  it('canceled by the workflow writes TimerCanceled and is forgotten', () => {
    const f = completedFirstTask();
    const timer = startTimer(f.ms, 't1', 5_000, f.completedId);
    f.step();
    cancelTimer(f.ms, timer, f.completedId, 'worker');
    expect(f.written()).toEqual(['TIMER_CANCELED']);
    expect(f.ms.timers.size).toBe(0);
  });
});
