/**
 * Starter thread: runs its exact share of the schedule. Open model: each iteration fires at its intended
 * time whether or not earlier ones finished; one that finds the in-flight cap reached is dropped and counted
 * (never delayed, which would hide the stall). Closed model: each virtual user loops.
 */
import { SCENARIOS } from '../../scenarios/index.js';
import { compileOptions } from '../../scenarios/sdk/option-specs.js';
import { planSchedule } from '../executors/index.js';
import {
  closedShare,
  nextDueIndex,
  openIndices,
  remainingIndices,
  type ClosedSchedule,
  type OpenSchedule,
  type Partition,
} from '../executors/schedule.js';
import { nowMs } from '../recorder/wall-clock.js';
import { errorType, runThread, seededRandom, type ThreadRuntime } from './runtime.js';
import { EagerActivitySlots } from './activity-task.js';
import { starterContext, type EagerWorker } from './starter-context.js';
import { handleWorkflowTask, type WorkerContext } from './answer-workflow-task.js';
import { COUNTER, ERROR_SOURCE, METRIC } from '../../result/catalogue.js';

/** How far behind its schedule the open-model loop may run before overdue iterations are skipped. */
const MAX_LAG_MS = 1000;

/** Eager workflow tasks (and, separately, eager activities) a starter thread runs at once. */
const EAGER_SLOTS = 64;

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

runThread(async (rt) => {
  const { init } = rt;
  const scenario = SCENARIOS.get(init.scenario);
  if (!scenario) throw new Error(`unknown scenario ${init.scenario}`);
  const { values, problems } = compileOptions(scenario.options, init.scenarioOptions, `scenario ${init.scenario}`);
  if (problems.length > 0) throw new Error(problems.join('; '));
  const schedule = planSchedule(init.executor.name, init.executor.config);
  if (Array.isArray(schedule)) throw new Error(schedule.join('; '));
  const partition: Partition = {
    segmentIndex: init.segmentIndex,
    segmentCount: init.segmentCount,
    threadIndex: init.threadIndex,
    threadCount: init.threadCount,
  };
  await rt.ready();
  // Eager start: the target hands the first workflow task back in the start reply, and this thread is the
  // worker that answers it (a worker in the client's process, as Temporal requires). No sticky queue: the next
  // task goes to the poller threads through the normal queue.
  const w: WorkerContext = {
    rt,
    scenario,
    options: values,
    ...(rt.eager ? { eagerSlots: new EagerActivitySlots(EAGER_SLOTS) } : {}),
  };
  let eagerInFlight = 0;
  const worker: EagerWorker | undefined =
    rt.eager && rt.eagerStartSupported
      ? {
          reserve: () => {
            if (eagerInFlight >= EAGER_SLOTS) return false;
            eagerInFlight += 1;
            return true;
          },
          release: () => {
            eagerInFlight -= 1;
          },
          take: (task) => {
            rt.background(
              handleWorkflowTask(w, task, 'eager-start').finally(() => {
                eagerInFlight -= 1;
              }),
            );
          },
        }
      : undefined;
  const t0 = await rt.waitForStart();
  const iterate = (k: number, intendedUs: number | undefined): Promise<void> => {
    rt.recorder.count(COUNTER.iterations);
    const ctx = starterContext(rt, k, intendedUs, seededRandom((init.seed ^ Math.imul(k, 0x9e3779b1)) >>> 0), worker);
    return scenario.iterate(ctx, values).catch((err: unknown) => {
      rt.recorder.count(COUNTER.iterationsFailed);
      rt.recorder.error(ERROR_SOURCE.iteration, errorType(err));
    });
  };
  if (schedule.model === 'open') await runOpen(rt, schedule, partition, t0, iterate);
  else await runClosed(rt, schedule, partition, t0, iterate);
  // Follow-ups (e.g. cancel signals) get as long as the drain after the schedule ends.
  await rt.drainFollowUps(rt.init.drainTimeoutMs);
});

