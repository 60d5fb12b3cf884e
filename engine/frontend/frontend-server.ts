/**
 * The gRPC frontend: binds every WorkflowService method to its handler (or to UNIMPLEMENTED), turns the call's
 * deadline and cancellation into a CallContext, maps errors through the status table, and counts every call.
 */
import * as grpc from '@grpc/grpc-js';
import type { ErrorLog } from '../log/error-log.js';
import type { CallContext, Frontend } from './handler.js';
import { HANDLERS, OPERATOR_HANDLERS, type AnyHandler } from './handlers/index.js';
import {
  OPERATOR_SERVICE,
  operatorServiceDefinition,
  operatorServiceMethods,
  WORKFLOW_SERVICE,
  workflowServiceDefinition,
  workflowServiceMethods,
  type MethodInfo,
} from './service-definition.js';
import { FORWARDED_HEADER, toServiceError } from './status.js';
import { TurnBudget } from './turn-budget.js';
import { unimplemented } from './unsupported.js';

export interface RpcObserver {
  /** Called once per completed call with its service time in microseconds. */
  rpc(method: string, code: grpc.status, latencyUs: number): void;
}

function deadlineOf(call: grpc.ServerUnaryCall<unknown, unknown>): number | undefined {
  const d = call.getDeadline();
  if (d instanceof Date) return d.getTime();
  return Number.isFinite(d) ? d : undefined;
}

/** The call's connection (its peer address), as a TurnBudget key: computed only when the call has to wait. */
function peerOf(call: grpc.ServerUnaryCall<unknown, unknown>): () => string {
  return () => call.getPeer();
}

/** Starts timing one call; the function it returns reports the call's status and service time to `observer`. */
function callTimer(observer: RpcObserver, method: string): (code: grpc.status) => void {
  const started = performance.now();
  return (code) => observer.rpc(method, code, Math.round((performance.now() - started) * 1000));
}

/** A WorkflowService method called in-process (see {@link inProcessCaller}). */
export type InProcessCall = (method: string, request: object) => Promise<object>;

/**
 * Calls WorkflowService methods in-process: the request becomes the message the gRPC decoder would give (defaults,
 * int64 as Long), the handler is the one the server runs, and the call is counted like any other. Only the
 * transport is left out, so a benchmark can measure the engine's own paths (history, transactions, persistence)
 * without the client and HTTP/2 costs that the RPC benchmark measures. Rejects with the gRPC status error the
 * client would get.
 */
export function inProcessCaller(fe: Frontend, observer: RpcObserver): InProcessCall {
  const noCancel: CallContext = {
    deadlineMs: undefined,
    signal: new AbortController().signal,
    aborted: false,
    onCancel: () => () => undefined,
  };
  const types = new Map(workflowServiceMethods.map((m) => [m.name, m.requestType]));
  return async (method, request) => {
    const handler = HANDLERS[method];
    const type = types.get(method);
    const finish = callTimer(observer, method);
    try {
      if (!handler || !type) throw unimplemented(WORKFLOW_SERVICE, method);
      const req = type.fromObject(request);
      const local = (): Promise<object> => handler(fe, req as never, noCancel);
      const response = await (fe.router
        ? fe.router.dispatch(WORKFLOW_SERVICE, method, req, noCancel, false, local)
        : local());
      finish(grpc.status.OK);
      return response;
    } catch (err) {
      const se = toServiceError(err);
      finish(se.code ?? grpc.status.INTERNAL);
      throw Object.assign(new Error(`${grpc.status[se.code ?? grpc.status.INTERNAL]}: ${se.details ?? ''}`), se);
    }
  };
}

