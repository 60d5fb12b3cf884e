import { describe, expect, it } from 'vitest';
import { enums } from '../../proto.js';
import { WorkflowState } from '../../persistence/records.js';
import { idOf, startedRun, type Fixture } from './run.fixture.js';
import { completeWorkflow, continueAsNew, terminateWorkflow, timeoutWorkflow } from './close.js';
import { addExternalEvent, completeWorkflowTask, startWorkflowTask } from './workflow-task.js';

const Status = enums.WorkflowExecutionStatus;

function completedFirstTask(): Fixture & { completedId: number } {
  const f = startedRun();
  const wt = startWorkflowTask(f.ms, 2, 'poll-1', 'worker').wt;
  return { ...f, completedId: idOf(completeWorkflowTask(f.ms, wt, { identity: 'worker' })) };
}

describe('closing a run', () => {
  it('completes: the close event is the last, state and status say so, retention deletes it later', () => {
    const f = completedFirstTask();
    f.clock.advance(2_000);
    f.step();
    completeWorkflow(f.ms, undefined, f.completedId);
    const close = f.ms.newEvents.at(-1);
    expect(f.written()).toEqual(['WORKFLOW_EXECUTION_COMPLETED']);
    expect(f.ms.info.closeTimeMs).toBe(f.clock.now());
    expect(f.ms.info).toMatchObject({
      state: WorkflowState.Completed,
      status: Status.WORKFLOW_EXECUTION_STATUS_COMPLETED,
      completionEventId: idOf(close),
      workflowTask: null,
    });
    expect(f.ms.isRunning()).toBe(false);
    const now = f.ms.nowMs;
    expect(f.ms.tasks.map((t) => [t.body.kind, t.visibilityTimeMs - now])).toEqual([
      ['close-execution', 0],
      ['upsert-visibility', 0],
      ['delete-history', f.ms.info.retentionMs],
    ]);
  });

  it('terminates: a task in flight is failed first (FORCE_CLOSE_COMMAND), buffered events come before the close', () => {
    const f = startedRun();
    startWorkflowTask(f.ms, 2, 'poll-1', 'worker');
    f.step();
    addExternalEvent(f.ms, enums.EventType.EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED, {
      workflowExecutionSignaledEventAttributes: { signalName: 'late' },
    });
    f.step();
    terminateWorkflow(f.ms, 'ops', undefined, 'admin');
    expect(f.written()).toEqual([
      'WORKFLOW_TASK_FAILED',
      'WORKFLOW_EXECUTION_SIGNALED',
      'WORKFLOW_EXECUTION_TERMINATED',
    ]);
    expect(f.ms.newEvents[0]?.workflowTaskFailedEventAttributes?.cause).toBe(
      enums.WorkflowTaskFailedCause.WORKFLOW_TASK_FAILED_CAUSE_FORCE_CLOSE_COMMAND,
    );
    expect(f.ms.info.status).toBe(Status.WORKFLOW_EXECUTION_STATUS_TERMINATED);
  });

  it('times out: a started task is timed out first, and the run closes TimedOut', () => {
    const f = startedRun({ runTimeoutMs: 60_000 });
    startWorkflowTask(f.ms, 2, 'poll-1', 'worker');
    f.clock.advance(60_000);
    f.step();
    timeoutWorkflow(f.ms);
    expect(f.written()).toEqual(['WORKFLOW_TASK_TIMED_OUT', 'WORKFLOW_EXECUTION_TIMED_OUT']);
    expect(f.ms.info.status).toBe(Status.WORKFLOW_EXECUTION_STATUS_TIMED_OUT);
  });

  it('continues as new: the next run of the chain is created in the same transaction and points back', () => {
    const f = completedFirstTask();
    const next = continueAsNew(
      f.ms,
      { workflowType: { name: 'hello' }, taskQueue: { name: 'tq' }, input: null },
      f.completedId,
    );
    expect(f.written().at(-1)).toBe('WORKFLOW_EXECUTION_CONTINUED_AS_NEW');
    expect(f.ms.info.status).toBe(Status.WORKFLOW_EXECUTION_STATUS_CONTINUED_AS_NEW);
    expect(f.ms.info.newRunId).toBe(next.info.runId);
    expect(f.ms.newRun).toBe(next);
    expect(next.info).toMatchObject({ workflowId: 'wf', firstRunId: 'run-1', nextEventId: 3 });
    const started = next.newEvents[0]?.workflowExecutionStartedEventAttributes;
    expect(started?.continuedExecutionRunId).toBe('run-1');
    expect(next.isNew).toBe(true);
  });
});
