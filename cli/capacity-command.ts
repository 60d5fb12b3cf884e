/** `stampede capacity`: the highest arrival rate that meets the SLOs, where the bottleneck is, and a sizing. */
import type { Argv, CommandModule } from 'yargs';
import { SCENARIOS } from '../scenarios/index.js';
import { startCapacity } from '../bench/capacity/capacity.js';
import type { CapacityOptions } from '../bench/capacity/capacity-options.js';
import type { RunOptions } from '../bench/run/run-options.js';
import { CAPACITY_FLAGS, compileCapacityOptions, NOT_FOR_CAPACITY } from './flags/capacity-flags.js';
import { UsageError } from '../bench/errors.js';
import {
  attributeProblems,
  checkSources,
  CONFIG_FLAG,
  keyWhere,
  withConfigFile,
  type ConfigFile,
} from './flags/config-file.js';
import { ENGINE_FLAGS } from './flags/engine-flags.js';
import { show } from '../scenarios/sdk/show.js';
import { addFlags, checkChoices, isGiven, resolveRaw, unknownFlags, type FlagDecls } from './flags/flag-decls.js';
import { compileRunOptions, RUN_FLAGS } from './flags/run-flags.js';
import { compileOptions, kebab } from '../scenarios/sdk/option-specs.js';
import { scenarioFlags, scenarioFromArgv } from './run-command.js';

const RUN_AND_ENGINE: FlagDecls = { ...RUN_FLAGS, ...ENGINE_FLAGS };

/** The run flags a capacity search takes (workload, threads, target, engine, output). */
const STEP_FLAGS: FlagDecls = Object.fromEntries(
  Object.entries(RUN_AND_ENGINE).filter(([name]) => !(name in NOT_FOR_CAPACITY)),
);

/**
 * Takes out of a config file what `checkSources` cannot judge: `slo` (one SLO or a list, the file's form of the
 * repeatable flag) and the run options a search sets itself (refused, as the flags are). Returns the file's SLOs.
 */
function takeCapacityKeys(file: ConfigFile, problems: string[]): string[] {
  const slos: string[] = [];
  for (const key of ['slo', 'slos']) {
    if (!(key in file.values)) continue;
    const v = file.values[key];
    delete file.values[key];
    const list = Array.isArray(v) ? v : [v];
    if (list.length > 0 && list.every((x) => typeof x === 'string' && x.trim() !== ''))
      slos.push(...(list as string[]));
    else
      problems.push(
        `${keyWhere(file.path, key, file.lines)} must be an SLO such as 'p99(workflow)<2s', or a list of them, got ${show(v)}`,
      );
  }
  for (const [name, why] of Object.entries(NOT_FOR_CAPACITY)) {
    for (const key of new Set([name, kebab(name)])) {
      if (!(key in file.values)) continue;
      delete file.values[key];
      problems.push(`${keyWhere(file.path, key, file.lines)} does not apply to capacity: ${why}`);
    }
  }
  return slos;
}

const SLO_FLAG: FlagDecls = {
  slo: {
    type: 'string',
    repeatable: true,
    noEnv: true,
    describe:
      "an SLO every step must meet, repeatable, in the language of `gate --threshold`: 'p99(workflow)<2s', 'p99(start)<100ms', 'errors<0.1%'",
    group: 'Capacity search:',
  },
};

/**
 * The run flags as a capacity search shows them: warm-up in the search's group, and the defaults it sets itself
 * (steps are many and short; when not given, the handler replaces the run's defaults with these).
 */
const CAPACITY_RUN_FLAGS: FlagDecls = {
  warmup: {
    ...RUN_FLAGS.warmup,
    describe: 'warm-up before each step is measured (excluded from its results)',
    group: 'Capacity search:',
  },
  ...Object.fromEntries(Object.entries(STEP_FLAGS).filter(([n]) => n !== 'warmup')),
  drainTimeout: {
    ...RUN_FLAGS.drainTimeout,
    describe: 'after each step, how long to wait for its workflows to close (not closed: the step fails)',
    shownDefault: 'max(10s, 2 × the longest latency SLO)',
  },
  verifySample: {
    ...RUN_FLAGS.verifySample,
    describe: "workflows of each step read back in full to check histories and the scenario's invariants",
    shownDefault: '20',
  },
  out: { ...RUN_FLAGS.out, describe: 'output directory (default: results/<time>-capacity-<scenario>)' },
  label: {
    ...RUN_FLAGS.label,
    describe: 'label of the search in reports (default: capacity <scenario> <store> <shards> shards)',
  },
};

