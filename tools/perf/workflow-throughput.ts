/**
 * Workflows per second through the real harness (one starter and one poller thread, as `stampede run` runs by
 * default) against the embedded engine on the memory store, with the RPCs each workflow cost, counted per method
 * by the harness's client. One batch of workflows is offered a little above what a warm-up batch showed the
 * machine can do; the throughput is the rate between the 10th and the 90th percentile of closes (the fill and the
 * drain of the batch are left out). Eager execution on or off is the one thing that differs between two runs.
 */
import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { startEngine, type Engine } from '../../engine/index.js';
import { Coordinator } from '../../bench/coordinator/coordinator.js';
import type { ThreadInit } from '../../bench/coordinator/protocol.js';
import { SCENARIOS } from '../../scenarios/index.js';
import { compileOptions } from '../../scenarios/sdk/option-specs.js';
import { COUNTER, RPC_COUNTER_PREFIX } from '../../result/catalogue.js';

export interface WorkflowSample {
  scenario: string;
  eager: boolean;
  /** Workflows closed in the batch. */
  workflows: number;
  /** Closes per second between the 10th and 90th percentile of the batch's closes. */
  perSec: number;
  /** Offered start rate. */
  offeredPerSec: number;
  /** Calls sent per workflow, all methods; and by method. */
  rpcPerWorkflow: number;
  rpcByMethod: Record<string, number>;
  /** Process CPU (engine + harness threads) per workflow, µs. */
  cpuUsPerWorkflow: number;
  /** Counters of all threads over the batch. */
  counters: Record<string, number>;
  /** Mean event-loop utilization of the starter and the poller thread over the batch (1 = saturated). */
  elu: { starter: number; poller: number };
}

const INTERVAL_MS = 250;

