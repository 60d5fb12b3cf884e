/** `stampede gate`: pass or fail a result on thresholds and against a baseline; exit 0 pass, 99 fail, 2 usage. */
import { writeFileSync } from 'node:fs';
import type { Argv, CommandModule } from 'yargs';
import { UsageError } from '../bench/errors.js';
import { bencherBmf, formatGate, githubBenchmark, junitXml, runGate } from '../reports/gate/gate.js';
import { parseThreshold, type Threshold } from '../reports/gate/threshold.js';
import { readResult } from '../result/read.js';
import { ensureWritableFileDir } from '../result/out-dir.js';
import { parseDurationMs } from '../result/units.js';
import { show } from '../scenarios/sdk/show.js';
import { addFlags, resolveRaw, type FlagDecls } from './flags/flag-decls.js';

const GATE_FLAGS: FlagDecls = {
  current: { type: 'string', describe: 'the result to judge (result.json or its folder)', group: 'Inputs:' },
  baseline: { type: 'string', describe: 'a result to compare with (noise-aware)', group: 'Inputs:' },
  threshold: {
    type: 'string',
    repeatable: true,
    describe:
      "a threshold, repeatable: 'p99(start)<50ms', 'errors<0.1%', 'throughput>=0.95*target'; for a capacity result 'accepted_rate>=200'",
    group: 'Checks:',
  },
  minEffect: {
    type: 'string',
    default: '10%',
    describe: 'smallest change against the baseline that counts as a regression',
    group: 'Checks:',
  },
  minAbsEffect: {
    type: 'string',
    default: '1ms',
    describe: 'smallest latency change against the baseline that counts as a regression (0 to turn off)',
    group: 'Checks:',
  },
  alpha: {
    type: 'number',
    default: 0.01,
    describe: "significance level of the one-sided Welch's t-test on per-interval samples",
    group: 'Checks:',
  },
  junit: { type: 'string', describe: 'write JUnit XML here', group: 'Outputs:' },
  json: { type: 'string', describe: 'write the gate result as JSON here', group: 'Outputs:' },
  bmf: { type: 'string', describe: "write Bencher's metric format (BMF) JSON here", group: 'Outputs:' },
  githubBenchmark: {
    type: 'string',
    describe:
      'write github-action-benchmark custom JSON here (latencies, customSmallerIsBetter; throughput goes to <file>.bigger.json)',
    group: 'Outputs:',
  },
};

function share(flag: string, raw: unknown, problems: string[]): number {
  const s = show(raw).trim();
  const n = s.endsWith('%') ? Number(s.slice(0, -1)) / 100 : Number(s);
  if (!Number.isFinite(n) || n < 0 || n >= 1) {
    problems.push(`--${flag} must be a share in [0, 1) such as 0.1 or 10%, got ${s}`);
    return 0;
  }
  return n;
}

function write(path: unknown, text: string): void {
  if (typeof path !== 'string') return;
  writeFileSync(ensureWritableFileDir(path, 'gate output'), text);
}

/** A gate that failed: its message only, exit 99 (k6's convention for failed thresholds). */
class ThresholdError extends Error {
  readonly code = 'THRESHOLD';
  readonly exitCode = 99;
  constructor(message: string) {
    super(message);
    this.name = 'ThresholdError';
  }
}

export const gateCommand: CommandModule = {
  command: 'gate',
  describe: 'check a result against thresholds and a baseline (exit 0 pass, 99 fail, 2 usage)',
  builder: (y: Argv) =>
    addFlags(y, GATE_FLAGS)
      .example("$0 gate --current results/now --threshold 'p99(start)<50ms' --threshold 'errors<0.1%'", 'thresholds')
      .example('$0 gate --current results/now --baseline results/main --junit gate.xml', 'against a baseline'),
  handler: (flags) => {
    // Flags only: a gate's inputs are files named on its command line, never the environment.
    const args = resolveRaw(GATE_FLAGS, { flags, env: {}, file: {} });
    const problems: string[] = [];
    if (typeof args.current !== 'string') problems.push('--current is required (the result to judge)');
    const thresholds: Threshold[] = [];
    const sources = (args.threshold as string[] | undefined) ?? [];
    for (const src of sources) {
      const t = parseThreshold(src);
      if (typeof t === 'string') problems.push(t);
      else thresholds.push(t);
    }
    if (sources.length === 0 && args.baseline === undefined)
      problems.push('nothing to check: give --threshold and/or --baseline');
    const minEffect = share('min-effect', args.minEffect, problems);
    const minAbsMs = parseDurationMs(show(args.minAbsEffect));
    if (minAbsMs === undefined || minAbsMs < 0)
      problems.push(`--min-abs-effect must be a duration such as 1ms or 500us, got ${show(args.minAbsEffect)}`);
    const alpha = Number(args.alpha);
    if (!(alpha > 0 && alpha < 0.5)) problems.push(`--alpha must be in (0, 0.5), got ${show(args.alpha)}`);
    if (problems.length > 0) throw UsageError.of(problems);
    const current = readResult(args.current as string);
    const baseline = typeof args.baseline === 'string' ? readResult(args.baseline) : undefined;
    if (baseline && baseline.scenario.name !== current.scenario.name)
      throw new UsageError(
        `the baseline ran scenario ${baseline.scenario.name} and the current result ${current.scenario.name}: compare like with like`,
      );
    const g = runGate(current, thresholds, baseline, { minEffect, alpha, minAbsUs: (minAbsMs ?? 0) * 1000 });
    write(args.junit, junitXml(g));
    write(args.json, `${JSON.stringify(g, null, 2)}\n`);
    write(args.bmf, `${JSON.stringify(bencherBmf(current), null, 2)}\n`);
    if (typeof args.githubBenchmark === 'string') {
      const gab = githubBenchmark(current);
      write(args.githubBenchmark, `${JSON.stringify(gab.smaller, null, 2)}\n`);
      write(args.githubBenchmark.replace(/(\.json)?$/, '.bigger.json'), `${JSON.stringify(gab.bigger, null, 2)}\n`);
    }
    process.stdout.write(`${formatGate(g)}\n`);
    if (!g.pass) throw new ThresholdError('gate failed');
  },
};
