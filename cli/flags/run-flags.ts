/** `stampede run` options: declared once here, compiled to RunOptions with every problem collected. */
import type { RunOptions } from '../../bench/run/run-options.js';
import { EXECUTORS, type ExecutorName } from '../../bench/executors/index.js';
import { parseStages, type Stage } from '../../bench/executors/ramping-arrival-rate.js';
import { formatDuration, parseDurationMs, parseRatePerSec } from '../../result/units.js';
import { compileEngineFlags } from './engine-flags.js';
import type { FlagDecls } from './flag-decls.js';
import { show } from '../../scenarios/sdk/show.js';
import { ROUTINGS } from '../../bench/client/routed-client.js';
import { parseTargets, pollCoverageProblems } from './target-list.js';

const W = 'Workload:';
const L = 'Load model:';
const T = 'Threads:';
const O = 'Output:';
const X = 'Target:';

export const RUN_FLAGS = {
  scenario: { type: 'string', default: 'hello', describe: 'workload to run (see `stampede scenarios`)', group: W },
  namespace: { type: 'string', default: 'default', describe: 'Temporal namespace', group: W },
  taskQueue: { type: 'string', describe: 'task queue (default: stampede-<scenario>)', group: W },
  executor: { type: 'string', choices: EXECUTORS, default: 'constant-arrival-rate', describe: 'load model', group: L },
  rate: {
    type: 'string',
    default: '50',
    describe: 'iterations started per second (e.g. 200, 200/s, 6000/m)',
    group: L,
  },
  stages: {
    type: 'string',
    describe: 'ramping-arrival-rate stages, <duration>:<rate>,... (e.g. 30s:100,1m:500)',
    group: L,
    list: true,
  },
  startRate: {
    type: 'string',
    default: '0',
    describe: 'ramping-arrival-rate: rate at the start of the first stage',
    group: L,
  },
  concurrency: { type: 'number', default: 10, describe: 'constant-concurrency: virtual users', group: L },
  duration: {
    type: 'string',
    default: '30s',
    describe: 'measured phase (after warm-up); unbounded when only --iterations is given',
    group: L,
  },
  warmup: {
    type: 'string',
    default: '10s',
    describe: 'warm-up before the measured phase, excluded from results',
    group: L,
  },
  iterations: { type: 'number', describe: 'stop after this many iterations in total (warm-up included)', group: L },
  maxInFlight: {
    type: 'number',
    default: 10_000,
    describe: 'iterations in flight before new ones are dropped (counted)',
    group: L,
  },
  connections: {
    type: 'number',
    describe:
      'iterations each starter thread runs at once (like connections); due iterations wait for one, and the wait counts in response time (default: max-in-flight)',
    group: L,
  },
  drainTimeout: {
    type: 'string',
    default: '60s',
    describe: 'after the last start, how long to wait for workflows to close',
    group: L,
  },
  verifySample: {
    type: 'number',
    default: 200,
    describe: 'workflows read back in full after the run to check histories and scenario invariants (0: count only)',
    group: O,
  },
  seed: {
    type: 'number',
    describe: 'seed for scenario randomness (default: random, recorded in the result)',
    group: L,
  },
  starters: {
    type: 'number',
    default: 1,
    describe: 'starter threads (open the workflows); 0: workers only, serving the task queue for --duration',
    group: T,
  },
  pollers: { type: 'number', default: 1, describe: 'poller threads (synthetic workers)', group: T },
  workflowPollers: {
    type: 'number',
    default: 16,
    describe: 'workflow-task polls outstanding per poller thread',
    group: T,
  },
  activityPollers: {
    type: 'number',
    default: 16,
    describe: 'activity-task polls outstanding per poller thread',
    group: T,
  },
  eager: {
    type: 'boolean',
    default: true,
    describe:
      'eager execution: first workflow task in the start reply (when the target advertises it) and activities handed back in the workflow task reply (--no-eager: everything through polls)',
    group: T,
  },
  target: {
    type: 'string',
    describe:
      'host:port of an engine or Temporal frontend to drive instead of the embedded engine; several engine members as host1:port,host2:port (the load spreads over them)',
    group: X,
  },
  routing: {
    type: 'string',
    choices: ROUTINGS,
    default: 'spread',
    describe:
      "with an engine cluster: spread = each workflow's calls to one target by a hash of its id (the member forwards to the shard's owner); owner = straight to the owner of the workflow's shard, from the engine's ring (saves the forward hop)",
    group: X,
  },
  segment: {
    type: 'string',
    default: '0/1',
    describe: 'run share i/n of the schedule (distributed runs; combine with `stampede merge`)',
    group: X,
  },
  runTag: {
    type: 'string',
    describe: 'workflow-id prefix shared by the segments of one run (default: random; required with --segment i/n)',
    group: X,
  },
  startAt: {
    type: 'string',
    describe:
      'start the schedule at this instant, ISO-8601 with a zone (e.g. 2026-12-05T12:00:00Z): every segment of a distributed run at once, so merged intervals line up',
    group: X,
  },
  out: { type: 'string', describe: 'output directory (default: results/<time>-<scenario>)', group: O },
  interval: { type: 'string', default: '1s', describe: 'reporting interval', group: O },
  label: { type: 'string', describe: 'label of this run in reports (default: <scenario> <store>)', group: O },
  quiet: { type: 'boolean', default: false, describe: 'print only the summary', group: O },
  json: { type: 'boolean', default: false, describe: 'print progress and summary as JSON lines', group: O },
  report: { type: 'boolean', default: true, describe: 'write report.html (--no-report to skip)', group: O },
} satisfies FlagDecls;