/** Binds WorkflowService and OperatorService (one turn budget for both) on `server`. */
export function addWorkflowService(
  server: grpc.Server,
  fe: Frontend,
  observer: RpcObserver,
  /** Requests handled per event-loop turn before the replies so far are written (see TurnBudget). */
  requestsPerTurn: number,
  /** Failures that are the engine's or its store's (INTERNAL, UNAVAILABLE), summarized per method and status. */
  errors?: Pick<ErrorLog, 'report'>,
): void {
  const turns = new TurnBudget(requestsPerTurn);
  const bind = { fe, observer, turns, errors };
  server.addService(workflowServiceDefinition, serviceImpl(WORKFLOW_SERVICE, workflowServiceMethods, HANDLERS, bind));
  server.addService(
    operatorServiceDefinition,
    serviceImpl(OPERATOR_SERVICE, operatorServiceMethods, OPERATOR_HANDLERS, bind),
  );
}

function serviceImpl(
  service: string,
  methods: readonly MethodInfo[],
  handlers: Readonly<Record<string, AnyHandler>>,
  {
    fe,
    observer,
    turns,
    errors,
  }: { fe: Frontend; observer: RpcObserver; turns: TurnBudget; errors?: Pick<ErrorLog, 'report'> },
): grpc.UntypedServiceImplementation {
  const impl: grpc.UntypedServiceImplementation = {};
  for (const { name } of methods) {
    const handler = Object.hasOwn(handlers, name) ? handlers[name] : undefined;
    impl[name] = (call: grpc.ServerUnaryCall<object, object>, callback: grpc.sendUnaryData<object>) => {
      const finish = callTimer(observer, name);
      if (!handler) {
        const err = toServiceError(unimplemented(service, name));
        finish(err.code ?? grpc.status.UNIMPLEMENTED);
        callback(err);
        return;
      }
      // grpc-js reports 'cancelled' for calls that already ended too; an AbortController (and the DOMException
      // its abort() builds) and the 'cancelled' listener are made only for handlers that look at the signal (a call
      // cancelled before that has `call.cancelled` set), and the signal is never aborted after the reply.
      let abort: AbortController | undefined;
      let replied = false;
      const ctx: CallContext = {
        deadlineMs: deadlineOf(call),
        get signal() {
          if (!abort) {
            const controller = new AbortController();
            abort = controller;
            if (call.cancelled && !replied) controller.abort();
            else
              call.on('cancelled', () => {
                if (!replied) controller.abort();
              });
          }
          return abort.signal;
        },
        get aborted() {
          return abort ? abort.signal.aborted : call.cancelled && !replied;
        },
        onCancel(fn) {
          if (abort) {
            const signal = abort.signal;
            signal.addEventListener('abort', fn, { once: true });
            return () => signal.removeEventListener('abort', fn);
          }
          const listener = (): void => {
            if (!replied) fn();
          };
          call.once('cancelled', listener);
          return () => void call.removeListener('cancelled', listener);
        },
      };
      const settle = (reply: Promise<object>): void =>
        void reply.then(
          (response) => {
            replied = true;
            finish(grpc.status.OK);
            callback(null, response);
          },
          (err: unknown) => {
            replied = true;
            const se = toServiceError(err);
            finish(se.code ?? grpc.status.INTERNAL);
            if (errors && (se.code === grpc.status.INTERNAL || se.code === grpc.status.UNAVAILABLE))
              errors.report(`${name} ${grpc.status[se.code]}`, se.details ?? '');
            callback(se);
          },
        );
      turns.run(() => {
        // Cancelled while it waited for its turn: the client has gone, so the work would be for nobody.
        if (call.cancelled) {
          finish(grpc.status.CANCELLED);
          return;
        }
        try {
          const local = (): Promise<object> => handler(fe, call.request as never, ctx);
          settle(
            fe.router
              ? fe.router.dispatch(
                  service,
                  name,
                  call.request,
                  ctx,
                  call.metadata.get(FORWARDED_HEADER).length > 0,
                  local,
                )
              : local(),
          );
        } catch (err) {
          // A handler that throws before its first await: answered like one that rejects.
          settle(Promise.reject(err instanceof Error ? err : new Error(String(err))));
        }
        // Waiting requests are taken round-robin per connection (see TurnBudget).
      }, peerOf(call));
    };
  }
  return impl;
}
