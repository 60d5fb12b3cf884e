/**
 * A worker in its own process, so a test can kill it with SIGKILL mid-workflow.
 * Usage: node --import tsx worker-process.ts <address> <taskQueue>; prints "ready" once polling.
 */
import { NativeConnection, Runtime, DefaultLogger, Worker } from '@temporalio/worker';
import { fileURLToPath } from 'node:url';
import * as activities from './activities.js';

const [address, taskQueue] = process.argv.slice(2);
Runtime.install({ logger: new DefaultLogger('ERROR'), shutdownSignals: [] });
const connection = await NativeConnection.connect({ address });
const worker = await Worker.create({
  connection,
  namespace: 'default',
  taskQueue: taskQueue ?? 'killed-worker',
  workflowsPath: fileURLToPath(new URL('./workflows.ts', import.meta.url)),
  activities,
  stickyQueueScheduleToStartTimeout: '1s',
});
const run = worker.run();
process.stdout.write('ready\n');
await run;