async function runOpen(
  rt: ThreadRuntime,
  schedule: OpenSchedule,
  partition: Partition,
  t0: number,
  iterate: (k: number, intendedUs: number) => Promise<void>,
): Promise<void> {
  const { first, stride } = openIndices(partition);
  const queue: { k: number; intendedUs: number }[] = [];
  let head = 0;
  let running = 0;
  let idle: (() => void) | undefined;
  const pump = (): void => {
    while (running < rt.init.connections && head < queue.length) {
      const it = queue[head++] as { k: number; intendedUs: number };
      if (head > 1024 && head * 2 > queue.length) {
        queue.splice(0, head);
        head = 0;
      }
      running += 1;
      void iterate(it.k, it.intendedUs).finally(() => {
        running -= 1;
        rt.inFlight -= 1;
        pump();
      });
    }
    if (running === 0 && head >= queue.length) idle?.();
  };
  let k = first;
  for (;;) {
    if (rt.stopRequested) break;
    const offset = schedule.offsetMs(k);
    if (offset === undefined) break;
    const due = t0 + offset;
    const now = nowMs();
    const wait = due - now;
    if (wait > 1) {
      await sleep(Math.min(wait, 250));
      continue;
    }
    // Fallen behind (the generator could not keep the rate): the schedule is not replayed late — what is more
    // than MAX_LAG_MS overdue is skipped and counted, and nothing starts after the schedule's end, so a run ends
    // at its duration plus the drain whatever the rate.
    if (-wait > MAX_LAG_MS || now - t0 > schedule.endMs + MAX_LAG_MS) {
      const next = now - t0 > schedule.endMs ? undefined : nextDueIndex(schedule, k, stride, now - t0);
      const skipped = next === undefined ? remainingIndices(schedule, k, stride) : (next - k) / stride;
      rt.recorder.count(COUNTER.skipped, skipped);
      if (next === undefined) break;
      k = next;
      continue;
    }
    const lagUs = Math.max(0, -wait * 1000);
    if (lagUs > rt.scheduleLagMaxUs) rt.scheduleLagMaxUs = lagUs;
    rt.recorder.recordMetric(METRIC.scheduleLag, lagUs);
    // Never delay the schedule: over the in-flight cap the iteration is dropped (and counted), not postponed.
    if (rt.inFlight >= rt.init.maxInFlight) {
      rt.recorder.count(COUNTER.dropped);
    } else {
      rt.inFlight += 1;
      queue.push({ k, intendedUs: due * 1000 });
      pump();
    }
    k += stride;
    // Yield now and then so replies are processed even when far behind schedule.
    if ((k / stride) % 64 === 0) await sleep(0);
  }
  if (running > 0 || head < queue.length) await new Promise<void>((resolve) => (idle = resolve));
}

async function runClosed(
  rt: ThreadRuntime,
  schedule: ClosedSchedule,
  partition: Partition,
  t0: number,
  iterate: (k: number, intendedUs: number | undefined) => Promise<void>,
): Promise<void> {
  const { vus, iterations } = closedShare(schedule, partition);
  const endMs = t0 + schedule.endMs;
  let budget = iterations ?? Infinity;
  // Closed-model iteration indices: unique per partition, interleaved across partitions.
  const parts = partition.segmentCount * partition.threadCount;
  const base = partition.segmentIndex * partition.threadCount + partition.threadIndex;
  let next = 0;
  const wait = t0 - nowMs();
  if (wait > 0) await sleep(wait);
  const vu = async (): Promise<void> => {
    while (!rt.stopRequested && nowMs() < endMs && budget > 0) {
      budget -= 1;
      const k = base + parts * next++;
      rt.inFlight += 1;
      await iterate(k, undefined);
      rt.inFlight -= 1;
    }
  };
  await Promise.all(Array.from({ length: vus }, () => vu()));
}
