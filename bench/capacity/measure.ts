/**
 * What a capacity step measured, read from the step's result (intervals with their engine samples, totals, the
 * engine's statement histograms) and from what the capacity run sampled on the side (the main thread's event-loop
 * utilization, which is the embedded engine's, and the machine's CPU). Rates are over the measured phase only.
 */
import type { EngineSample, EngineStats } from '../../engine/index.js';
import { decodeHistogram } from '../../result/histogram.js';
import type { CapacityStepMeasurements, IntervalResult, ResultV1 } from '../../result/schema.js';
import { COUNTER, METRIC } from '../../result/catalogue.js';

/** Sampled by the capacity run at the end of every interval of a step. */
export interface SideSample {
  index: number;
  /** Main-thread event-loop utilization over the interval (0..1). */
  mainElu: number;
  /** Cumulative CPU times of the machine (all CPUs), ms. */
  hostBusyMs: number;
  hostTotalMs: number;
}

/** Statement classes on a shard's serialized write path: the history insert and the conditional batch. */
function isShardPathClass(name: string): boolean {
  return /^history\.append/.test(name) || name === 'execution.create' || name === 'execution.update';
}

/**
 * A SQL store's waits per transaction: for a pooled connection, in the row-locking statements, and in COMMIT (the
 * WAL flush). Undefined for a store without a pool (Cassandra, memory).
 */
export function sqlWaits(
  statements: Record<string, { sumUs: number }>,
  transactions: number,
): { poolWaitUs?: number; lockWaitUs?: number; commitUs?: number } {
  const pool = statements['pool.acquire'];
  if (!pool || transactions <= 0) return {};
  const lock = Object.entries(statements)
    .filter(([name]) => /\.lock(_read)?$/.test(name))
    .reduce((x, [, s]) => x + s.sumUs, 0);
  const commit = statements['tx.commit']?.sumUs ?? 0;
  return { poolWaitUs: pool.sumUs / transactions, lockWaitUs: lock / transactions, commitUs: commit / transactions };
}

function mainIntervals(r: ResultV1): IntervalResult[] {
  return r.intervals.filter((iv) => iv.phase === 'main');
}

/** Least-squares slope of y over x (per unit of x); 0 with fewer than two points. */
function slope(points: { x: number; y: number }[]): number {
  if (points.length < 2) return 0;
  const n = points.length;
  const mx = points.reduce((a, p) => a + p.x, 0) / n;
  const my = points.reduce((a, p) => a + p.y, 0) / n;
  let num = 0;
  let den = 0;
  for (const p of points) {
    num += (p.x - mx) * (p.y - my);
    den += (p.x - mx) ** 2;
  }
  return den > 0 ? num / den : 0;
}

function statementTotals(s: EngineSample): { all: number; throttled: number } {
  let all = 0;
  let throttled = 0;
  for (const st of Object.values(s.statements)) {
    all += st.count;
    throttled += st.throttled ?? 0;
  }
  return { all, throttled };
}

function lwtTotals(s: EngineSample): { all: number; applied: number } {
  let all = 0;
  let applied = 0;
  for (const st of Object.values(s.statements)) {
    for (const [k, n] of Object.entries(st.outcomes ?? {})) {
      all += n;
      if (k === 'applied') applied += n;
    }
  }
  return { all, applied };
}

/**
 * Statement statistics of one step. An embedded engine lives for one step; an external engine's histograms are
 * cumulative over its life, so the previous step's are subtracted when both come from the same engine.
 */
function stepStatements(
  stats: EngineStats,
  previous: EngineStats | undefined,
): Record<string, { count: number; meanUs: number; p99Us: number; sumUs: number }> {
  const out: Record<string, { count: number; meanUs: number; p99Us: number; sumUs: number }> = {};
  const same = previous !== undefined && previous.engineId === stats.engineId;
  for (const [name, st] of Object.entries(stats.persistence)) {
    const h = decodeHistogram(st.latencyUs);
    const before = same ? previous.persistence[name] : undefined;
    if (before) h.subtract(decodeHistogram(before.latencyUs));
    const count = h.totalCount;
    if (count <= 0) continue;
    out[name] = { count, meanUs: h.mean, p99Us: h.getValueAtPercentile(99), sumUs: h.mean * count };
  }
  return out;
}

