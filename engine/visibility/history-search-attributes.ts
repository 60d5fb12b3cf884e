/**
 * Search attributes in history events as Temporal's frontend and matching hand them out
 * (`api.ProcessOutgoingSearchAttributes`): the attributes of WorkflowExecutionStarted, ContinuedAsNew,
 * StartChildWorkflowExecutionInitiated and UpsertWorkflowSearchAttributes events get `metadata.type` from the
 * namespace's type map (`searchattribute.ApplyTypeMap`). The SDK decodes by that type: without it a Datetime set
 * by an untyped client arrives in `workflowInfo().searchAttributes` as a string instead of a Date.
 * Stored events are left as written; only the copies sent out are typed.
 */
import type { IHistoryEvent, IPayload, Wire } from '../proto.js';
import { attributeType, withTypeMetadata } from './search-attributes.js';

type Fields = Record<string, Wire<IPayload>>;
interface WithSearchAttributes {
  searchAttributes?: { indexedFields?: Fields | null } | null;
}

/** `fields` with a type on every attribute the namespace knows; unknown ones pass as they are (ApplyTypeMap). */
function typedFields(fields: Fields, custom: Readonly<Record<string, number>>): Fields {
  const out: Fields = {};
  for (const [name, payload] of Object.entries(fields)) {
    const type = attributeType(name, custom);
    out[name] = type ? withTypeMetadata(payload, type) : payload;
  }
  return out;
}

/** A copy of `attrs` with typed search attributes, or undefined when it carries none. */
function typedAttributes<T extends WithSearchAttributes>(
  attrs: T | null | undefined,
  custom: Readonly<Record<string, number>>,
): T | undefined {
  const sa = attrs?.searchAttributes;
  const fields = sa?.indexedFields;
  if (!attrs || !sa || !fields || Object.keys(fields).length === 0) return undefined;
  return { ...attrs, searchAttributes: { ...sa, indexedFields: typedFields(fields, custom) } };
}

function typedEvent(e: IHistoryEvent, custom: Readonly<Record<string, number>>): IHistoryEvent {
  const started = typedAttributes(e.workflowExecutionStartedEventAttributes, custom);
  if (started) return { ...e, workflowExecutionStartedEventAttributes: started };
  const continued = typedAttributes(e.workflowExecutionContinuedAsNewEventAttributes, custom);
  if (continued) return { ...e, workflowExecutionContinuedAsNewEventAttributes: continued };
  const child = typedAttributes(e.startChildWorkflowExecutionInitiatedEventAttributes, custom);
  if (child) return { ...e, startChildWorkflowExecutionInitiatedEventAttributes: child };
  const upsert = typedAttributes(e.upsertWorkflowSearchAttributesEventAttributes, custom);
  if (upsert) return { ...e, upsertWorkflowSearchAttributesEventAttributes: upsert };
  return e;
}

/** The events to send out, with their search attributes typed (the input array and events are not modified). */
export function typedHistoryForOutput(
  events: readonly IHistoryEvent[],
  custom: Readonly<Record<string, number>>,
): IHistoryEvent[] {
  return events.map((e) => typedEvent(e, custom));
}

/** A response carrying history (a workflow or query task, a history page) with its search attributes typed. */
export function withTypedHistory<R extends { history?: { events?: IHistoryEvent[] | null } | null }>(
  response: R,
  custom: Readonly<Record<string, number>>,
): R {
  const history = response.history;
  if (!history?.events?.length) return response;
  return { ...response, history: { ...history, events: typedHistoryForOutput(history.events, custom) } };
}
