/**
 * `stampede capacity` options: the search's own flags, declared once here, plus the run's workload, thread, target
 * and engine flags (every step is a `stampede run` at a constant arrival rate). Compiled with every problem
 * collected; durations carry `Ms`, rates `PerSec`.
 */
import { parseThreshold, type Threshold } from '../../reports/gate/threshold.js';
import type { FlagDecls } from './flag-decls.js';
import { show } from '../../scenarios/sdk/show.js';
import { parseDurationMs, parseRatePerSec } from '../../result/units.js';
import { DEFAULT_LIMITS } from '../../bench/capacity/judge.js';
import type { Resolution } from '../../bench/capacity/search.js';
import type { CapacityOptions } from '../../bench/capacity/capacity-options.js';

const C = 'Capacity search:';
const S = 'Stability (a step must also be sustainable):';
const P = 'Sizing projection:';

export const CAPACITY_FLAGS: FlagDecls = {
  from: { type: 'string', default: '10', describe: 'first arrival rate of the ramp (e.g. 50, 50/s, 3000/m)', group: C },
  to: { type: 'string', describe: 'highest rate to try (default: no limit but --max-steps)', group: C },
  factor: {
    type: 'number',
    default: 2,
    describe: 'the ramp multiplies the rate by this after each passing step',
    group: C,
  },
  resolution: {
    type: 'string',
    default: '5%',
    describe:
      'bisection stops when the passing and failing rates are this close: a share of the rate (5%) or a rate (10/s)',
    group: C,
  },
  stepDuration: {
    type: 'string',
    default: '30s',
    describe: 'measured phase of each step (after its --warmup, which is excluded)',
    group: C,
  },
  hold: {
    type: 'string',
    describe: 'measured phase of the final hold at the accepted rate (default: twice --step-duration)',
    group: C,
  },
  budget: {
    type: 'string',
    describe: 'stop the search after this long (e.g. 15m), keeping completed steps: the result is partial',
    group: C,
  },
  maxSteps: { type: 'number', default: 30, describe: 'stop after this many steps (the hold included)', group: C },
  prime: {
    type: 'boolean',
    default: true,
    describe:
      'before the first step, run a quarter of --from for the warm-up length, not judged: warms the engine (an embedded engine keeps its JIT across steps) (--no-prime to skip)',
    group: C,
  },
  verbose: {
    type: 'boolean',
    default: false,
    describe: "print every step's intervals, not only one line per step",
    group: C,
  },
  maxScheduleLag: {
    type: 'string',
    default: '500ms',
    describe:
      'a step fails if iterations start later than this behind schedule (p99): the generator fell behind (smaller lags count in response times)',
    group: S,
  },
  maxBacklogGrowth: {
    type: 'string',
    default: '10%',
    describe: 'a step fails if open workflows (or the engine backlog) grow faster than this share of the arrival rate',
    group: S,
  },
  targetRate: {
    type: 'string',
    describe: 'project the history shards (and store nodes) needed for this rate at the SLOs',
    group: P,
  },
  storeNodes: {
    type: 'number',
    default: 1,
    describe: 'Cassandra nodes behind the store in this run (the per-node LWT rate divides by it)',
    group: P,
  },
  shardUtilisation: {
    type: 'string',
    describe: 'per-shard utilisation to plan for (default: measured when the shard path limited the run, else 0.7)',
    group: P,
  },
};

/**
 * Run flags that do not apply to a capacity search, with what to use instead (a step's rate, length and load
 * model are the search's).
 */
export const NOT_FOR_CAPACITY: Record<string, string> = {
  rate: 'the search chooses the rate: use --from and --to',
  executor: 'every step runs at a constant arrival rate',
  stages: 'every step runs at a constant arrival rate: use --from, --factor and --to',
  startRate: 'every step runs at a constant arrival rate: use --from',
  concurrency: 'a capacity search needs an open model (constant arrival rate)',
  duration: 'use --step-duration (each step) and --hold (the final hold)',
  iterations: 'steps are bounded by --step-duration',
  segment: 'a capacity search runs from one generator process',
  runTag: 'each step gets its own workflow-id prefix',
};

function share(text: string): number | undefined {
  const t = text.trim();
  const n = t.endsWith('%') ? Number(t.slice(0, -1)) / 100 : Number(t);
  return t !== '' && Number.isFinite(n) ? n : undefined;
}

