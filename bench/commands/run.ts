/** `stampede run`: the benchmark. */
import type { Argv, CommandModule } from 'yargs';
import { SCENARIOS } from '../../scenarios/index.js';
import { UsageError } from '../errors.js';
import { addFlags, checkChoices, isGiven, resolveRaw, unknownFlags, type RawSources } from '../options/flags.js';
import { ENGINE_FLAGS } from '../options/engine-flags.js';
import { compileRunOptions, RUN_FLAGS } from '../options/run-flags.js';
import { camel, compileOptions, kebab } from '../scenario-api/options.js';
import { Progress } from '../run/progress.js';
import { startRun } from '../run/run.js';
import { formatSummary } from '../run/summary.js';

export const RUN_COMMAND_FLAGS = { ...RUN_FLAGS, ...ENGINE_FLAGS };

/** The scenario named on the command line (its options become flags), before yargs parses anything. */
export function scenarioFromArgv(argv: string[]): string {
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i] as string;
    if (a === '--scenario') return argv[i + 1] ?? 'hello';
    if (a.startsWith('--scenario=')) return a.slice('--scenario='.length);
  }
  return process.env.STAMPEDE_SCENARIO ?? 'hello';
}

export function runCommand(argv: string[]): CommandModule {
  const scenarioName = scenarioFromArgv(argv);
  const scenario = SCENARIOS.get(scenarioName);
  return {
    command: 'run',
    describe: 'run a benchmark (embedded engine by default) and write result.json, intervals.hlog and report.html',
    builder: (y: Argv) => {
      let b = addFlags(y, RUN_COMMAND_FLAGS);
      if (scenario) {
        for (const [name, spec] of Object.entries(scenario.options)) {
          b = b.option(kebab(name), {
            // Values are parsed and checked by the scenario's own declaration (all problems reported together).
            ...(spec.type === 'boolean' ? { type: 'boolean' as const } : {}),
            describe: `${spec.describe} [${spec.type}]`,
            defaultDescription: String(spec.default),
            group: `Scenario ${scenario.name} options:`,
          });
        }
      }
      // Unknown flags are reported by the handler together with every other problem (see unknownFlags).
      return b
        .strict(false)
        .example('$0 run --scenario hello --rate 200 --duration 30s', 'hello workflows at 200/s on the embedded engine')
        .example(
          '$0 run --scenario hello --target 127.0.0.1:7233',
          'drive an engine or a Temporal frontend you started',
        )
        .epilogue(scenario ? wordWrap(`${scenario.name}: ${scenario.stresses}`, 100) : '');
    },
    handler: async (args) => {
      const flags = args as Record<string, unknown>;
      const sources: RawSources = { flags, env: process.env, file: {} };
      const raw = resolveRaw(RUN_COMMAND_FLAGS, sources);
      const { options, problems } = compileRunOptions(
        raw,
        (n) => isGiven(RUN_COMMAND_FLAGS, n, sources),
        process.env,
        Boolean(process.stdout.isTTY),
      );
      problems.unshift(...checkChoices(RUN_COMMAND_FLAGS, raw));
      const extra = (flags._ as unknown[] | undefined)?.slice(1) ?? [];
      if (extra.length > 0) problems.unshift(`unexpected argument(s): ${extra.join(' ')}`);
      if (!scenario)
        problems.unshift(`unknown scenario ${scenarioName} (available: ${[...SCENARIOS.keys()].join(', ')})`);
      else {
        problems.unshift(...unknownFlags(flags, [...Object.keys(RUN_COMMAND_FLAGS), ...Object.keys(scenario.options)]));
        for (const name of Object.keys(scenario.options)) {
          const v = flags[name] ?? flags[kebab(name)] ?? flags[camel(kebab(name))];
          if (v !== undefined) options.scenarioOptions[name] = v;
        }
        const compiled = compileOptions(scenario.options, options.scenarioOptions, `scenario ${scenario.name}`);
        problems.push(...compiled.problems);
        if (compiled.problems.length === 0) problems.push(...(scenario.check?.(compiled.values) ?? []));
      }
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