/** Runs one batch of `iterations` workflows at `ratePerSec` and measures it. */
export async function batch(
  engine: Engine,
  scenarioName: string,
  eager: boolean,
  iterations: number,
  ratePerSec: number,
  timeScale: number,
): Promise<WorkflowSample> {
  const closedAt: number[] = [];
  const byIndex = new Map<number, number>();
  const elu = [
    { sum: 0, n: 0 },
    { sum: 0, n: 0 },
  ];
  const coordinator = new Coordinator({
    interval: (id, m) => {
      const e = elu[id];
      if (e) {
        e.sum += m.health.elu;
        e.n += 1;
      }
      const n = m.data.counters[COUNTER.workflowsClosed] ?? 0;
      if (n > 0) byIndex.set(m.index, (byIndex.get(m.index) ?? 0) + n);
    },
    done: () => undefined,
    log: () => undefined,
  });
  const runTag = `perf-${randomUUID().slice(0, 8)}`;
  const base = {
    drainTimeoutMs: 60_000,
    segmentIndex: 0,
    segmentCount: 1,
    targets: [engine.address],
    routing: 'spread' as const,
    namespace: 'default',
    taskQueue: `perf-${scenarioName}-${runTag}`,
    scenario: scenarioName,
    scenarioOptions: {},
    executor: {
      name: 'constant-arrival-rate' as const,
      config: { ratePerSec, startRatePerSec: 0, stages: [], vus: 1, durationMs: Infinity, warmupMs: 0, iterations },
    },
    maxInFlight: 100_000,
    connections: 100_000,
    intervalMs: INTERVAL_MS,
    runTag,
    seed: 1,
    workflowPollers: 16,
    activityPollers: 16,
    timeScale,
    identity: `stampede-perf@${hostname()}`,
    origin: `${runTag}/perf`,
    eager,
  };
  const inits: ThreadInit[] = [
    { ...base, role: 'starter', threadIndex: 0, threadCount: 1 },
    { ...base, role: 'poller', threadIndex: 0, threadCount: 1 },
  ];
  coordinator.spawn(inits);
  try {
    await coordinator.ready(30_000);
    const cpu0 = process.cpuUsage();
    const t0 = Math.ceil(Date.now()) + 200;
    coordinator.broadcast({ type: 'start', t0Ms: t0 });
    await coordinator.finished('starter');
    const started = coordinator.total('starter', COUNTER.workflowsStarted);
    const deadline = Date.now() + 120_000;
    for (;;) {
      const closed =
        (await coordinator.liveTotal('poller', COUNTER.workflowsClosed)) +
        coordinator.total('starter', COUNTER.workflowsClosed);
      if (closed >= started || Date.now() > deadline) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    const cpu = process.cpuUsage(cpu0);
    coordinator.broadcast({ type: 'stop', reason: 'batch done' });
    await coordinator.finished('poller');
    for (const i of [...byIndex.keys()].sort((a, b) => a - b)) {
      closedAt.push(...Array.from({ length: byIndex.get(i) ?? 0 }, () => (i + 1) * INTERVAL_MS));
    }
    const workflows =
      coordinator.total('poller', COUNTER.workflowsClosed) + coordinator.total('starter', COUNTER.workflowsClosed);
    const rpcByMethod: Record<string, number> = {};
    for (const t of coordinator.threads) {
      for (const [k, v] of Object.entries(t.totals)) {
        if (!k.startsWith(RPC_COUNTER_PREFIX) || k === `${RPC_COUNTER_PREFIX}GetSystemInfo`) continue;
        const m = k.slice(RPC_COUNTER_PREFIX.length);
        rpcByMethod[m] = (rpcByMethod[m] ?? 0) + v;
      }
    }
    // Polls still outstanding when the workers stopped are not part of any workflow.
    const outstandingPolls = base.workflowPollers + base.activityPollers + 1;
    const rpcs = Object.values(rpcByMethod).reduce((a, b) => a + b, 0) - outstandingPolls;
    const lo = closedAt[Math.floor(closedAt.length * 0.1)] ?? 0;
    const hi = closedAt[Math.floor(closedAt.length * 0.9)] ?? 0;
    const perSec = hi > lo ? (0.8 * closedAt.length * 1000) / (hi - lo) : 0;
    return {
      scenario: scenarioName,
      eager,
      workflows,
      perSec,
      offeredPerSec: ratePerSec,
      rpcPerWorkflow: rpcs / Math.max(1, workflows),
      rpcByMethod,
      cpuUsPerWorkflow: (cpu.user + cpu.system) / Math.max(1, workflows),
      counters: Object.fromEntries(
        [...new Set(coordinator.threads.flatMap((t) => Object.keys(t.totals)))].map((k) => [
          k,
          coordinator.threads.reduce((n, t) => n + (t.totals[k] ?? 0), 0),
        ]),
      ),
      elu: {
        starter: (elu[0]?.sum ?? 0) / Math.max(1, elu[0]?.n ?? 0),
        poller: (elu[1]?.sum ?? 0) / Math.max(1, elu[1]?.n ?? 0),
      },
    };
  } finally {
    await coordinator.terminateAll();
  }
}

/**
 * Workflows per second for a scenario with eager execution on and off, offered the same load: a warm-up batch of
 * each at `guessPerSec` for `warmupSeconds`, then a measured batch of each, `seconds` long, offered at 1.3x the
 * better of the two warm-ups, and raised while either keeps it (so both are measured at or above what they can do,
 * under the same offer).
 */
export async function measureWorkflowThroughput(opts: {
  scenario: string;
  seconds: number;
  warmupSeconds: number;
  guessPerSec: number;
}): Promise<{ eager: WorkflowSample; noEager: WorkflowSample }> {
  const scenario = SCENARIOS.get(opts.scenario);
  if (!scenario) throw new Error(`unknown scenario ${opts.scenario}`);
  const { values } = compileOptions(scenario.options, {}, opts.scenario);
  const timeScale = scenario.timeScale?.(values) ?? 1;
  const engine = await startEngine({ port: 0, numShards: 4, timeScale });
  try {
    const warmup = (eager: boolean): Promise<WorkflowSample> =>
      batch(
        engine,
        opts.scenario,
        eager,
        Math.ceil(opts.guessPerSec * opts.warmupSeconds),
        opts.guessPerSec,
        timeScale,
      );
    const best = Math.max((await warmup(true)).perSec, (await warmup(false)).perSec, 10);
    let rate = Math.round(best * 1.3);
    const measured = (eager: boolean): Promise<WorkflowSample> =>
      batch(engine, opts.scenario, eager, Math.ceil(rate * opts.seconds), rate, timeScale);
    // A mode that keeps the offered rate shows only the offer, not what it can do: raise the offer (at most three
    // times) until both modes fall behind, so the pair is compared at or beyond saturation.
    for (let raise = 0; ; raise++) {
      const eager = await measured(true);
      const noEager = await measured(false);
      const kept = (x: WorkflowSample): boolean => x.perSec >= 0.95 * rate;
      if (raise >= 3 || !(kept(eager) || kept(noEager))) return { eager, noEager };
      rate = Math.round(rate * 1.6);
    }
  } finally {
    await engine.stop();
  }
}

function flag(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

/**
 *   node --import tsx tools/perf/workflow-throughput.ts [scenario] [--eager true|false] [--rate R --iterations N]
 * With --rate and --iterations: one batch at that rate (after a 2 s warm-up batch), e.g. under `node --cpu-prof`.
 */
if (import.meta.url === `file://${process.argv[1]}`) {
  const scenario = process.argv[2] && !process.argv[2].startsWith('--') ? process.argv[2] : 'hello';
  const modes = flag('eager') === undefined ? [true, false] : [flag('eager') !== 'false'];
  const rate = Number(flag('rate') ?? 0);
  const iterations = Number(flag('iterations') ?? 0);
  for (const eager of modes) {
    if (rate > 0 && iterations > 0) {
      const def = SCENARIOS.get(scenario);
      const timeScale = def?.timeScale?.(compileOptions(def.options, {}, scenario).values) ?? 1;
      const engine = await startEngine({ port: 0, numShards: 4, timeScale });
      try {
        await batch(engine, scenario, eager, rate * 2, rate, timeScale);
        const s = await batch(engine, scenario, eager, iterations, rate, timeScale);
        console.log(JSON.stringify({ ...s, engine: (await engine.stats()).history }));
      } finally {
        await engine.stop();
      }
    } else {
      const s = await measureWorkflowThroughput({ scenario, seconds: 8, warmupSeconds: 4, guessPerSec: 300 });
      console.log(JSON.stringify(eager ? s.eager : s.noEager));
      break;
    }
  }
}
