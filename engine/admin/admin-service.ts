/**
 * The admin surface the harness reads engine statistics from: `stampede.admin.v1.EngineAdmin/GetStats`, a
 * unary call whose messages are JSON (no schema to share beyond the TypeScript types in stats-types.ts).
 */
import type {
  ServiceDefinition,
  Server,
  UntypedServiceImplementation,
  sendUnaryData,
  ServerUnaryCall,
} from '@grpc/grpc-js';
import type { ClusterView, EngineSample, EngineStats } from './stats-types.js';

const ADMIN_SERVICE = 'stampede.admin.v1.EngineAdmin';

const json = {
  serialize: (value: unknown): Buffer => Buffer.from(JSON.stringify(value ?? {}), 'utf8'),
  deserialize: (bytes: Buffer): unknown => (bytes.length === 0 ? {} : (JSON.parse(bytes.toString('utf8')) as unknown)),
};

function method(name: string): ServiceDefinition[string] {
  return {
    path: `/${ADMIN_SERVICE}/${name}`,
    requestStream: false,
    responseStream: false,
    requestSerialize: json.serialize,
    requestDeserialize: json.deserialize,
    responseSerialize: json.serialize,
    responseDeserialize: json.deserialize,
    originalName: name.charAt(0).toLowerCase() + name.slice(1),
  };
}

/**
 * GetStats: everything (with encoded histograms); GetSample: cheap counters for per-interval sampling;
 * DescribeCluster: the live members and the shard count, from which a client computes each shard's owner
 * (engine/cluster/ring.ts) and can send a workflow's requests straight to it.
 */
export const engineAdminDefinition: ServiceDefinition = {
  GetStats: method('GetStats'),
  GetSample: method('GetSample'),
  DescribeCluster: method('DescribeCluster'),
};

export function addAdminService(
  server: Server,
  stats: () => Promise<EngineStats>,
  sample: () => EngineSample,
  cluster: () => ClusterView,
): void {
  const impl: UntypedServiceImplementation = {
    GetStats: (_call: ServerUnaryCall<unknown, unknown>, callback: sendUnaryData<EngineStats>) => {
      stats().then(
        (s) => callback(null, s),
        (err: unknown) => callback({ code: 13, details: String(err) }),
      );
    },
    GetSample: (_call: ServerUnaryCall<unknown, unknown>, callback: sendUnaryData<EngineSample>) => {
      try {
        callback(null, sample());
      } catch (err) {
        callback({ code: 13, details: String(err) });
      }
    },
    DescribeCluster: (_call: ServerUnaryCall<unknown, unknown>, callback: sendUnaryData<ClusterView>) => {
      try {
        callback(null, cluster());
      } catch (err) {
        callback({ code: 13, details: String(err) });
      }
    },
  };
  server.addService(engineAdminDefinition, impl);
}
