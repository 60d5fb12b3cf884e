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
import type { EngineStats } from './stats-types.js';

export const ADMIN_SERVICE = 'stampede.admin.v1.EngineAdmin';

const json = {
  serialize: (value: unknown): Buffer => Buffer.from(JSON.stringify(value ?? {}), 'utf8'),
  deserialize: (bytes: Buffer): unknown => (bytes.length === 0 ? {} : (JSON.parse(bytes.toString('utf8')) as unknown)),
};

export const engineAdminDefinition: ServiceDefinition = {
  GetStats: {
    path: `/${ADMIN_SERVICE}/GetStats`,
    requestStream: false,
    responseStream: false,
    requestSerialize: json.serialize,
    requestDeserialize: json.deserialize,
    responseSerialize: json.serialize,
    responseDeserialize: json.deserialize,
    originalName: 'getStats',
  },
};

export function addAdminService(server: Server, stats: () => Promise<EngineStats>): void {
  const impl: UntypedServiceImplementation = {
    GetStats: (_call: ServerUnaryCall<unknown, unknown>, callback: sendUnaryData<EngineStats>) => {
      stats().then(
        (s) => callback(null, s),
        (err: unknown) => callback({ code: 13, details: String(err) }),
      );
    },
  };
  server.addService(engineAdminDefinition, impl);
}
