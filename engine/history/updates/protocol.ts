/**
 * The update protocol's messages as they travel in workflow tasks (temporal.api.protocol.v1.Message with a
 * google.protobuf.Any body): requests out to the worker, acceptances, rejections and responses back.
 */
import { api, type temporal, type Wire } from '../../proto.js';
import type { PendingUpdate, UpdateRequest } from './registry.js';

export type ProtocolMessage = Wire<temporal.api.protocol.v1.IMessage>;

const TYPE_PREFIX = 'type.googleapis.com/';
const UPDATE_PACKAGE = 'temporal.api.update.v1.';
const U = api.update.v1;

/**
 * The request message of each update, sequenced on the event just before the task's WorkflowTaskStarted (the
 * worker handles it after every other event of the task, as Temporal sequences it).
 */
export function requestMessages(updates: readonly PendingUpdate[], startedEventId: number): ProtocolMessage[] {
  return updates.flatMap((u): ProtocolMessage[] =>
    u.request
      ? [
          {
            id: `${u.id}/request`,
            protocolInstanceId: u.id,
            eventId: startedEventId - 1,
            body: { type_url: `${TYPE_PREFIX}${UPDATE_PACKAGE}Request`, value: U.Request.encode(u.request).finish() },
          },
        ]
      : [],
  );
}

export type WorkerMessage =
  | { kind: 'acceptance'; body: temporal.api.update.v1.IAcceptance }
  | { kind: 'rejection'; body: temporal.api.update.v1.IRejection }
  | { kind: 'response'; body: temporal.api.update.v1.IResponse };

/** Decodes a message a worker sent back; a string describes why it cannot be handled (the task fails). */
export function decodeWorkerMessage(m: ProtocolMessage): WorkerMessage | string {
  const typeUrl = m.body?.type_url ?? '';
  const value = m.body?.value ?? new Uint8Array();
  const typeName = typeUrl.slice(typeUrl.lastIndexOf('/') + 1);
  if (!typeName.startsWith(UPDATE_PACKAGE)) return `unsupported protocol type ${typeName || '(none)'}`;
  try {
    switch (typeName.slice(UPDATE_PACKAGE.length)) {
      case 'Acceptance':
        return { kind: 'acceptance', body: U.Acceptance.decode(value) };
      case 'Rejection':
        return { kind: 'rejection', body: U.Rejection.decode(value) };
      case 'Response':
        return { kind: 'response', body: U.Response.decode(value) };
      default:
        return `unsupported update message type ${typeName}`;
    }
  } catch (err) {
    return `undecodable ${typeName} message: ${err instanceof Error ? err.message : String(err)}`;
  }
}

/** The request an acceptance or rejection carries (to recreate an update the engine lost). */
export function carriedRequest(m: WorkerMessage): UpdateRequest | undefined {
  if (m.kind === 'acceptance') return m.body.acceptedRequest ?? undefined;
  if (m.kind === 'rejection') return m.body.rejectedRequest ?? undefined;
  return undefined;
}
