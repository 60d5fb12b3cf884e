/**
 * One capacity step: a `stampede run` at a constant arrival rate, with what the step needs on the side — the main
 * thread's event-loop utilization (an embedded engine runs there) and the machine's CPU, sampled at every interval.
 */
import { cpus } from 'node:os';
import { performance } from 'node:perf_hooks';
import type { Engine } from '../../engine/index.js';
import { latencyOf } from '../../reports/gate/threshold.js';
import type { RunOptions } from '../run/run-options.js';
import type { CapacityStep, ResultV1 } from '../../result/schema.js';
import { Progress } from '../run/progress.js';
import { startRun } from '../run/run.js';
import type { Threshold } from '../../reports/gate/threshold.js';
import type { SideSample } from './measure.js';
import { METRIC } from '../../result/catalogue.js';

/** A run of the search (a step or the prime): what differs from the base options. */
export interface StepPlan {
  /** Short name, unique in the search: it tags the step's workflow ids and task queue. */
  name: string;
  ratePerSec: number;
  warmupMs: number;
  durationMs: number;
  out: string;
  label: string;
  verifySample?: number;
  drainTimeoutMs?: number;
}

export function stepOptions(base: RunOptions, tag: string, p: StepPlan, verbose: boolean): RunOptions {
  const defaultQueue = base.taskQueue === `stampede-${base.scenario}`;
  return {
    ...base,
    executor: 'constant-arrival-rate',
    ratePerSec: p.ratePerSec,
    warmupMs: p.warmupMs,
    durationMs: p.durationMs,
    iterations: undefined,
    segment: { index: 0, count: 1 },
    runTag: `${tag}-${p.name}`,
    // A queue per step: tasks an overloaded step left behind never reach the next step's pollers.
    taskQueue: defaultQueue ? `${base.taskQueue}-${tag}-${p.name}` : base.taskQueue,
    out: p.out,
    label: p.label,
    report: false,
    output: verbose && base.output !== 'json' ? 'plain' : 'quiet',
    ...(p.verifySample !== undefined ? { verifySample: p.verifySample } : {}),
    ...(p.drainTimeoutMs !== undefined ? { drainTimeoutMs: p.drainTimeoutMs } : {}),
  };
}

function hostCpu(): { busyMs: number; totalMs: number } {
  let busy = 0;
  let total = 0;
  for (const cpu of cpus()) {
    const t = cpu.times;
    busy += t.user + t.nice + t.sys + t.irq;
    total += t.user + t.nice + t.sys + t.irq + t.idle;
  }
  return { busyMs: busy, totalMs: total };
}

export interface StepRun {
  /** Stops the step early (budget, signal): it drains briefly and its result is partial. */
  stop(reason: string): void;
  done: Promise<{ result: ResultV1; side: SideSample[]; wallMs: number; stoppedBy: string | undefined }>;
}

export function startStep(o: RunOptions, shared: Engine | undefined): StepRun {
  const side: SideSample[] = [];
  let lastElu = performance.eventLoopUtilization();
  const onInterval = (iv: { index: number }): void => {
    const now = performance.eventLoopUtilization();
    const cpu = hostCpu();
    side.push({
      index: iv.index,
      mainElu: performance.eventLoopUtilization(now, lastElu).utilization,
      hostBusyMs: cpu.busyMs,
      hostTotalMs: cpu.totalMs,
    });
    lastElu = now;
  };
  const t0 = performance.now();
  let stoppedBy: string | undefined;
  const handle = startRun(o, new Progress(o.output, o.warmupMs + o.durationMs), {
    onInterval,
    // Visibility is in-process or a loopback away: a long settle only delays the next step.
    verifySettleMs: 2000,
    ...(shared ? { engine: shared } : {}),
  });
  return {
    stop(reason) {
      stoppedBy ??= reason;
      handle.stop(reason);
    },
    done: handle.result.then(({ result }) => ({ result, side, wallMs: performance.now() - t0, stoppedBy })),
  };
}

/** The latency series a step reports: those the SLOs name, workflow_e2e and the scheduled operation's response. */
export function latencySeries(r: ResultV1, slos: Threshold[]): CapacityStep['latency'] {
  const out: CapacityStep['latency'] = {};
  const add = (target: string): void => {
    const found = latencyOf(r, target);
    if (!found) return;
    const name = found.name.replace(/ response time$/, '').replace(/ service time$/, ' (service)');
    out[name] ??= { n: found.stats.n, p50Us: found.stats.p50Us, p99Us: found.stats.p99Us };
  };
  for (const t of slos) if (t.unit === 'us' && t.target) add(t.target);
  add(METRIC.workflowE2e);
  const scheduled = Object.entries(r.operations).find(([, op]) => op.response !== undefined)?.[0];
  if (scheduled) add(scheduled);
  return out;
}
