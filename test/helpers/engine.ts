/** Test helpers: an engine on a free loopback port, and a WorkflowService client for it. */
import { startEngine, type Engine, type EngineOptions } from '../../engine/index.js';
import { WorkflowServiceClient } from '../../bench/client/workflow-service.js';

export interface TestEngine {
  engine: Engine;
  client: WorkflowServiceClient;
  close(): Promise<void>;
}

export async function testEngine(options: Partial<EngineOptions> = {}): Promise<TestEngine> {
  const engine = await startEngine({ port: 0, ...options });
  const client = new WorkflowServiceClient(engine.address);
  return {
    engine,
    client,
    async close() {
      client.close();
      await engine.stop();
    },
  };
}