const DAY_MS = 86_400_000;
const MAX_RUN_MS = 30 * DAY_MS;
const MIN_INTERVAL_MS = 100;
const THREAD_WHY = 'each thread is a V8 isolate of ~10 MB or more; a few per core saturate the machine';

/**
 * The bounds of `stampede run`: what a machine can hold, so that an absurd value is refused with its reason instead
 * of exhausting memory or never ending (--concurrency 10000000 once ignored SIGINT for minutes while it spawned).
 */
export const RUN_BOUNDS = {
  maxRatePerSec: 10_000_000,
  maxSegments: 10_000,
  counts: {
    concurrency: { max: 100_000, why: 'each virtual user holds a loop and its calls in memory' },
    maxInFlight: { max: 1_000_000, why: 'each iteration in flight holds its calls in memory' },
    connections: { max: 1_000_000, why: 'each iteration in flight holds its calls in memory' },
    starters: { max: 64, why: THREAD_WHY },
    pollers: { max: 64, why: THREAD_WHY },
    workflowPollers: { max: 10_000, why: 'each poll holds a call open on the target' },
    activityPollers: { max: 10_000, why: 'each poll holds a call open on the target' },
    verifySample: { max: 1_000_000, why: 'each history is read back in full' },
    iterations: { max: Number.MAX_SAFE_INTEGER, why: 'the largest exact integer' },
    seed: { max: 2 ** 32 - 1, why: 'a 32-bit seed' },
  } as Record<string, { max: number; why: string } | undefined>,
  durationsMs: {
    duration: { ms: MAX_RUN_MS, why: 'longer than a timer can wait; run a soak as several runs' },
    warmup: { ms: DAY_MS, why: 'a warm-up longer than a day is a run of its own' },
    drainTimeout: { ms: DAY_MS, why: 'a drain longer than a day is a stuck run' },
    interval: { ms: 3_600_000, why: 'a run reports at least once an hour' },
  } as Record<string, { ms: number; why: string } | undefined>,
};

/** The latest --start-at accepted: further ahead is a typo, not a plan. */
const MAX_START_AT_AHEAD_MS = DAY_MS;
const ISO_WITH_ZONE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})$/;

function parseStartAt(raw: string, problems: string[]): number | undefined {
  const ms = ISO_WITH_ZONE.test(raw) ? Date.parse(raw) : NaN;
  if (!Number.isFinite(ms)) {
    problems.push(
      `--start-at must be an ISO-8601 instant with its zone, like 2026-12-05T12:00:00Z (every machine must read the same instant), got ${raw}`,
    );
    return undefined;
  }
  const ahead = ms - Date.now();
  if (ahead <= 0) problems.push(`--start-at ${raw} has passed (${formatDuration(-ahead)} ago): give a later instant`);
  else if (ahead > MAX_START_AT_AHEAD_MS)
    problems.push(`--start-at ${raw} is more than ${formatDuration(MAX_START_AT_AHEAD_MS)} ahead`);
  return ms;
}

