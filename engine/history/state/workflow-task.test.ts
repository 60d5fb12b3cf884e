import { describe, expect, it } from 'vitest';
import { enums } from '../../proto.js';
import { TimeoutKind } from '../../persistence/records.js';
import { StaleTaskError } from '../errors.js';
import { E, eventName, idOf, startedRun } from './run.fixture.js';
import {
  addExternalEvent,
  completeWorkflowTask,
  failWorkflowTask,
  requireInFlight,
  startWorkflowTask,
  startWorkflowTaskEagerly,
  timeoutWorkflowTask,
  transientEvents,
} from './workflow-task.js';

const UNHANDLED_COMMAND = enums.WorkflowTaskFailedCause.WORKFLOW_TASK_FAILED_CAUSE_UNHANDLED_COMMAND;
const signal = { workflowExecutionSignaledEventAttributes: { signalName: 'poke' } };

describe('a new run', () => {
  it('starts with WorkflowExecutionStarted and a workflow task sent to the normal queue', () => {
    const f = startedRun();
    expect(f.first.events).toEqual(['WORKFLOW_EXECUTION_STARTED', 'WORKFLOW_TASK_SCHEDULED']);
    expect(f.ms.info.nextEventId).toBe(3);
    expect(f.ms.info.workflowTask).toMatchObject({ scheduledEventId: 2, attempt: 1, taskQueue: 'tq', sticky: false });
    expect(f.first.tasks.map((t) => t.body)).toEqual([
      { kind: 'workflow-task', taskQueue: 'tq', scheduledEventId: 2, sticky: false },
      { kind: 'upsert-visibility' },
    ]);
  });

  it('arms the run timeout at start + run timeout, in durable (virtual) time', () => {
    const f = startedRun({ runTimeoutMs: 60_000, timeScale: 3600 });
    const timeout = f.first.tasks.find((t) => t.body.kind === 'workflow-run-timeout');
    expect(timeout?.visibilityTimeMs).toBe(f.ms.info.startTimeMs + 60_000);
  });
});

describe('starting a workflow task', () => {
  it('writes WorkflowTaskStarted and a start-to-close timeout in real time (scaled to the virtual clock)', () => {
    const f = startedRun({ timeScale: 60, workflowTaskTimeoutMs: 5_000 });
    f.clock.advance(1_000);
    f.step();
    const { wt, duplicate } = startWorkflowTask(f.ms, 2, 'poll-1', 'worker');
    expect(duplicate).toBe(false);
    expect(f.written()).toEqual(['WORKFLOW_TASK_STARTED']);
    expect(wt.startedEventId).toBe(3);
    expect(wt.startedTimeMs).toBe(f.clock.now());
    expect(f.ms.tasks).toEqual([
      {
        category: 'timer',
        body: { kind: 'workflow-task-timeout', scheduledEventId: 2, attempt: 1, timeout: TimeoutKind.StartToClose },
        // 5 s of real time on a clock that runs 60x: 300 s of virtual time.
        visibilityTimeMs: f.clock.now() + 300_000,
      },
    ]);
  });

  it('answers a retried poll again and refuses any other', () => {
    const f = startedRun();
    startWorkflowTask(f.ms, 2, 'poll-1', 'worker');
    f.step();
    expect(startWorkflowTask(f.ms, 2, 'poll-1', 'worker').duplicate).toBe(true);
    expect(f.ms.newEvents).toEqual([]);
    expect(() => startWorkflowTask(f.ms, 2, 'poll-2', 'worker')).toThrow(StaleTaskError);
    expect(() => startWorkflowTask(f.ms, 9, 'poll-1', 'worker')).toThrow(StaleTaskError);
  });

  it('eagerly (eager workflow start): the transfer task to matching is dropped', () => {
    const f = startedRun();
    // Re-create the first transaction's transfer task as newRun queues it, then start the task in the same one.
    f.ms.addTransferTask({ kind: 'workflow-task', taskQueue: 'tq', scheduledEventId: 2, sticky: false });
    const wt = startWorkflowTaskEagerly(f.ms, 'start-req', 'starter');
    expect(wt.startedEventId).toBe(3);
    expect(f.ms.tasks.filter((t) => t.category === 'transfer')).toEqual([]);
  });
});

