/**
 * A promise client for Temporal's WorkflowService over grpc-js, built on the same service definition the
 * engine serves. It talks to the embedded engine, a standalone one, or a real Temporal frontend.
 */
import * as grpc from '@grpc/grpc-js';
import type { temporal } from '@temporalio/proto';
import { workflowServiceDefinition } from '../../engine/index.js';
import type { Wire } from '../../scenarios/sdk/wire.js';

/** Method name -> [request as built (int64 may be numbers), decoded response]. The methods stampede calls. */
export interface Methods {
  GetSystemInfo: [
    Wire<temporal.api.workflowservice.v1.IGetSystemInfoRequest>,
    temporal.api.workflowservice.v1.GetSystemInfoResponse,
  ];
  RegisterNamespace: [
    Wire<temporal.api.workflowservice.v1.IRegisterNamespaceRequest>,
    temporal.api.workflowservice.v1.RegisterNamespaceResponse,
  ];
  DescribeNamespace: [
    Wire<temporal.api.workflowservice.v1.IDescribeNamespaceRequest>,
    temporal.api.workflowservice.v1.DescribeNamespaceResponse,
  ];
  ListNamespaces: [
    Wire<temporal.api.workflowservice.v1.IListNamespacesRequest>,
    temporal.api.workflowservice.v1.ListNamespacesResponse,
  ];
  StartWorkflowExecution: [
    Wire<temporal.api.workflowservice.v1.IStartWorkflowExecutionRequest>,
    temporal.api.workflowservice.v1.StartWorkflowExecutionResponse,
  ];
  SignalWorkflowExecution: [
    Wire<temporal.api.workflowservice.v1.ISignalWorkflowExecutionRequest>,
    temporal.api.workflowservice.v1.SignalWorkflowExecutionResponse,
  ];
  SignalWithStartWorkflowExecution: [
    Wire<temporal.api.workflowservice.v1.ISignalWithStartWorkflowExecutionRequest>,
    temporal.api.workflowservice.v1.SignalWithStartWorkflowExecutionResponse,
  ];
  QueryWorkflow: [
    Wire<temporal.api.workflowservice.v1.IQueryWorkflowRequest>,
    temporal.api.workflowservice.v1.QueryWorkflowResponse,
  ];
  RespondQueryTaskCompleted: [
    Wire<temporal.api.workflowservice.v1.IRespondQueryTaskCompletedRequest>,
    temporal.api.workflowservice.v1.RespondQueryTaskCompletedResponse,
  ];
  UpdateWorkflowExecution: [
    Wire<temporal.api.workflowservice.v1.IUpdateWorkflowExecutionRequest>,
    temporal.api.workflowservice.v1.UpdateWorkflowExecutionResponse,
  ];
  ExecuteMultiOperation: [
    Wire<temporal.api.workflowservice.v1.IExecuteMultiOperationRequest>,
    temporal.api.workflowservice.v1.ExecuteMultiOperationResponse,
  ];
  PollWorkflowExecutionUpdate: [
    Wire<temporal.api.workflowservice.v1.IPollWorkflowExecutionUpdateRequest>,
    temporal.api.workflowservice.v1.PollWorkflowExecutionUpdateResponse,
  ];
  RequestCancelWorkflowExecution: [
    Wire<temporal.api.workflowservice.v1.IRequestCancelWorkflowExecutionRequest>,
    temporal.api.workflowservice.v1.RequestCancelWorkflowExecutionResponse,
  ];
  TerminateWorkflowExecution: [
    Wire<temporal.api.workflowservice.v1.ITerminateWorkflowExecutionRequest>,
    temporal.api.workflowservice.v1.TerminateWorkflowExecutionResponse,
  ];
  DescribeWorkflowExecution: [
    Wire<temporal.api.workflowservice.v1.IDescribeWorkflowExecutionRequest>,
    temporal.api.workflowservice.v1.DescribeWorkflowExecutionResponse,
  ];
  ListWorkflowExecutions: [
    Wire<temporal.api.workflowservice.v1.IListWorkflowExecutionsRequest>,
    temporal.api.workflowservice.v1.ListWorkflowExecutionsResponse,
  ];
  CountWorkflowExecutions: [
    Wire<temporal.api.workflowservice.v1.ICountWorkflowExecutionsRequest>,
    temporal.api.workflowservice.v1.CountWorkflowExecutionsResponse,
  ];
  GetWorkflowExecutionHistory: [
    Wire<temporal.api.workflowservice.v1.IGetWorkflowExecutionHistoryRequest>,
    temporal.api.workflowservice.v1.GetWorkflowExecutionHistoryResponse,
  ];
  PollWorkflowTaskQueue: [
    Wire<temporal.api.workflowservice.v1.IPollWorkflowTaskQueueRequest>,
    temporal.api.workflowservice.v1.PollWorkflowTaskQueueResponse,
  ];
  RespondWorkflowTaskCompleted: [
    Wire<temporal.api.workflowservice.v1.IRespondWorkflowTaskCompletedRequest>,
    temporal.api.workflowservice.v1.RespondWorkflowTaskCompletedResponse,
  ];
  RespondWorkflowTaskFailed: [
    Wire<temporal.api.workflowservice.v1.IRespondWorkflowTaskFailedRequest>,
    temporal.api.workflowservice.v1.RespondWorkflowTaskFailedResponse,
  ];
  PollActivityTaskQueue: [
    Wire<temporal.api.workflowservice.v1.IPollActivityTaskQueueRequest>,
    temporal.api.workflowservice.v1.PollActivityTaskQueueResponse,
  ];
  RespondActivityTaskCompleted: [
    Wire<temporal.api.workflowservice.v1.IRespondActivityTaskCompletedRequest>,
    temporal.api.workflowservice.v1.RespondActivityTaskCompletedResponse,
  ];
  RespondActivityTaskFailed: [
    Wire<temporal.api.workflowservice.v1.IRespondActivityTaskFailedRequest>,
    temporal.api.workflowservice.v1.RespondActivityTaskFailedResponse,
  ];
  RespondActivityTaskCanceled: [
    Wire<temporal.api.workflowservice.v1.IRespondActivityTaskCanceledRequest>,
    temporal.api.workflowservice.v1.RespondActivityTaskCanceledResponse,
  ];
  RecordActivityTaskHeartbeat: [
    Wire<temporal.api.workflowservice.v1.IRecordActivityTaskHeartbeatRequest>,
    temporal.api.workflowservice.v1.RecordActivityTaskHeartbeatResponse,
  ];
  ShutdownWorker: [
    Wire<temporal.api.workflowservice.v1.IShutdownWorkerRequest>,
    temporal.api.workflowservice.v1.ShutdownWorkerResponse,
  ];
  ResetStickyTaskQueue: [
    Wire<temporal.api.workflowservice.v1.IResetStickyTaskQueueRequest>,
    temporal.api.workflowservice.v1.ResetStickyTaskQueueResponse,
  ];
  UpdateNamespace: [
    Wire<temporal.api.workflowservice.v1.IUpdateNamespaceRequest>,
    temporal.api.workflowservice.v1.UpdateNamespaceResponse,
  ];
  RespondActivityTaskCompletedById: [
    Wire<temporal.api.workflowservice.v1.IRespondActivityTaskCompletedByIdRequest>,
    temporal.api.workflowservice.v1.RespondActivityTaskCompletedByIdResponse,
  ];
}