/**
 * Every capacity option from defaults, the config file, the environment and the flags: the search's own and the run
 * options of its steps (each step is a run). Every problem, each naming where its value came from, is one UsageError.
 */
export function compileCapacityCommand(
  flags: Record<string, unknown>,
  env: NodeJS.ProcessEnv,
  isTty: boolean,
  scenarioName: string,
): { options: RunOptions; capacity: CapacityOptions } {
  const scenario = SCENARIOS.get(scenarioName);
  const { sources, file, problems: fileProblems } = withConfigFile(flags, env);
  // A file that cannot be read or parsed explains everything else that looks wrong.
  if (fileProblems.length > 0) throw UsageError.of(fileProblems);
  const problems: string[] = [];
  const fileSlos = file ? takeCapacityKeys(file, problems) : [];
  const scenarioDecls = scenarioFlags(scenario);
  const decls: FlagDecls = { ...STEP_FLAGS, ...CAPACITY_FLAGS, ...scenarioDecls };
  problems.push(...checkSources(sources, file, decls, { ignoreUnknown: !scenario }));
  const extra = (flags._ as unknown[] | undefined)?.slice(1) ?? [];
  if (extra.length > 0) problems.push(`unexpected argument(s): ${extra.join(' ')}`);
  for (const [name, why] of Object.entries(NOT_FOR_CAPACITY)) {
    if (flags[name] !== undefined || flags[kebab(name)] !== undefined)
      problems.push(`--${kebab(name)} does not apply to capacity: ${why}`);
  }
  const known = [
    ...Object.keys(STEP_FLAGS),
    ...Object.keys(CAPACITY_FLAGS),
    'slo',
    'config',
    ...Object.keys(NOT_FOR_CAPACITY),
  ];
  if (scenario) known.push(...Object.keys(scenario.options));
  problems.push(...unknownFlags(flags, known));

  const capRaw = resolveRaw(CAPACITY_FLAGS, sources);
  // --slo flags replace the file's list (flags override the file, as for every option).
  const sloFlags = ((flags.slo as unknown[] | undefined) ?? []).map(String);
  const cap = compileCapacityOptions(capRaw, sloFlags.length > 0 ? sloFlags : fileSlos);
  problems.push(...cap.problems);

  // Every step is a run: compile the run's options, with the search's rate and length in place of the flags.
  const raw = resolveRaw(STEP_FLAGS, sources);
  for (const name of Object.keys(NOT_FOR_CAPACITY)) {
    const d = RUN_AND_ENGINE[name]?.default;
    if (d !== undefined) raw[name] = d;
  }
  Object.assign(raw, {
    executor: 'constant-arrival-rate',
    rate: String(cap.options.fromPerSec),
    duration: `${cap.options.stepDurationMs}ms`,
    segment: '0/1',
  });
  const given = (n: string): boolean => isGiven(RUN_AND_ENGINE, n, sources);
  const compiled = compileRunOptions(raw, (n) => n === 'duration' || given(n), env, isTty);
  problems.push(...checkChoices(STEP_FLAGS, raw), ...compiled.problems);
  const options = compiled.options;
  options.iterations = undefined;
  options.runTag = undefined;
  if (!given('verifySample')) options.verifySample = 20;
  if (options.starters === 0) problems.push('--starters 0 starts nothing: a capacity search needs starter threads');
  if (!given('drainTimeout')) {
    const longest = Math.max(0, ...cap.options.slos.filter((t) => t.unit === 'us').map((t) => t.value / 1000));
    options.drainTimeoutMs = Math.max(10_000, 2 * longest);
  }

  if (!scenario) problems.unshift(`unknown scenario ${scenarioName} (available: ${[...SCENARIOS.keys()].join(', ')})`);
  else {
    options.scenarioOptions = resolveRaw(scenarioDecls, sources);
    const values = compileOptions(scenario.options, options.scenarioOptions, `scenario ${scenario.name}`);
    problems.push(...values.problems);
    if (values.problems.length === 0) problems.push(...(scenario.check?.(values.values) ?? []));
  }
  if (problems.length > 0) throw UsageError.of(attributeProblems(problems, decls, sources));
  return { options, capacity: cap.options };
}

