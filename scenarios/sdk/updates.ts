/**
 * Workflow updates as a synthetic worker sees them: the requests a workflow task carries (protocol messages, each
 * a temporal.api.update.v1.Request in a google.protobuf.Any), and the replies a decider sends back — an acceptance
 * and a response, each placed among the commands by a PROTOCOL_MESSAGE command, or a rejection (a message alone:
 * Temporal writes no event for it). The same wire format Temporal's SDKs use, so the engine cannot tell them apart.
 */
import proto, { type temporal } from '@temporalio/proto';
import Long from 'long';
import { protocolMessage, type Command } from './commands.js';
import { fromPayloads, toPayloads } from './payloads.js';
import type { Wire } from './wire.js';

export type ProtocolMessage = Wire<temporal.api.protocol.v1.IMessage>;

/** What a decider returns when it answers updates: its commands and the protocol messages they refer to. */
export interface Decision {
  commands: Command[];
  messages: ProtocolMessage[];
}

const U = proto.temporal.api.update.v1;
const TYPE_URL = 'type.googleapis.com/temporal.api.update.v1.';

/** One update request delivered with a workflow task. */
export interface UpdateRequest {
  /** The update id (the protocol instance id). */
  id: string;
  name: string;
  input: unknown;
  /** The request message's id and the event it is sequenced after (echoed in the acceptance or rejection). */
  messageId: string;
  sequencingEventId: number;
  request: temporal.api.update.v1.IRequest;
}

function num(v: unknown): number {
  if (typeof v === 'number') return v;
  if (v && typeof v === 'object' && 'toNumber' in v) return (v as { toNumber(): number }).toNumber();
  return Number(v ?? 0);
}

/** The update requests among a task's protocol messages (other protocols are not ours to answer). */
export function updateRequests(messages: readonly temporal.api.protocol.v1.IMessage[]): UpdateRequest[] {
  const out: UpdateRequest[] = [];
  for (const m of messages) {
    if (m.body?.type_url !== `${TYPE_URL}Request` || !m.body.value) continue;
    const request = U.Request.decode(m.body.value);
    out.push({
      id: m.protocolInstanceId ?? request.meta?.updateId ?? '',
      name: request.input?.name ?? '',
      input: fromPayloads(request.input?.args),
      messageId: m.id ?? '',
      sequencingEventId: num(m.eventId),
      request,
    });
  }
  return out;
}

function message(u: UpdateRequest, kind: string, value: Uint8Array): ProtocolMessage {
  return {
    id: `${u.id}/${kind.toLowerCase()}`,
    protocolInstanceId: u.id,
    body: { type_url: `${TYPE_URL}${kind}`, value },
  };
}

/**
 * Collects a task's update replies in order. `commands` holds the PROTOCOL_MESSAGE commands of acceptances and
 * responses, to be placed among the decider's other commands where their events should go.
 */
export class UpdateReplies {
  readonly commands: Command[] = [];
  readonly messages: ProtocolMessage[] = [];

  /** Accepts the update: an UpdateAccepted event, and the caller waiting for ACCEPTED is answered. */
  accept(u: UpdateRequest): this {
    const m = message(
      u,
      'Acceptance',
      U.Acceptance.encode({
        acceptedRequestMessageId: u.messageId,
        acceptedRequestSequencingEventId: Long.fromNumber(u.sequencingEventId),
        acceptedRequest: u.request,
      }).finish(),
    );
    this.messages.push(m);
    this.commands.push(protocolMessage(m.id ?? ''));
    return this;
  }

  /** Completes an accepted update with a result (an UpdateCompleted event). */
  complete(u: Pick<UpdateRequest, 'id'>, result: unknown): this {
    return this.respond(u, { success: toPayloads(result) });
  }

  /** Completes an accepted update with a failure (the update ran and failed; still one UpdateCompleted event). */
  fail(u: Pick<UpdateRequest, 'id'>, failureMessage: string): this {
    return this.respond(u, { failure: { message: failureMessage, source: 'stampede' } });
  }

  /** Rejects the update (the validator said no): no event, the caller gets the failure. */
  reject(u: UpdateRequest, reason: string): this {
    this.messages.push(
      message(
        u,
        'Rejection',
        U.Rejection.encode({
          rejectedRequestMessageId: u.messageId,
          rejectedRequestSequencingEventId: Long.fromNumber(u.sequencingEventId),
          rejectedRequest: u.request,
          failure: { message: reason, source: 'stampede', applicationFailureInfo: { type: 'UpdateRejected' } },
        }).finish(),
      ),
    );
    return this;
  }

  private respond(u: Pick<UpdateRequest, 'id'>, outcome: temporal.api.update.v1.IOutcome): this {
    const m: ProtocolMessage = {
      id: `${u.id}/response`,
      protocolInstanceId: u.id,
      body: {
        type_url: `${TYPE_URL}Response`,
        value: U.Response.encode({ meta: { updateId: u.id }, outcome }).finish(),
      },
    };
    this.messages.push(m);
    this.commands.push(protocolMessage(m.id ?? ''));
    return this;
  }
}

/** A decider's answer in one shape: commands alone, or commands with protocol messages. */
export function asDecision(d: Command[] | Decision): Decision {
  return Array.isArray(d) ? { commands: d, messages: [] } : d;
}