/** A 31-bit seed from a run tag (FNV-1a): the same on every machine. */
function seedOf(tag: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < tag.length; i++) h = Math.imul(h ^ tag.charCodeAt(i), 0x01000193) >>> 0;
  return h & 0x7fffffff;
}

export function compileRunOptions(
  raw: Record<string, unknown>,
  given: (name: string) => boolean,
  env: NodeJS.ProcessEnv,
  isTty: boolean,
): { options: RunOptions; problems: string[] } {
  const problems: string[] = [];
  const dur = (name: string, flag: string, allowZero: boolean): number => {
    const ms = parseDurationMs(show(raw[name]));
    if (ms === undefined || (!allowZero && ms <= 0)) {
      problems.push(`--${flag} must be a ${allowZero ? '' : 'positive '}duration like 30s, got ${show(raw[name])}`);
      return 0;
    }
    const max = RUN_BOUNDS.durationsMs[name];
    if (max !== undefined && ms > max.ms) {
      problems.push(`--${flag} must be at most ${formatDuration(max.ms)} (${max.why}), got ${show(raw[name])}`);
      return 0;
    }
    return ms;
  };
  const int = (name: string, flag: string, min: number): number => {
    const v = Number(raw[name]);
    const max = RUN_BOUNDS.counts[name];
    if (!Number.isInteger(v) || v < min)
      problems.push(`--${flag} must be an integer >= ${min}, got ${show(raw[name])}`);
    else if (max !== undefined && v > max.max)
      problems.push(
        `--${flag} must be at most ${max.max.toLocaleString('en-US')} (${max.why}), got ${show(raw[name])}`,
      );
    return v;
  };

  const rate = parseRatePerSec(show(raw.rate));
  if (rate === undefined || !(rate > 0))
    problems.push(`--rate must be a positive number of iterations per second, got ${show(raw.rate)}`);
  else if (rate > RUN_BOUNDS.maxRatePerSec)
    problems.push(
      `--rate must be at most ${RUN_BOUNDS.maxRatePerSec.toLocaleString('en-US')}/s (more than one machine generates; split with --segment), got ${show(raw.rate)}`,
    );
  const startRate = parseRatePerSec(show(raw.startRate));
  if (startRate === undefined || startRate < 0) problems.push(`--start-rate must be >= 0, got ${show(raw.startRate)}`);
  const executor = show(raw.executor) as ExecutorName;
  let stages: Stage[] = [];
  if (raw.stages !== undefined) {
    const parsed = parseStages(show(raw.stages), parseDurationMs);
    if (typeof parsed === 'string') problems.push(`--stages: ${parsed}`);
    else stages = parsed;
    const stagesMs = stages.reduce((sum, st) => sum + st.durationMs, 0);
    if (stagesMs > MAX_RUN_MS)
      problems.push(`--stages must last at most ${formatDuration(MAX_RUN_MS)} in all, got ${formatDuration(stagesMs)}`);
    if (stages.some((st) => st.targetPerSec > RUN_BOUNDS.maxRatePerSec))
      problems.push(`--stages rates must be at most ${RUN_BOUNDS.maxRatePerSec.toLocaleString('en-US')}/s`);
  } else if (executor === 'ramping-arrival-rate') {
    problems.push('--executor ramping-arrival-rate needs --stages, e.g. --stages 30s:100,1m:500');
  }
  const iterations = raw.iterations === undefined ? undefined : int('iterations', 'iterations', 1);
  // With only --iterations given, the count bounds the run, not the default duration.
  const durationMs = iterations !== undefined && !given('duration') ? Infinity : dur('duration', 'duration', false);
  const intervalMs = dur('interval', 'interval', false);
  if (intervalMs > 0 && intervalMs < MIN_INTERVAL_MS)
    problems.push(
      `--interval must be at least ${MIN_INTERVAL_MS}ms (each interval is a message from every thread), got ${show(raw.interval)}`,
    );
  let warmupMs = dur('warmup', 'warmup', true);
  // Warm-up ends on an interval boundary so that no interval mixes warm-up and measurement.
  if (intervalMs > 0) warmupMs = Math.ceil(warmupMs / intervalMs) * intervalMs;
  const segMatch = /^(\d+)\/(\d+)$/.exec(show(raw.segment));
  const segment = segMatch ? { index: Number(segMatch[1]), count: Number(segMatch[2]) } : { index: 0, count: 1 };
  if (!segMatch || segment.count < 1 || segment.index >= segment.count || segment.count > RUN_BOUNDS.maxSegments) {
    problems.push(`--segment must be i/n with 0 <= i < n <= ${RUN_BOUNDS.maxSegments}, got ${show(raw.segment)}`);
  }
  const runTag = raw.runTag === undefined ? undefined : show(raw.runTag);
  if (segment.count > 1 && runTag === undefined)
    problems.push(
      `--segment ${show(raw.segment)} needs --run-tag, one tag shared by every segment of the run (merge checks the parts are one run's)`,
    );
  const startAtMs = raw.startAt === undefined ? undefined : parseStartAt(show(raw.startAt), problems);
  const targets = raw.target === undefined ? [] : parseTargets(show(raw.target), problems);
  const scenario = show(raw.scenario);
  const engine = compileEngineFlags(raw, env, problems, given);
  const output = raw.json ? 'json' : raw.quiet ? 'quiet' : isTty ? 'tty' : 'plain';
  // The segments of one run share its seed (scenario randomness is drawn per iteration from it): by default derived
  // from the run tag, so that the merged run is the whole run.
  const seed =
    raw.seed !== undefined
      ? int('seed', 'seed', 0)
      : segment.count > 1 && runTag !== undefined
        ? seedOf(runTag)
        : Math.floor(Math.random() * 2 ** 31);
  // Each segment's workers poll a task queue of their own, so a workflow is closed by the process that started it
  // and its end-to-end latency is measured on one clock.
  const baseQueue = raw.taskQueue === undefined ? `stampede-${scenario}` : show(raw.taskQueue);

  const options: RunOptions = {
    scenario,
    scenarioOptions: {},
    namespace: show(raw.namespace),
    taskQueue: segment.count > 1 ? `${baseQueue}-s${segment.index}` : baseQueue,
    executor,
    ratePerSec: rate ?? 0,
    startRatePerSec: startRate ?? 0,
    stages,
    vus: int('concurrency', 'concurrency', 1),
    durationMs,
    warmupMs,
    iterations,
    maxInFlight: int('maxInFlight', 'max-in-flight', 1),
    connections: raw.connections === undefined ? Number(raw.maxInFlight) : int('connections', 'connections', 1),
    drainTimeoutMs: dur('drainTimeout', 'drain-timeout', true),
    verifySample: int('verifySample', 'verify-sample', 0),
    seed,
    starters: int('starters', 'starters', 0),
    pollers: int('pollers', 'pollers', 0),
    workflowPollers: int('workflowPollers', 'workflow-pollers', 1),
    activityPollers: int('activityPollers', 'activity-pollers', 1),
    eager: raw.eager !== false,
    targets,
    routing: raw.routing === 'owner' ? 'owner' : 'spread',
    segment,
    runTag,
    startAtMs,
    out: raw.out === undefined ? undefined : show(raw.out),
    intervalMs,
    label: raw.label === undefined ? undefined : show(raw.label),
    output,
    report: raw.report !== false,
    engine,
    timeScaleGiven: given('timeScale'),
    retentionGiven: given('retention'),
  };
  if (options.starters === 0 && options.pollers === 0)
    problems.push('--starters 0 runs workers only and needs --pollers 1 or more');
  if (options.starters === 0 && !Number.isFinite(options.durationMs))
    problems.push('--starters 0 (workers only) needs --duration: how long the workers serve');
  problems.push(...pollCoverageProblems(targets.length, options));
  return { options, problems };
}