export function measureStep(
  r: ResultV1,
  side: SideSample[],
  previousEngine: EngineStats | undefined,
  closesDuringRun: boolean,
): CapacityStepMeasurements {
  const main = mainIntervals(r);
  const measuredMs = main.reduce((a, iv) => a + (iv.endMs - iv.startMs), 0) || r.timing.measuredMs;
  const seconds = Math.max(0.001, measuredMs / 1000);
  const firstMain = main[0];
  const lastMain = main[main.length - 1];
  const before = firstMain ? r.intervals.filter((iv) => iv.index < firstMain.index).at(-1) : undefined;

  const busy = main.filter((iv) => iv.health.maxElu > 0.9).length;
  const cpu = main.map((iv) => iv.health.processCpuCores);
  const out: CapacityStepMeasurements = {
    measuredMs,
    generator: {
      maxElu: Math.max(0, ...main.map((iv) => iv.health.maxElu)),
      busyIntervals: busy,
      intervals: main.length,
      scheduleLagP99Us: r.metrics[METRIC.scheduleLag]?.p99Us ?? 0,
      dropped: r.health.dropped,
      processCpuCores: cpu.length ? cpu.reduce((a, b) => a + b, 0) / cpu.length : 0,
    },
  };

  const pollers = Math.max(0, Number(r.options.pollers ?? 0));
  const wfStart = r.metrics[METRIC.workflowTaskScheduleToStart];
  const activityStart = r.metrics[METRIC.activityScheduleToStart];
  const e2e = r.metrics[METRIC.workflowE2e];
  out.workers = {
    ...(wfStart ? { workflowTaskScheduleToStartP99Us: wfStart.p99Us } : {}),
    ...(activityStart ? { activityScheduleToStartP99Us: activityStart.p99Us } : {}),
    ...(e2e ? { workflowE2eP99Us: e2e.p99Us } : {}),
    pollSlots: {
      workflow: pollers * Number(r.options.workflowPollers ?? 0),
      activity: pollers * Number(r.options.activityPollers ?? 0),
    },
  };

  // The machine and the main thread, from the side samples of the measured intervals.
  const mainIdx = new Set(main.map((iv) => iv.index));
  const sideMain = side.filter((s) => mainIdx.has(s.index));
  const sideBefore = firstMain ? side.filter((s) => s.index < firstMain.index).at(-1) : undefined;
  const sideLast = sideMain.at(-1);
  if (sideBefore && sideLast && sideLast.hostTotalMs > sideBefore.hostTotalMs) {
    out.host = {
      cpuBusy: (sideLast.hostBusyMs - sideBefore.hostBusyMs) / (sideLast.hostTotalMs - sideBefore.hostTotalMs),
      cpus: r.environment.cpus,
    };
  }

  // Workflows started and not closed: the queue in front of (and inside) the engine.
  if (closesDuringRun) {
    let open = 0;
    const series: { x: number; y: number }[] = [];
    let start = 0;
    for (const iv of r.intervals) {
      open += (iv.counters[COUNTER.workflowsStarted] ?? 0) - (iv.counters[COUNTER.workflowsClosed] ?? 0);
      if (before && iv.index === before.index) start = open;
      if (iv.phase === 'main') series.push({ x: iv.endMs / 1000, y: open });
    }
    out.openWorkflows = { start, end: series.at(-1)?.y ?? open, growthPerSec: slope(series) };
  }

  const a = before?.engine;
  const b = lastMain?.engine;
  if (b) {
    const backlog = (s: EngineSample): number => s.transferBacklog + s.matchingBacklog;
    const txPerSec = a ? (b.transactions - a.transactions) / seconds : 0;
    const started = r.verification.started;
    out.engine = {
      transactionsPerSec: txPerSec,
      ...(r.contention && started > 0 ? { transactionsPerWorkflow: r.contention.transactions / started } : {}),
      backlogEnd: backlog(b),
      backlogGrowthPerSec: slope(
        main.flatMap((iv) => (iv.engine ? [{ x: iv.endMs / 1000, y: backlog(iv.engine) }] : [])),
      ),
    };
    out.engine.members = r.target.cluster?.clustered ? Math.max(1, r.target.cluster.members.length) : 1;
    if (r.target.kind === 'embedded') {
      if (sideMain.length) out.engine.mainThreadElu = sideMain.reduce((x, s) => x + s.mainElu, 0) / sideMain.length;
    } else if (a) {
      out.engine.cpuCores = (b.cpuUserUs + b.cpuSystemUs - a.cpuUserUs - a.cpuSystemUs) / 1000 / measuredMs;
    }
    // The embedded engine's CPU is its event loop's busy time (the process's CPU includes the generator's threads).
    const engineCores = out.engine.cpuCores ?? out.engine.mainThreadElu;
    if (engineCores !== undefined && txPerSec > 0) out.engine.cpuMsPerTransaction = (engineCores * 1000) / txPerSec;

    if (r.engine && a) {
      const statements = stepStatements(r.engine, previousEngine);
      const path = Object.entries(statements).filter(([name]) => isShardPathClass(name));
      const transactions = r.contention?.transactions ?? 0;
      const injectedMs = Number(
        (r.options.engine as { injectStoreLatencyMs?: unknown } | undefined)?.injectStoreLatencyMs ?? 0,
      );
      const injectedUs = Number.isFinite(injectedMs) ? injectedMs * 1000 : 0;
      const pathCount = path.reduce((x, [, s]) => x + s.count, 0);
      // Injected latency is added above the store's statement timer, inside the shard's write path.
      const storeUs = transactions > 0 ? path.reduce((x, [, s]) => x + s.sumUs, 0) / transactions : 0;
      const shardPathUs = transactions > 0 ? storeUs + (injectedUs * pathCount) / transactions : 0;
      const shards = Math.max(1, r.engine.numShards);
      const lwtA = lwtTotals(a);
      const lwtB = lwtTotals(b);
      const lwtAll = lwtB.all - lwtA.all;
      const statementsA = statementTotals(a);
      const statementsB = statementTotals(b);
      const statementsAll = statementsB.all - statementsA.all;
      const throttled = statementsB.throttled - statementsA.throttled;
      out.persistence = {
        store: r.engine.store,
        shards,
        shardIoConcurrency: r.engine.shardIOConcurrency,
        shardPathUs,
        storeUs,
        injectedUs,
        statements: Object.fromEntries(
          path.map(([name, s]) => [name, { count: s.count, meanUs: s.meanUs, p99Us: s.p99Us }]),
        ),
        shardUtilisation: ((txPerSec / shards) * shardPathUs) / 1e6 / Math.max(1, r.engine.shardIOConcurrency),
        lwtPerSec: lwtAll / seconds,
        ...(started > 0 && r.contention
          ? { lwtPerWorkflow: Object.values(r.contention.lwt).reduce((x, n) => x + n, 0) / started }
          : {}),
        lwtNotAppliedShare: lwtAll > 0 ? (lwtAll - (lwtB.applied - lwtA.applied)) / lwtAll : 0,
        conflictsPerTransaction: r.contention && transactions > 0 ? r.contention.conflicts / transactions : 0,
        throttledPerSec: throttled / seconds,
        throttledShare: statementsAll > 0 ? throttled / statementsAll : 0,
        ...sqlWaits(statements, transactions),
      };
    }
  }
  return out;
}

/** Iterations started per second in the measured phase. */
export function achievedRate(r: ResultV1): number {
  const main = mainIntervals(r);
  const ms = main.reduce((a, iv) => a + (iv.endMs - iv.startMs), 0);
  return ms > 0 ? main.reduce((a, iv) => a + (iv.counters.iterations ?? 0), 0) / (ms / 1000) : 0;
}

/** Workflows closed per second in the measured phase. */
export function completedRate(r: ResultV1): number {
  const main = mainIntervals(r);
  const ms = main.reduce((a, iv) => a + (iv.endMs - iv.startMs), 0);
  return ms > 0 ? main.reduce((a, iv) => a + (iv.counters[COUNTER.workflowsClosed] ?? 0), 0) / (ms / 1000) : 0;
}