export function compileCapacityOptions(
  raw: Record<string, unknown>,
  sloSources: string[],
): { options: CapacityOptions; problems: string[] } {
  const problems: string[] = [];
  const slos: Threshold[] = [];
  if (sloSources.length === 0)
    problems.push(
      "capacity needs at least one --slo, e.g. --slo 'p99(workflow)<2s' --slo 'errors<0.1%' (in a config file: slo: [...])",
    );
  for (const src of sloSources) {
    const t = parseThreshold(src);
    if (typeof t === 'string') problems.push(`--slo: ${t}`);
    else if (t.stat === 'accepted_rate')
      problems.push(`--slo "${src}": accepted_rate is what the search finds, not an SLO`);
    else slos.push(t);
  }
  const rate = (name: string, flag: string, required: boolean): number | undefined => {
    if (raw[name] === undefined) {
      if (required) problems.push(`--${flag} is required`);
      return undefined;
    }
    const r = parseRatePerSec(show(raw[name]));
    if (r === undefined || !(r > 0)) {
      problems.push(`--${flag} must be a positive rate like 50, 50/s or 3000/m, got ${show(raw[name])}`);
      return undefined;
    }
    return r;
  };
  const dur = (name: string, flag: string): number | undefined => {
    if (raw[name] === undefined) return undefined;
    const ms = parseDurationMs(show(raw[name]));
    if (ms === undefined || !(ms > 0)) {
      problems.push(`--${flag} must be a positive duration like 30s, got ${show(raw[name])}`);
      return undefined;
    }
    return ms;
  };
  const fromPerSec = rate('from', 'from', true) ?? 1;
  const toPerSec = rate('to', 'to', false) ?? Infinity;
  if (toPerSec < fromPerSec) problems.push(`--to (${toPerSec}/s) must not be below --from (${fromPerSec}/s)`);
  const factor = Number(raw.factor);
  if (!Number.isFinite(factor) || factor <= 1 || factor > 100)
    problems.push(`--factor must be a number above 1 (e.g. 2), got ${show(raw.factor)}`);
  let resolution: Resolution = { kind: 'relative', share: 0.05 };
  const resText = show(raw.resolution).trim();
  if (resText.endsWith('%')) {
    const s = share(resText);
    if (s === undefined || !(s > 0) || s >= 1)
      problems.push(`--resolution must be a share like 5% or a rate like 10/s, got ${resText}`);
    else resolution = { kind: 'relative', share: s };
  } else {
    const r = parseRatePerSec(resText);
    if (r === undefined || !(r > 0))
      problems.push(`--resolution must be a share like 5% or a rate like 10/s, got ${resText}`);
    else resolution = { kind: 'absolute', perSec: r };
  }
  const stepDurationMs = dur('stepDuration', 'step-duration') ?? 30_000;
  const holdMs = dur('hold', 'hold') ?? 2 * stepDurationMs;
  const budgetMs = dur('budget', 'budget') ?? Infinity;
  const maxSteps = Number(raw.maxSteps);
  if (!Number.isInteger(maxSteps) || maxSteps < 1)
    problems.push(`--max-steps must be an integer >= 1, got ${show(raw.maxSteps)}`);
  const lagMs = parseDurationMs(show(raw.maxScheduleLag));
  if (lagMs === undefined || !(lagMs > 0))
    problems.push(`--max-schedule-lag must be a positive duration like 100ms, got ${show(raw.maxScheduleLag)}`);
  const growth = share(show(raw.maxBacklogGrowth));
  if (growth === undefined || growth < 0 || growth > 1)
    problems.push(`--max-backlog-growth must be a share like 10% or 0.1, got ${show(raw.maxBacklogGrowth)}`);
  const targetRatePerSec = rate('targetRate', 'target-rate', false);
  const storeNodes = Number(raw.storeNodes);
  if (!Number.isInteger(storeNodes) || storeNodes < 1)
    problems.push(`--store-nodes must be an integer >= 1, got ${show(raw.storeNodes)}`);
  let planningUtilisation: number | undefined;
  if (raw.shardUtilisation !== undefined) {
    planningUtilisation = share(show(raw.shardUtilisation));
    if (planningUtilisation === undefined || !(planningUtilisation > 0) || planningUtilisation > 1) {
      problems.push(`--shard-utilisation must be a share in (0, 1] like 0.7 or 70%, got ${show(raw.shardUtilisation)}`);
      planningUtilisation = undefined;
    }
  }
  return {
    options: {
      slos,
      fromPerSec,
      toPerSec,
      factor,
      resolution,
      stepDurationMs,
      holdMs,
      budgetMs,
      maxSteps,
      prime: raw.prime !== false,
      verbose: raw.verbose === true,
      limits: {
        ...DEFAULT_LIMITS,
        maxScheduleLagUs: (lagMs ?? 500) * 1000,
        maxBacklogGrowth: growth ?? DEFAULT_LIMITS.maxBacklogGrowth,
      },
      targetRatePerSec,
      storeNodes,
      planningUtilisation,
    },
    problems,
  };
}