describe('events from outside a task', () => {
  it('are buffered while a task is in flight, then written after its failure, and the next attempt is fresh', () => {
    const f = startedRun();
    startWorkflowTask(f.ms, 2, 'poll-1', 'worker');
    f.step();
    expect(addExternalEvent(f.ms, E.EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED, signal)).toBeUndefined();
    expect(f.ms.newEvents).toEqual([]);
    expect(f.ms.pendingBufferedEvents().map(eventName)).toEqual(['WORKFLOW_EXECUTION_SIGNALED']);
    f.step();
    const wt = requireInFlight(f.ms, 2, 3, 1);
    failWorkflowTask(f.ms, wt, UNHANDLED_COMMAND, undefined, 'worker');
    expect(f.written()).toEqual(['WORKFLOW_TASK_FAILED', 'WORKFLOW_EXECUTION_SIGNALED', 'WORKFLOW_TASK_SCHEDULED']);
    expect(f.ms.newEvents.map(idOf)).toEqual([4, 5, 6]);
    expect(f.ms.info.workflowTask).toMatchObject({ scheduledEventId: 6, attempt: 1, transient: false });
    expect(f.ms.pendingBufferedEvents()).toEqual([]);
  });

  it('without a task in flight are written at once and covered by a new workflow task', () => {
    const f = startedRun();
    const wt = startWorkflowTask(f.ms, 2, 'poll-1', 'worker').wt;
    completeWorkflowTask(f.ms, wt, { identity: 'worker' });
    f.step();
    addExternalEvent(f.ms, E.EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED, signal);
    expect(f.written()).toEqual(['WORKFLOW_EXECUTION_SIGNALED', 'WORKFLOW_TASK_SCHEDULED']);
    expect(f.ms.tasks.map((t) => t.body.kind)).toContain('workflow-task');
  });
});

describe('a task that times out', () => {
  it('start-to-close: TimedOut is written, the next attempt is transient until one completes', () => {
    const f = startedRun();
    const wt = startWorkflowTask(f.ms, 2, 'poll-1', 'worker').wt;
    f.clock.advance(10_000);
    f.step();
    timeoutWorkflowTask(f.ms, wt, TimeoutKind.StartToClose);
    expect(f.written()).toEqual(['WORKFLOW_TASK_TIMED_OUT']);
    const next = f.ms.info.workflowTask;
    expect(next).toMatchObject({ attempt: 2, transient: true, scheduledEventId: 5 });
    // Nothing of the transient attempt is in history; the worker is shown its events.
    expect(f.ms.info.nextEventId).toBe(5);
    expect(transientEvents(f.ms).map(eventName)).toEqual(['WORKFLOW_TASK_SCHEDULED']);
    f.step();
    const t2 = startWorkflowTask(f.ms, 5, 'poll-2', 'worker').wt;
    expect(f.ms.newEvents).toEqual([]);
    expect(transientEvents(f.ms).map(idOf)).toEqual([5, 6]);
    f.step();
    completeWorkflowTask(f.ms, requireInFlight(f.ms, 5, t2.startedEventId, 2), { identity: 'worker' });
    expect(f.written()).toEqual(['WORKFLOW_TASK_SCHEDULED', 'WORKFLOW_TASK_STARTED', 'WORKFLOW_TASK_COMPLETED']);
    expect(f.ms.newEvents.map(idOf)).toEqual([5, 6, 7]);
    expect(f.ms.info.lastCompletedWorkflowTaskStartedEventId).toBe(6);
  });

  it('schedule-to-start on a sticky queue: not an attempt, rescheduled on the normal queue', () => {
    const f = startedRun();
    const wt = startWorkflowTask(f.ms, 2, 'poll-1', 'worker').wt;
    completeWorkflowTask(f.ms, wt, { identity: 'worker' });
    f.ms.info.stickyTaskQueue = 'tq-sticky';
    f.ms.info.stickyScheduleToStartTimeoutMs = 5_000;
    f.step();
    addExternalEvent(f.ms, E.EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED, signal);
    const sticky = f.ms.info.workflowTask!;
    expect(sticky).toMatchObject({ sticky: true, taskQueue: 'tq-sticky' });
    f.step();
    timeoutWorkflowTask(f.ms, sticky, TimeoutKind.ScheduleToStart);
    expect(f.ms.info.stickyTaskQueue).toBe('');
    expect(f.ms.info.workflowTask).toMatchObject({ attempt: 1, sticky: false, taskQueue: 'tq' });
  });

  it('a stale respond is refused', () => {
    const f = startedRun();
    startWorkflowTask(f.ms, 2, 'poll-1', 'worker');
    expect(() => requireInFlight(f.ms, 2, 3, 2)).toThrow(StaleTaskError);
    expect(() => requireInFlight(f.ms, 2, 4, 1)).toThrow(StaleTaskError);
    expect(requireInFlight(f.ms, 2, 3, 1).scheduledEventId).toBe(2);
  });
});
