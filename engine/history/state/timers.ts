/** User timers: StartTimer writes TimerStarted and a durable timer task; firing writes TimerFired. */
import { durationFromMs, enums, toNumber } from '../../proto.js';
import type { TimerInfo } from '../../persistence/records.js';
import type { MutableState } from '../mutable-state.js';
import { addExternalEvent } from './workflow-task.js';

const E = enums.EventType;

export function startTimer(
  ms: MutableState,
  timerId: string,
  startToFireMs: number,
  workflowTaskCompletedEventId: number,
): TimerInfo {
  const event = ms.addEvent(E.EVENT_TYPE_TIMER_STARTED, {
    timerStartedEventAttributes: {
      timerId,
      startToFireTimeout: durationFromMs(startToFireMs),
      workflowTaskCompletedEventId,
    },
  });
  const timer: TimerInfo = {
    timerId,
    startedEventId: toNumber(event.eventId),
    expiryTimeMs: ms.nowMs + startToFireMs,
    taskCreated: true,
  };
  ms.putTimer(timer);
  ms.addTimerTask({ kind: 'user-timer', startedEventId: timer.startedEventId }, timer.expiryTimeMs);
  return timer;
}

export function cancelTimer(
  ms: MutableState,
  timer: TimerInfo,
  workflowTaskCompletedEventId: number,
  identity: string,
): void {
  ms.addEvent(E.EVENT_TYPE_TIMER_CANCELED, {
    timerCanceledEventAttributes: {
      timerId: timer.timerId,
      startedEventId: timer.startedEventId,
      workflowTaskCompletedEventId,
      identity,
    },
  });
  ms.deleteTimer(timer.timerId);
}

export function fireTimer(ms: MutableState, timer: TimerInfo): void {
  addExternalEvent(ms, E.EVENT_TYPE_TIMER_FIRED, {
    timerFiredEventAttributes: { timerId: timer.timerId, startedEventId: timer.startedEventId },
  });
  ms.deleteTimer(timer.timerId);
}
