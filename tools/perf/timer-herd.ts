/**
 * Benchmark (not a test): a normal client's latency while a herd of N timers fires at once, beside the same
 * client's latency on the idle engine just before, in one run on one machine. The herd is N / 2,000 workflows each
 * holding 2,000 timers (the pending-timer limit) due at the same instant, all on one history shard (the worst
 * case: one timer queue, one IO queue); the client calls DescribeWorkflowExecution every 5 ms and records each
 * call's latency. Prints N, the calls measured, p50/p99/max for both phases and their ratio, and how long the herd
 * took to drain.
 *
 *   node --import tsx tools/perf/timer-herd.ts [--timers 20000]
 */
import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { WorkflowServiceClient } from '../../bench/client/workflow-service.js';
import { startEngine } from '../../engine/index.js';

const { values } = parseArgs({ options: { timers: { type: 'string', default: '20000' } } });
const N = Number(values.timers);
const PER_WORKFLOW = 2000;
if (!Number.isInteger(N) || N < PER_WORKFLOW) throw new Error(`--timers must be an integer >= ${PER_WORKFLOW}`);

function percentile(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] ?? NaN;
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

const engine = await startEngine({ port: 0, numShards: 1 });
const client = new WorkflowServiceClient(engine.address);
const tq = `herd-${randomUUID().slice(0, 8)}`;
const call = <M extends Parameters<WorkflowServiceClient['call']>[0]>(
  m: M,
  req: Parameters<WorkflowServiceClient['call']>[1],
) => client.call(m, req, { timeoutMs: 120_000 });

/** Starts a workflow and answers its first task with `timers` StartTimer commands firing at `fireAtMs`. */
async function holdTimers(id: string, timers: number, fireAtMs: number): Promise<void> {
  await call('StartWorkflowExecution', {
    namespace: 'default',
    workflowId: id,
    workflowType: { name: 'herd' },
    taskQueue: { name: tq },
    requestId: randomUUID(),
    workflowTaskTimeout: { seconds: 60 },
  });
  const task = await call('PollWorkflowTaskQueue', { namespace: 'default', taskQueue: { name: tq }, identity: 'herd' });
  const seconds = Math.max(1, Math.ceil((fireAtMs - Date.now()) / 1000));
  await call('RespondWorkflowTaskCompleted', {
    taskToken: task.taskToken,
    identity: 'herd',
    commands: Array.from({ length: timers }, (_, i) => ({
      commandType: 3,
      startTimerCommandAttributes: { timerId: `t${i}`, startToFireTimeout: { seconds } },
    })),
  });
}

const probeId = `probe-${randomUUID().slice(0, 8)}`;
await call('StartWorkflowExecution', {
  namespace: 'default',
  workflowId: probeId,
  workflowType: { name: 'probe' },
  taskQueue: { name: `${tq}-probe` },
  requestId: randomUUID(),
});

/** The normal client: one DescribeWorkflowExecution every 5 ms, each call's latency with its start time. */
const samples: { atMs: number; ms: number }[] = [];
let probing = true;
const probe = (async () => {
  while (probing) {
    const t0 = performance.now();
    await call('DescribeWorkflowExecution', { namespace: 'default', execution: { workflowId: probeId } });
    samples.push({ atMs: Date.now(), ms: performance.now() - t0 });
    await sleep(5);
  }
})();

const workflows = Math.ceil(N / PER_WORKFLOW);
const fireAtMs = Date.now() + 8000 + workflows * 300;
for (let i = 0; i < workflows; i++)
  await holdTimers(`herd-${i}`, Math.min(PER_WORKFLOW, N - i * PER_WORKFLOW), fireAtMs);
const idleFrom = Date.now();
await sleep(Math.max(0, fireAtMs - Date.now()));
// The herd is done when no timer task is left in memory (all fired and executed).
let drainedAtMs = 0;
for (;;) {
  await sleep(50);
  const s = await engine.stats();
  if (Date.now() > fireAtMs + 500 && s.history.timerBacklog === 0) {
    drainedAtMs = Date.now();
    break;
  }
  if (Date.now() > fireAtMs + 600_000) throw new Error('the herd did not drain in 10 minutes');
}
probing = false;
await probe;

const idle = samples.filter((s) => s.atMs >= idleFrom && s.atMs < fireAtMs).map((s) => s.ms);
const herd = samples.filter((s) => s.atMs >= fireAtMs && s.atMs <= drainedAtMs).map((s) => s.ms);
const row = (name: string, xs: number[]): string =>
  `${name.padEnd(8)} n=${String(xs.length).padStart(5)}  p50 ${percentile(xs, 50).toFixed(1).padStart(8)} ms  p99 ${percentile(xs, 99).toFixed(1).padStart(8)} ms  max ${Math.max(
    ...xs,
  )
    .toFixed(1)
    .padStart(8)} ms`;
process.stdout.write(
  [
    `timer herd: ${N} timers (${workflows} workflows x ${PER_WORKFLOW}) due at once on 1 shard; DescribeWorkflowExecution every 5 ms`,
    row('idle', idle),
    row('herd', herd),
    `p99 ratio herd/idle ${(percentile(herd, 99) / percentile(idle, 99)).toFixed(1)}x; herd drained in ${((drainedAtMs - fireAtMs) / 1000).toFixed(1)} s`,
    '',
  ].join('\n'),
);
client.close();
await engine.stop();