export function capacityCommand(argv: string[]): CommandModule {
  const scenarioName = scenarioFromArgv(argv);
  const scenario = SCENARIOS.get(scenarioName);
  return {
    command: 'capacity',
    describe:
      'find the highest arrival rate that meets SLOs, the bottleneck, and the shards and nodes a target rate needs',
    builder: (y: Argv) => {
      const b = addFlags(y, { ...CAPACITY_FLAGS, config: CONFIG_FLAG, ...SLO_FLAG, ...CAPACITY_RUN_FLAGS });
      return addFlags(b, scenarioFlags(scenario))
        .strict(false)
        .example(
          "$0 capacity --scenario hello --slo 'p99(workflow)<2s' --slo 'errors<0.1%'",
          'the highest rate of hello workflows the embedded engine sustains',
        )
        .example(
          "$0 capacity --store cassandra --contact-points 127.0.0.1:9042 --shards 16 --slo 'p99(workflow)<1s' --target-rate 5000 --budget 30m",
          'a Cassandra cluster, with the shards and nodes 5000/s would need',
        )
        .epilogue(
          [
            'Each step is a `stampede run` at a constant arrival rate (warm-up excluded), judged against every',
            '--slo and for stability: the rate was achieved, no iterations dropped, schedule lag bounded,',
            'generator threads not saturated, open workflows not growing, every workflow closed.',
            'See docs/capacity.md.',
          ].join('\n'),
        );
    },
    handler: async (args) => {
      const { options, capacity } = compileCapacityCommand(
        args,
        process.env,
        Boolean(process.stdout.isTTY),
        scenarioName,
      );
      const handle = startCapacity(options, capacity, (line) => process.stdout.write(`${line}\n`));
      let interrupts = 0;
      let signalled = false;
      const onSignal = (signal: NodeJS.Signals): void => {
        interrupts += 1;
        signalled = true;
        if (interrupts > 1) {
          process.stderr.write(`\n${signal} again: exiting without a result\n`);
          process.exit(130);
        }
        process.stderr.write(
          `\n${signal}: stopping the search after cutting the current step short; the result keeps every completed step\n`,
        );
        handle.stop(signal);
      };
      process.on('SIGINT', onSignal);
      process.on('SIGTERM', onSignal);
      try {
        let outcome: Awaited<typeof handle.result>;
        try {
          outcome = await handle.result;
        } catch (err) {
          if (!signalled) throw err;
          // Interrupted before a step finished: nothing to keep.
          process.stderr.write(`stampede: ${err instanceof Error ? err.message : String(err)}\n`);
          process.exitCode = 130;
          return;
        }
        const { capacity, error } = outcome;
        if (error !== undefined) {
          process.stderr.write(
            `stampede: capacity stopped: ${capacity.stopReason}\n${error instanceof Error && !(error instanceof UsageError) ? `${error.stack ?? ''}\n` : ''}`,
          );
          process.exitCode = 1;
        } else if (signalled) process.exitCode = 130;
        else if (capacity.status === 'complete' || capacity.status === 'at-limit') process.exitCode = 0;
        // A budget stop is the bound the user asked for: success if a rate passed (the result says partial).
        else if (capacity.status === 'budget') process.exitCode = capacity.acceptedRatePerSec > 0 ? 0 : 1;
        else process.exitCode = 1;
      } finally {
        process.off('SIGINT', onSignal);
        process.off('SIGTERM', onSignal);
      }
    },
  };
}
