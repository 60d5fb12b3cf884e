import proto from '@temporalio/proto';
import { describe, expect, it } from 'vitest';
import type { StoredRun } from '../../engine/index.js';
import { childrenClosedByPolicy, familyProblems } from './family-check.js';

const TERMINATE = 1;
const ABANDON = 2;

function run(over: Partial<StoredRun>): StoredRun {
  return {
    namespaceId: 'ns',
    workflowId: 'w',
    runId: 'r',
    shardId: 1,
    state: 'completed',
    status: 2,
    nextEventId: 6,
    completionEventId: 5,
    pendingActivities: [],
    pendingTimers: [],
    bufferedEvents: 0,
    workflowTaskScheduledEventId: 0,
    workflowType: 't',
    newRunId: '',
    startTimeMs: 0,
    taskQueues: [],
    parent: null,
    firstRunId: 'r',
    pendingChildren: [],
    updates: {},
    ...over,
  };
}

const parentRef = { workflowId: 'p', runId: 'pr', initiatedEventId: 5 };
const pending = (policy: number) => [
  { initiatedEventId: 5, workflowId: 'c', startedRunId: 'cr', parentClosePolicy: policy },
];

describe('parent/child consistency', () => {
  it('accepts a child recorded by its running parent, and one abandoned by a closed parent', () => {
    const child = run({ workflowId: 'c', runId: 'cr', parent: parentRef });
    expect(familyProblems([run({ workflowId: 'p', runId: 'pr', state: 'running' }), child])).toEqual([]);
    const abandoned = run({ workflowId: 'c', runId: 'cr', parent: parentRef, state: 'running' });
    expect(
      familyProblems([run({ workflowId: 'p', runId: 'pr', pendingChildren: pending(ABANDON) }), abandoned]),
    ).toEqual([]);
  });

  it('finds a closed child its running parent never recorded', () => {
    const parent = run({ workflowId: 'p', runId: 'pr', state: 'running', pendingChildren: pending(TERMINATE) });
    const child = run({ workflowId: 'c', runId: 'cr', parent: parentRef });
    expect(familyProblems([parent, child])).toEqual([expect.stringContaining('still lists it as pending')]);
  });

  it('finds an orphan: a child left running by a parent closed with TERMINATE', () => {
    const parent = run({ workflowId: 'p', runId: 'pr', pendingChildren: pending(TERMINATE) });
    const child = run({ workflowId: 'c', runId: 'cr', parent: parentRef, state: 'running' });
    expect(familyProblems([parent, child])).toEqual([expect.stringContaining('orphan')]);
  });

  it('finds a child that names another parent than the one that started it', () => {
    const parent = run({ workflowId: 'p', runId: 'pr', state: 'running', pendingChildren: pending(TERMINATE) });
    const child = run({ workflowId: 'c', runId: 'cr', state: 'running', parent: { ...parentRef, runId: 'other' } });
    expect(familyProblems([parent, child])).toEqual([expect.stringContaining('names another parent')]);
  });
});

describe('children a closed parent leaves to its policy (from history)', () => {
  const E = proto.temporal.api.enums.v1.EventType;
  const ev = (o: object) => proto.temporal.api.history.v1.HistoryEvent.fromObject(o);
  const started = (initiatedEventId: number, runId: string) =>
    ev({
      eventType: E.EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_STARTED,
      childWorkflowExecutionStartedEventAttributes: { initiatedEventId, workflowExecution: { workflowId: 'c', runId } },
    });
  const initiated = (eventId: number, workflowId: string, parentClosePolicy: number) =>
    ev({
      eventId,
      eventType: E.EVENT_TYPE_START_CHILD_WORKFLOW_EXECUTION_INITIATED,
      startChildWorkflowExecutionInitiatedEventAttributes: { workflowId, parentClosePolicy },
    });
  const completedParent = ev({ eventType: E.EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED });

  it('lists started, unresolved children under TERMINATE once the parent closed', () => {
    const events = [initiated(5, 'c', TERMINATE), started(5, 'cr'), completedParent];
    expect(childrenClosedByPolicy(events)).toEqual([{ workflowId: 'c', runId: 'cr' }]);
  });

  it('leaves out abandoned children, resolved children, and open parents', () => {
    expect(childrenClosedByPolicy([initiated(5, 'c', ABANDON), started(5, 'cr'), completedParent])).toEqual([]);
    const closedChild = ev({
      eventType: E.EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_COMPLETED,
      childWorkflowExecutionCompletedEventAttributes: { initiatedEventId: 5 },
    });
    expect(
      childrenClosedByPolicy([initiated(5, 'c', TERMINATE), started(5, 'cr'), closedChild, completedParent]),
    ).toEqual([]);
    expect(childrenClosedByPolicy([initiated(5, 'c', TERMINATE), started(5, 'cr')])).toEqual([]);
  });
});
