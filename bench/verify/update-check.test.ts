import proto from '@temporalio/proto';
import type { temporal } from '@temporalio/proto';
import { describe, expect, it } from 'vitest';
import { updateProblems } from './update-check.js';

const E = proto.temporal.api.enums.v1.EventType;
type Event = temporal.api.history.v1.IHistoryEvent;

const request = { meta: { updateId: 'u' }, input: { name: 'add' } };
const accepted = (eventId: number, updateId = 'u'): Event => ({
  eventId: eventId as never,
  eventType: E.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED,
  workflowExecutionUpdateAcceptedEventAttributes: { protocolInstanceId: updateId, acceptedRequest: request },
});
const completed = (eventId: number, acceptedEventId: number, updateId = 'u'): Event => ({
  eventId: eventId as never,
  eventType: E.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_COMPLETED,
  workflowExecutionUpdateCompletedEventAttributes: {
    meta: { updateId },
    acceptedEventId: acceptedEventId as never,
    outcome: { success: { payloads: [] } },
  },
});

describe('update outcomes in a history', () => {
  it('accepts an update accepted once and completed once', () => {
    expect(updateProblems([accepted(5), completed(6, 5)], E.EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED)).toEqual([]);
  });

  it('finds a second completion, a completion without acceptance, and a double acceptance', () => {
    expect(updateProblems([accepted(5), completed(6, 5), completed(7, 5)], undefined)).toEqual([
      'update u completed twice (again at event 7)',
    ]);
    expect(updateProblems([completed(6, 5, 'v')], undefined)).toEqual([
      'update v completed at event 6 without its acceptance (acceptedEventId 5)',
    ]);
    expect(updateProblems([accepted(5), accepted(6)], undefined)[0]).toBe('update u accepted twice (events 5 and 6)');
  });

  it('requires accepted updates completed when the run closed itself, not when it was terminated', () => {
    const events = [accepted(5)];
    expect(updateProblems(events, undefined)).toEqual([]);
    expect(updateProblems(events, E.EVENT_TYPE_WORKFLOW_EXECUTION_TERMINATED)).toEqual([]);
    expect(updateProblems(events, E.EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED)).toEqual([
      'update u was accepted and never completed before the run closed',
    ]);
  });
});
