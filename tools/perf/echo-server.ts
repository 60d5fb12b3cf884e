/** The ceiling for RPC throughput: a bare grpc-js unary echo service (bytes in, same bytes out, no protobuf). */
import * as grpc from '@grpc/grpc-js';

const identity = (b: Buffer): Buffer => b;

export const echoDefinition: grpc.ServiceDefinition = {
  Echo: {
    path: '/stampede.bench.Echo/Echo',
    requestStream: false,
    responseStream: false,
    requestSerialize: identity,
    requestDeserialize: identity,
    responseSerialize: identity,
    responseDeserialize: identity,
  },
};

export async function startEchoServer(): Promise<{ address: string; stop(): Promise<void> }> {
  const server = new grpc.Server();
  server.addService(echoDefinition, {
    Echo: (call: grpc.ServerUnaryCall<Buffer, Buffer>, cb: grpc.sendUnaryData<Buffer>) => cb(null, call.request),
  });
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (err, p) =>
      err ? reject(err) : resolve(p),
    ),
  );
  return {
    address: `127.0.0.1:${port}`,
    stop: () => new Promise((resolve) => server.tryShutdown(() => resolve())),
  };
}
