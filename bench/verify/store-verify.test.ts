import proto from '@temporalio/proto';
import type { temporal } from '@temporalio/proto';
import { describe, expect, it } from 'vitest';
import type { StoredRun } from '../../engine/index.js';
import { isStuck, stateProblems } from './store-verify.js';

const E = proto.temporal.api.enums.v1.EventType;
type Event = temporal.api.history.v1.IHistoryEvent;
/** Events as plain objects (event ids as numbers: the checks read them either way). */
const events = (list: { eventId: number; eventType: number }[]): Event[] => list as unknown as Event[];

function run(over: Partial<StoredRun> = {}): StoredRun {
  return {
    namespaceId: 'ns',
    workflowId: 'w',
    runId: 'r',
    shardId: 1,
    state: 'running',
    status: 1,
    nextEventId: 6,
    completionEventId: 0,
    pendingActivities: [5],
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

const open = events([
  { eventId: 1, eventType: E.EVENT_TYPE_WORKFLOW_EXECUTION_STARTED },
  { eventId: 2, eventType: E.EVENT_TYPE_WORKFLOW_TASK_SCHEDULED },
  { eventId: 3, eventType: E.EVENT_TYPE_WORKFLOW_TASK_STARTED },
  { eventId: 4, eventType: E.EVENT_TYPE_WORKFLOW_TASK_COMPLETED },
  { eventId: 5, eventType: E.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED },
]);

describe('stateProblems: mutable state against history', () => {
  it('accepts a running run whose pending activity is the unresolved one', () => {
    expect(stateProblems(run(), open)).toEqual([]);
  });

  it('finds a next event id that does not follow the history', () => {
    expect(stateProblems(run({ nextEventId: 9 }), open)).toEqual([
      "mutable state's next event id 9 but the history ends at 5",
    ]);
  });

  it('finds pending activities and timers that disagree with the history', () => {
    expect(stateProblems(run({ pendingActivities: [], pendingTimers: [7] }), open)).toEqual([
      'pending activities in mutable state [] but unresolved in history [5]',
      'pending timers in mutable state [7] but unresolved in history []',
    ]);
  });

  it('finds a closed run with an open history, buffered events left, and a completion with work unresolved', () => {
    const completed = [...open, ...events([{ eventId: 6, eventType: E.EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED }])];
    expect(stateProblems(run({ state: 'completed', completionEventId: 5 }), open)).toEqual([
      'closed in mutable state, open in history',
    ]);
    expect(stateProblems(run({ state: 'completed', nextEventId: 7, completionEventId: 4 }), completed)).toContain(
      'completion event id 4 but the close event is 6',
    );
    expect(
      stateProblems(run({ state: 'completed', nextEventId: 7, completionEventId: 6, bufferedEvents: 2 }), completed),
    ).toEqual(['2 buffered events left on a closed run', 'completed with activities never resolved: 5']);
  });
});

describe('isStuck: an open run with pending work must have a persisted task that moves it', () => {
  const key = 'ns/w/r';
  it('is stuck with a pending activity, timer or workflow task and no task row for the run', () => {
    expect(isStuck(run(), new Set())).toBe(true);
    expect(isStuck(run({ pendingActivities: [], pendingTimers: [7] }), new Set())).toBe(true);
    expect(isStuck(run({ pendingActivities: [], workflowTaskScheduledEventId: 2 }), new Set())).toBe(true);
  });

  it('is not stuck with a task row for the run, when waiting by design (nothing pending), or when closed', () => {
    expect(isStuck(run(), new Set([key]))).toBe(false);
    expect(isStuck(run({ pendingActivities: [] }), new Set())).toBe(false);
    expect(isStuck(run({ state: 'completed' }), new Set())).toBe(false);
  });
});

describe('updates in mutable state against history', () => {
  const withUpdate = [
    ...open,
    {
      eventId: 6,
      eventType: E.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED,
      workflowExecutionUpdateAcceptedEventAttributes: { protocolInstanceId: 'u' },
    },
    {
      eventId: 7,
      eventType: E.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_COMPLETED,
      workflowExecutionUpdateCompletedEventAttributes: { meta: { updateId: 'u' }, acceptedEventId: 6 },
    },
  ] as unknown as Event[];

  it('agrees when the run records the update as history has it', () => {
    const r = run({ nextEventId: 8, updates: { u: { acceptedEventId: 6, completedEventId: 7 } } });
    expect(stateProblems(r, withUpdate)).toEqual([]);
  });

  it('finds a completion the mutable state does not record', () => {
    const r = run({ nextEventId: 8, updates: { u: { acceptedEventId: 6, completedEventId: 0 } } });
    expect(stateProblems(r, withUpdate)).toEqual([
      'updates in mutable state [["u",{"acceptedEventId":6,"completedEventId":0}]] but in history [["u",{"acceptedEventId":6,"completedEventId":7}]]',
    ]);
  });
});
