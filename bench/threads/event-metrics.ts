/**
 * Workflow-level metrics from the events a workflow task handled (recorded once the task is accepted, so a retried
 * task does not count twice):
 * - timer lateness: the TimerFired event's time minus the time the timer was due (started + start-to-fire), in
 *   virtual time (what the workflow's clock saw) and in real time (virtual / time scale);
 * - schedule lateness: a cron firing's first WorkflowTaskScheduled minus its due time (the run's start plus its
 *   first-workflow-task backoff), the same two ways;
 * - signal-to-handled: from the sender's stamp in the signal header to this worker's handling of the signal;
 * - child start-to-started: a child's initiated event to its ChildWorkflowExecutionStarted, real time;
 * - update requests that came several to a task (they arrived while an earlier task was in flight).
 */
import { EventType, type DeciderTask, type HistoryEvent } from '../../scenarios/sdk/decider-task.js';
import { fromPayload } from '../../scenarios/sdk/payloads.js';
import { COUNTER, METRIC } from '../../result/catalogue.js';
import type { ThreadRuntime } from './runtime.js';
import { INTENDED_START_HEADER } from './starter-context.js';
import { num, tsUs } from './proto-time.js';

function eventById(events: readonly HistoryEvent[], id: number): HistoryEvent | undefined {
  const guess = events[id - 1];
  if (guess && num(guess.eventId) === id) return guess;
  return events.find((e) => num(e.eventId) === id);
}

export function recordEventMetrics(rt: ThreadRuntime, view: DeciderTask, handledUs: number): void {
  const { recorder, init } = rt;
  const lateness = (lateUs: number, real: string, virtual: string) => {
    recorder.recordMetric(virtual, Math.max(0, lateUs));
    recorder.recordMetric(real, Math.max(0, lateUs) / init.timeScale);
  };
  const updates = view.updateRequests().length;
  if (updates > 1) recorder.count(COUNTER.updatesBatched, updates - 1);
  let firstTaskScheduled = false;
  for (const e of view.newEvents) {
    switch (e.eventType) {
      case EventType.EVENT_TYPE_TIMER_FIRED: {
        const startedId = num(e.timerFiredEventAttributes?.startedEventId);
        const started = eventById(view.events, startedId)?.timerStartedEventAttributes;
        if (!started) break;
        const dueUs = tsUs(eventById(view.events, startedId)?.eventTime) + tsUs(started.startToFireTimeout);
        const lateUs = tsUs(e.eventTime) - dueUs;
        if (lateUs < 0) recorder.count(COUNTER.timersFiredEarly);
        lateness(lateUs, METRIC.timerLateness, METRIC.timerLatenessVirtual);
        break;
      }
      case EventType.EVENT_TYPE_WORKFLOW_TASK_SCHEDULED: {
        // The first task of a cron firing: scheduled when its backoff timer fired.
        const s = view.started;
        if (firstTaskScheduled || !s.cronSchedule || num(e.eventId) > 3) break;
        firstTaskScheduled = true;
        const dueUs = tsUs(view.events[0]?.eventTime) + tsUs(s.firstWorkflowTaskBackoff);
        lateness(tsUs(e.eventTime) - dueUs, METRIC.scheduleLateness, METRIC.scheduleLatenessVirtual);
        break;
      }
      case EventType.EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED: {
        const sentUs = fromPayload(e.workflowExecutionSignaledEventAttributes?.header?.fields?.[INTENDED_START_HEADER]);
        if (typeof sentUs === 'number') recorder.recordMetric(METRIC.signalToHandled, Math.max(0, handledUs - sentUs));
        recorder.count(COUNTER.signalsHandled);
        break;
      }
      case EventType.EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_STARTED: {
        const initiated = eventById(view.events, num(e.childWorkflowExecutionStartedEventAttributes?.initiatedEventId));
        if (!initiated) break;
        recorder.count(COUNTER.childrenStarted);
        recorder.recordMetric(
          METRIC.childStartToStarted,
          Math.max(0, tsUs(e.eventTime) - tsUs(initiated.eventTime)) / init.timeScale,
        );
        break;
      }
    }
  }
}
