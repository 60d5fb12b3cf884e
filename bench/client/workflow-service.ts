/**
 * A promise client for Temporal's WorkflowService over grpc-js, built on the same service definition the
 * engine serves. It talks to the embedded engine, a standalone one, or a real Temporal frontend.
 */
import * as grpc from '@grpc/grpc-js';
import type { temporal } from '@temporalio/proto';
import { workflowServiceDefinition } from '../../engine/index.js';
import type { Wire } from './wire.js';

type WS = typeof temporal.api.workflowservice.v1;
type Instance<K extends keyof WS> = WS[K] extends abstract new (...args: never[]) => infer I ? I : never;

/** Method name -> [request interface, decoded response]. */
export type Methods = {
  [
    M in keyof WS as M extends `${infer Base}Request` ? (`${Base}Response` extends keyof WS ? Base : never) : never
  ]: M extends `${infer Base}Request`
    ? `${Base}Response` extends keyof WS
      ? [Wire<Instance<M>>, Instance<`${Base}Response`>]
      : never
    : never;
};

export interface CallOptions {
  /** Per-call deadline in ms from now. */
  timeoutMs?: number;
  signal?: AbortSignal;
}

export class WorkflowServiceClient {
  private readonly client: grpc.Client;

  constructor(
    readonly address: string,
    options: { maxReceiveBytes?: number } = {},
  ) {
    this.client = new grpc.Client(address, grpc.credentials.createInsecure(), {
      'grpc.max_receive_message_length': options.maxReceiveBytes ?? 128 * 1024 * 1024,
      'grpc.max_send_message_length': 128 * 1024 * 1024,
      'grpc.keepalive_time_ms': 30_000,
    });
  }

  call<M extends keyof Methods>(
    method: M,
    request: Methods[M][0],
    options: CallOptions = {},
  ): Promise<Methods[M][1]> {
    const def = workflowServiceDefinition[method];
    if (!def) return Promise.reject(new Error(`unknown WorkflowService method ${method}`));
    const callOptions: grpc.CallOptions = {};
    if (options.timeoutMs !== undefined) callOptions.deadline = Date.now() + options.timeoutMs;
    return new Promise((resolve, reject) => {
      const call = this.client.makeUnaryRequest(
        def.path,
        def.requestSerialize,
        def.responseDeserialize,
        request,
        new grpc.Metadata(),
        callOptions,
        (err: grpc.ServiceError | null, response?: unknown) => {
          if (err) reject(err);
          else resolve(response as Methods[M][1]);
        },
      );
      if (options.signal) {
        if (options.signal.aborted) call.cancel();
        else options.signal.addEventListener('abort', () => call.cancel(), { once: true });
      }
    });
  }

  /** Resolves once the channel is connected (or rejects after `timeoutMs`). */
  waitForReady(timeoutMs: number): Promise<void> {
    return new Promise((resolve, reject) => {
      this.client.waitForReady(Date.now() + timeoutMs, (err) => (err ? reject(err) : resolve()));
    });
  }

  close(): void {
    this.client.close();
  }
}

export function isServiceError(err: unknown): err is grpc.ServiceError {
  return typeof err === 'object' && err !== null && 'code' in err && 'details' in err && 'metadata' in err;
}

export { grpc };