export interface CallOptions {
  /** Per-call deadline in ms from now. */
  timeoutMs?: number;
  signal?: AbortSignal;
  /**
   * The workflow this call is about when its request does not name it (a task completion carries only its token): a
   * client over several members sends it where that workflow's other calls go.
   */
  routeKey?: string | undefined;
}

/** What callers of the WorkflowService need: one member's client, or a client over several (routed-client.ts). */
export interface WorkflowCaller {
  call<M extends keyof Methods>(method: M, request: Methods[M][0], options?: CallOptions): Promise<Methods[M][1]>;
}

export interface ClientOptions {
  maxReceiveBytes?: number;
  /** Called once per call sent, with the method name (the harness counts RPCs per method with it). */
  onCall?: (method: keyof Methods) => void;
}

export class WorkflowServiceClient implements WorkflowCaller {
  private readonly client: grpc.Client;
  private readonly onCall: ((method: keyof Methods) => void) | undefined;

  constructor(
    readonly address: string,
    options: ClientOptions = {},
  ) {
    this.onCall = options.onCall;
    this.client = new grpc.Client(address, grpc.credentials.createInsecure(), {
      'grpc.max_receive_message_length': options.maxReceiveBytes ?? 128 * 1024 * 1024,
      'grpc.max_send_message_length': 128 * 1024 * 1024,
      'grpc.keepalive_time_ms': 30_000,
    });
  }

  call<M extends keyof Methods>(method: M, request: Methods[M][0], options: CallOptions = {}): Promise<Methods[M][1]> {
    const def = workflowServiceDefinition[method];
    if (!def) return Promise.reject(new Error(`unknown WorkflowService method ${method}`));
    this.onCall?.(method);
    const callOptions: grpc.CallOptions = {};
    if (options.timeoutMs !== undefined) callOptions.deadline = Date.now() + options.timeoutMs;
    const signal = options.signal;
    return new Promise((resolve, reject) => {
      const onAbort = (): void => call.cancel();
      const call = this.client.makeUnaryRequest(
        def.path,
        def.requestSerialize,
        def.responseDeserialize,
        request,
        new grpc.Metadata(),
        callOptions,
        (err: grpc.ServiceError | null, response?: unknown) => {
          signal?.removeEventListener('abort', onAbort);
          if (err) reject(err);
          else resolve(response as Methods[M][1]);
        },
      );
      if (signal) {
        if (signal.aborted) call.cancel();
        else signal.addEventListener('abort', onAbort, { once: true });
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
