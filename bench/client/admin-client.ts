/**
 * The engine's admin surface (`stampede.admin.v1.EngineAdmin`): statistics of a standalone engine driven with
 * --target. A real Temporal frontend does not serve it; callers treat UNIMPLEMENTED as "no engine statistics".
 */
import * as grpc from '@grpc/grpc-js';
import { engineAdminDefinition, type ClusterView, type EngineSample, type EngineStats } from '../../engine/index.js';

export class EngineAdminClient {
  private readonly client: grpc.Client;

  constructor(address: string) {
    this.client = new grpc.Client(address, grpc.credentials.createInsecure(), {
      'grpc.max_receive_message_length': 256 * 1024 * 1024,
    });
  }

  private call<T>(method: 'GetStats' | 'GetSample' | 'DescribeCluster', timeoutMs: number): Promise<T> {
    const def = engineAdminDefinition[method];
    if (!def) return Promise.reject(new Error(`no admin method ${method}`));
    return new Promise((resolve, reject) => {
      this.client.makeUnaryRequest(
        def.path,
        def.requestSerialize,
        def.responseDeserialize,
        {},
        new grpc.Metadata(),
        { deadline: Date.now() + timeoutMs },
        (err, value) => (err ? reject(err) : resolve(value as T)),
      );
    });
  }

  stats(timeoutMs = 10_000): Promise<EngineStats> {
    return this.call('GetStats', timeoutMs);
  }

  sample(timeoutMs = 2_000): Promise<EngineSample> {
    return this.call('GetSample', timeoutMs);
  }

  /** The engine cluster's live members and shard count (UNIMPLEMENTED from a real Temporal frontend). */
  describeCluster(timeoutMs = 5_000): Promise<ClusterView> {
    return this.call('DescribeCluster', timeoutMs);
  }

  close(): void {
    this.client.close();
  }
}
