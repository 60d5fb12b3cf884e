/** `stampede run`: the benchmark. */
import type { Argv, CommandModule } from 'yargs';
import { SCENARIOS } from '../scenarios/index.js';
import { UsageError } from '../bench/errors.js';
import {
  attributeProblems,
  checkSources,
  CONFIG_FLAG,
  readConfigFile,
  scenarioFlagDecls,
  withConfigFile,
} from './flags/config-file.js';
import {
  addFlags,
  checkChoices,
  fromEnv,
  isGiven,
  resolveRaw,
  unknownFlags,
  type FlagDecls,
} from './flags/flag-decls.js';
import { ENGINE_FLAGS } from './flags/engine-flags.js';
import type { RunOptions } from '../bench/run/run-options.js';
import { compileRunOptions, RUN_FLAGS } from './flags/run-flags.js';
import { show } from '../scenarios/sdk/show.js';
import { compileOptions } from '../scenarios/sdk/option-specs.js';
import type { AnyScenario } from '../scenarios/sdk/scenario.js';
import { Progress } from '../bench/run/progress.js';
import { startRun } from '../bench/run/run.js';
import { formatSummary } from './run-summary.js';

export const RUN_COMMAND_FLAGS = { ...RUN_FLAGS, ...ENGINE_FLAGS, config: CONFIG_FLAG };

/** The scenario's own options as flags (`run` and `capacity`; --help shows them in a group of their own). */
export function scenarioFlags(scenario: AnyScenario | undefined): FlagDecls {
  return scenario ? scenarioFlagDecls(scenario.options, scenario.name) : {};
}

function flagValue(argv: string[], flag: string): string | undefined {
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i] as string;
    if (a === `--${flag}`) return argv[i + 1];
    if (a.startsWith(`--${flag}=`)) return a.slice(flag.length + 3);
  }
  return undefined;
}

/**
 * The scenario (its options become flags and --help shows them) before yargs parses anything: --scenario, else
 * STAMPEDE_SCENARIO, else the config file's, else hello.
 */
export function scenarioFromArgv(argv: string[], env: NodeJS.ProcessEnv = process.env): string {
  const flag = flagValue(argv, 'scenario');
  if (flag !== undefined) return flag;
  const fromEnvironment = fromEnv(RUN_FLAGS.scenario, 'scenario', env);
  if (fromEnvironment !== undefined) return show(fromEnvironment);
  const config = flagValue(argv, 'config');
  // A config file that cannot be read is reported by the handler, with every other problem.
  const fromFile = config === undefined ? undefined : readConfigFile(config).file?.values.scenario;
  return fromFile === undefined || fromFile === null ? 'hello' : show(fromFile);
}

/**
 * Every `stampede run` option from defaults, the config file, the environment and the flags, compiled, with every
 * problem (each naming the flag, the environment variable or the file and key it came from).
 */
export function compileRunCommand(
  flags: Record<string, unknown>,
  env: NodeJS.ProcessEnv,
  isTty: boolean,
): { options: RunOptions; problems: string[] } {
  const { sources, file, problems: fileProblems } = withConfigFile(flags, env);
  const scenarioName = show(resolveRaw({ scenario: RUN_FLAGS.scenario }, sources).scenario);
  const scenario = SCENARIOS.get(scenarioName);
  const scenarioDecls = scenarioFlags(scenario);
  const decls: FlagDecls = { ...RUN_COMMAND_FLAGS, ...scenarioDecls };
  // Without a scenario its options are unknown: keys that may be scenario options are not reported then.
  const problems = checkSources(sources, file, decls, { ignoreUnknown: !scenario });
  const raw = resolveRaw(RUN_COMMAND_FLAGS, sources);
  const compiled = compileRunOptions(raw, (n) => isGiven(decls, n, sources), env, isTty);
  const { options } = compiled;
  problems.push(...checkChoices(RUN_COMMAND_FLAGS, raw), ...compiled.problems);
  const extra = (flags._ as unknown[] | undefined)?.slice(1) ?? [];
  if (extra.length > 0) problems.unshift(`unexpected argument(s): ${extra.join(' ')}`);
  if (!scenario)
    problems.unshift(`--scenario: unknown scenario ${scenarioName} (available: ${[...SCENARIOS.keys()].join(', ')})`);
  else {
    problems.unshift(...unknownFlags(flags, Object.keys(decls)));
    options.scenarioOptions = resolveRaw(scenarioDecls, sources);
    const values = compileOptions(scenario.options, options.scenarioOptions, `scenario ${scenario.name}`);
    problems.push(...values.problems);
    if (values.problems.length === 0) problems.push(...(scenario.check?.(values.values) ?? []));
  }
  // A file that cannot be read or parsed explains everything else that looks wrong.
  if (fileProblems.length > 0) return { options, problems: fileProblems };
  return { options, problems: attributeProblems(problems, decls, sources) };
}

export function runCommand(argv: string[]): CommandModule {
  const scenarioName = scenarioFromArgv(argv);
  const scenario = SCENARIOS.get(scenarioName);
  return {
    command: 'run',
    describe: 'run a benchmark (embedded engine by default) and write result.json, intervals.hlog and report.html',
    builder: (y: Argv) => {
      const b = addFlags(addFlags(y, RUN_COMMAND_FLAGS), scenarioFlags(scenario));
      // Unknown flags are reported by the handler together with every other problem (see unknownFlags).
      return b
        .strict(false)
        .example('$0 run --scenario hello --rate 200 --duration 30s', 'hello workflows at 200/s on the embedded engine')
        .example(
          '$0 run --scenario hello --target 127.0.0.1:7233',
          'drive an engine or a Temporal frontend you started',
        )
        .example('$0 run --config examples/subscription.yaml --rate 20', 'options from a file, the rate from a flag')
        .epilogue(scenario ? wordWrap(`${scenario.name}: ${scenario.stresses}`, 100) : '');
    },
    handler: async (args) => {
      const { options, problems } = compileRunCommand(args, process.env, Boolean(process.stdout.isTTY));
      if (problems.length > 0) throw UsageError.of(problems);
      const progress = new Progress(options.output, options.warmupMs + options.durationMs);
      const handle = startRun(options, progress);
      let interrupts = 0;
      const onSignal = (signal: NodeJS.Signals): void => {
        interrupts += 1;
        if (interrupts > 1) {
          process.stderr.write(`\n${signal} again: exiting without a result\n`);
          process.exit(130);
        }
        handle.stop(signal);
      };
      process.on('SIGINT', onSignal);
      process.on('SIGTERM', onSignal);
      try {
        const { result, outDir } = await handle.result;
        if (options.output === 'json')
          process.stdout.write(
            `${JSON.stringify({ type: 'summary', outDir, verdict: result.verdict, verification: result.verification })}\n`,
          );
        else process.stdout.write(`${formatSummary(result, outDir)}\n`);
        process.exitCode = result.verdict === 'pass' ? 0 : result.verdict === 'partial' ? 130 : 1;
      } finally {
        process.off('SIGINT', onSignal);
        process.off('SIGTERM', onSignal);
      }
    },
  };
}

/** Wraps text at word boundaries (yargs breaks long epilogues mid-word). */
function wordWrap(text: string, width: number): string {
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(/\s+/)) {
    if (line && line.length + 1 + word.length > width) {
      lines.push(line);
      line = word;
    } else line = line ? `${line} ${word}` : word;
  }
  if (line) lines.push(line);
  return lines.join('\n');
}
