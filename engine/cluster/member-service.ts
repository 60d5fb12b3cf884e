/**
 * The internal gRPC service members of a cluster call each other on (`stampede.cluster.v1.Member/Call`), on the same
 * port as the frontend: one unary method naming an operation of the receiving member's services (see ops.ts), its
 * arguments and its result in the structured serialization of wire.ts. Errors travel in the reply, so a caller sees
 * the engine error the owner raised; a transport failure is UNAVAILABLE as for any gRPC call.
 */
import * as grpc from '@grpc/grpc-js';
import { UnavailableError } from '../errors.js';
import { FORWARDED_HEADER } from '../frontend/status.js';
import { decode, encode, fromWireError, toWireError, type WireError } from './wire.js';

const MEMBER_SERVICE = 'stampede.cluster.v1.Member';

interface CallRequest {
  op: string;
  args: unknown[];
}

type CallReply = { ok: unknown } | { err: WireError };

const callMethod: grpc.MethodDefinition<CallRequest, CallReply> = {
  path: `/${MEMBER_SERVICE}/Call`,
  requestStream: false,
  responseStream: false,
  requestSerialize: (v: CallRequest) => encode(v),
  requestDeserialize: (b: Buffer) => decode(b) as CallRequest,
  responseSerialize: (v: CallReply) => encode(v),
  responseDeserialize: (b: Buffer) => decode(b) as CallReply,
};

export const memberServiceDefinition: grpc.ServiceDefinition = { Call: callMethod };

/** The operations a member serves to the others: name -> local function. */
export type MemberOps = Readonly<Record<string, (...args: never[]) => Promise<unknown>>>;

export function addMemberService(server: grpc.Server, ops: MemberOps): void {
  server.addService(memberServiceDefinition, {
    Call: (call: grpc.ServerUnaryCall<CallRequest, CallReply>, callback: grpc.sendUnaryData<CallReply>) => {
      const { op, args } = call.request;
      const fn = Object.hasOwn(ops, op) ? ops[op] : undefined;
      if (!fn) {
        callback(null, { err: toWireError(new UnavailableError(`no member operation ${op}`)) });
        return;
      }
      (fn as (...a: unknown[]) => Promise<unknown>)(...args).then(
        (ok) => callback(null, { ok }),
        (err: unknown) => callback(null, { err: toWireError(err) }),
      );
    },
  });
}

/** Another member's internal service and frontend, over one channel. */
export class MemberClient {
  private readonly client: grpc.Client;

  constructor(readonly address: string) {
    this.client = new grpc.Client(address, grpc.credentials.createInsecure(), {
      'grpc.max_receive_message_length': 256 * 1024 * 1024,
      'grpc.max_send_message_length': 256 * 1024 * 1024,
    });
  }

  /** Runs `op` on the member; rejects with the member's own error, or UNAVAILABLE if it cannot be reached. */
  call(op: string, args: unknown[], deadlineMs: number): Promise<unknown> {
    return new Promise((resolve, reject) => {
      this.client.makeUnaryRequest(
        callMethod.path,
        callMethod.requestSerialize,
        callMethod.responseDeserialize,
        { op, args },
        new grpc.Metadata(),
        { deadline: deadlineMs },
        (err, reply) => {
          if (err) reject(new UnavailableError(`member ${this.address} unreachable: ${err.message}`, { cause: err }));
          else if (!reply) reject(new UnavailableError(`member ${this.address} sent no reply`));
          else if ('err' in reply) reject(fromWireError(reply.err, this.address));
          else resolve(reply.ok);
        },
      );
    });
  }

  /**
   * Sends a frontend request on to this member as it came (the same method and message, marked forwarded so that it is
   * not forwarded again). Resolves with the member's response; rejects with its gRPC status error.
   */
  forward(
    def: grpc.MethodDefinition<object, object>,
    request: object,
    deadlineMs: number,
    onCancel: (cancel: () => void) => void,
  ): Promise<object> {
    const metadata = new grpc.Metadata();
    metadata.set(FORWARDED_HEADER, '1');
    return new Promise((resolve, reject) => {
      const call = this.client.makeUnaryRequest(
        def.path,
        def.requestSerialize,
        def.responseDeserialize,
        request,
        metadata,
        { deadline: deadlineMs },
        (err, response) => (err ? reject(transportFailure(err, this.address) ?? err) : resolve(response ?? {})),
      );
      onCancel(() => call.cancel());
    });
  }

  close(): void {
    this.client.close();
  }
}

/**
 * A forwarded call that failed in the transport, not in the member's handler (the member died or closed the
 * connection: grpc-js reports RST_STREAM without a status as INTERNAL): UNAVAILABLE, as a client retries it, never
 * INTERNAL, which would blame the engine.
 */
function transportFailure(err: grpc.ServiceError, address: string): grpc.ServiceError | undefined {
  const transport =
    err.code === grpc.status.UNAVAILABLE ||
    (err.code === grpc.status.INTERNAL && /RST_STREAM|without gRPC status|Connection dropped/i.test(err.details));
  if (!transport || err.metadata.get('grpc-status-details-bin').length > 0) return undefined;
  const details = `member ${address} unreachable: ${err.details}`;
  return Object.assign(new Error(details), { code: grpc.status.UNAVAILABLE, details, metadata: new grpc.Metadata() });
}
