import proto from '@temporalio/proto';
import Long from 'long';
import { describe, expect, it } from 'vitest';
import { toPayloads } from './payloads.js';
import { UpdateReplies, updateRequests } from './updates.js';

const U = proto.temporal.api.update.v1;
const CommandType = proto.temporal.api.enums.v1.CommandType;

/** A request message as the engine (or Temporal's server) sends it with a workflow task. */
function requestMessage(updateId: string, name: string, args: unknown) {
  const value = U.Request.encode({ meta: { updateId }, input: { name, args: toPayloads(args) } }).finish();
  return {
    id: `${updateId}/request`,
    protocolInstanceId: updateId,
    eventId: Long.fromNumber(7),
    body: { type_url: 'type.googleapis.com/temporal.api.update.v1.Request', value },
  };
}

describe('update protocol messages', () => {
  it('reads the requests a task carries and ignores other protocols', () => {
    const reqs = updateRequests([
      requestMessage('u1', 'add', { amount: 3 }),
      {
        id: 'x',
        protocolInstanceId: 'x',
        body: { type_url: 'type.googleapis.com/other.v1.Thing', value: new Uint8Array() },
      },
    ]);
    expect(reqs).toHaveLength(1);
    expect(reqs[0]).toMatchObject({
      id: 'u1',
      name: 'add',
      input: { amount: 3 },
      messageId: 'u1/request',
      sequencingEventId: 7,
    });
  });

  it('answers with an acceptance and a response placed by commands, a rejection as a message alone', () => {
    const [a, b] = updateRequests([requestMessage('u1', 'add', 1), requestMessage('u2', 'add', 2)]);
    if (!a || !b) throw new Error('two requests expected');
    const r = new UpdateReplies().accept(a).complete(a, 41).reject(b, 'no');
    expect(r.commands.map((c) => c.commandType)).toEqual([
      CommandType.COMMAND_TYPE_PROTOCOL_MESSAGE,
      CommandType.COMMAND_TYPE_PROTOCOL_MESSAGE,
    ]);
    expect(r.commands.map((c) => c.protocolMessageCommandAttributes?.messageId)).toEqual([
      'u1/acceptance',
      'u1/response',
    ]);
    expect(r.messages.map((m) => m.body?.type_url?.split('.').pop())).toEqual(['Acceptance', 'Response', 'Rejection']);
    const acceptance = U.Acceptance.decode(r.messages[0]?.body?.value ?? new Uint8Array());
    expect(acceptance.acceptedRequestMessageId).toBe('u1/request');
    expect(Number(acceptance.acceptedRequestSequencingEventId)).toBe(7);
    expect(acceptance.acceptedRequest?.input?.name).toBe('add');
    const response = U.Response.decode(r.messages[1]?.body?.value ?? new Uint8Array());
    expect(response.meta?.updateId).toBe('u1');
    expect(response.outcome?.success?.payloads).toHaveLength(1);
    const rejection = U.Rejection.decode(r.messages[2]?.body?.value ?? new Uint8Array());
    expect(rejection.failure?.message).toBe('no');
    expect(rejection.rejectedRequest?.meta?.updateId).toBe('u2');
  });
});
