/**
 * The gRPC service definition of `temporal.api.workflowservice.v1.WorkflowService`, built by reflection over
 * the `@temporalio/proto` root: every method, with protobuf (de)serializers. The same definition serves the
 * engine and builds the harness's client, so both speak exactly Temporal's wire format.
 */
import type { ServiceDefinition } from '@grpc/grpc-js';
import { reflection } from '../proto.js';

export const WORKFLOW_SERVICE = 'temporal.api.workflowservice.v1.WorkflowService';
/** Temporal's second service on the same port (search attributes, namespaces, clusters, Nexus endpoints). */
export const OPERATOR_SERVICE = 'temporal.api.operatorservice.v1.OperatorService';

/** The part of a protobufjs message type used here (kept structural: two protobufjs majors are installed). */
export interface MessageType {
  readonly fullName: string;
  encode(message: object): { finish(): Uint8Array };
  decode(bytes: Uint8Array): object;
  /** The message a decoder would give for this plain object (defaults, int64 as Long). */
  fromObject(value: object): object;
}

export interface MethodInfo {
  name: string;
  requestType: MessageType;
  responseType: MessageType;
}

function lookupMethods(serviceName: string): MethodInfo[] {
  const service = reflection.lookupService(serviceName);
  service.resolveAll();
  return service.methodsArray.map((m) => ({
    name: m.name,
    requestType: m.resolvedRequestType as MessageType,
    responseType: m.resolvedResponseType as MessageType,
  }));
}

export const workflowServiceMethods: readonly MethodInfo[] = lookupMethods(WORKFLOW_SERVICE);
export const operatorServiceMethods: readonly MethodInfo[] = lookupMethods(OPERATOR_SERVICE);

function encoder(type: MessageType): (value: object) => Buffer {
  return (value) => {
    const bytes = type.encode(value).finish();
    return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  };
}

function decoder(type: MessageType): (bytes: Buffer) => object {
  return (bytes) => type.decode(bytes);
}

function buildServiceDefinition(serviceName: string, methods: readonly MethodInfo[]): ServiceDefinition {
  const def: Record<string, ServiceDefinition[string]> = {};
  for (const m of methods) {
    def[m.name] = {
      path: `/${serviceName}/${m.name}`,
      requestStream: false,
      responseStream: false,
      requestSerialize: encoder(m.requestType),
      requestDeserialize: decoder(m.requestType),
      responseSerialize: encoder(m.responseType),
      responseDeserialize: decoder(m.responseType),
      originalName: m.name.charAt(0).toLowerCase() + m.name.slice(1),
    };
  }
  return def;
}

export const workflowServiceDefinition: ServiceDefinition = buildServiceDefinition(
  WORKFLOW_SERVICE,
  workflowServiceMethods,
);

export const operatorServiceDefinition: ServiceDefinition = buildServiceDefinition(
  OPERATOR_SERVICE,
  operatorServiceMethods,
);
