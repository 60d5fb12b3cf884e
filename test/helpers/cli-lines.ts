/**
 * stampede command lines written in deployment files (docker-compose.yml, deploy/kubernetes) checked against the
 * real CLI: `flagProblems` against what each command declares to yargs (read from the command modules main.ts
 * registers, so a new command or flag needs no change here), and `startAs` through `main` itself, with the engine
 * and run entry points mocked by cli-capture.ts so that the options the container would start with can be asserted.
 */
import yargs, { type Argv, type CommandModule, type Options, type PositionalOptions } from 'yargs';
import { vi } from 'vitest';
import { main } from '../../cli/main.js';
import { engineCommand, ENGINE_COMMAND_FLAGS } from '../../cli/engine-command.js';
import { runCommand, RUN_COMMAND_FLAGS } from '../../cli/run-command.js';
import { schemaCommand, SCHEMA_FLAGS } from '../../cli/schema-command.js';
import { mergeCommand } from '../../cli/merge-command.js';
import { gateCommand } from '../../cli/gate-command.js';
import { reportCommand } from '../../cli/report-command.js';
import { verifyCommand } from '../../cli/verify-command.js';
import { capacityCommand } from '../../cli/capacity-command.js';
import { kebab, type FlagDecls } from '../../cli/flags/flag-decls.js';
import { SCENARIOS } from '../../scenarios/index.js';
import { clearCaptured } from './cli-capture.js';

/** The commands of cli/main.ts by name; run and capacity add the scenario's options named in the argv. */
const COMMANDS: Record<string, (argv: string[]) => CommandModule> = {
  run: (argv) => runCommand(argv),
  engine: () => engineCommand,
  schema: () => schemaCommand,
  merge: () => mergeCommand,
  gate: () => gateCommand,
  report: () => reportCommand,
  verify: () => verifyCommand,
  capacity: (argv) => capacityCommand(argv),
};

/** Choices are checked when options are compiled, not by yargs: they come from the declarations. */
const CHOICES: Record<string, FlagDecls> = {
  engine: ENGINE_COMMAND_FLAGS,
  schema: SCHEMA_FLAGS,
  run: RUN_COMMAND_FLAGS,
};

interface KnownFlag {
  type: string;
  choices?: readonly string[];
}

interface Declared {
  flags: Map<string, KnownFlag>;
  positionals: { name: string; variadic: boolean; required: boolean; choices?: readonly string[] }[];
}

/** What a command's builder declares, recorded by handing it a yargs whose option/positional calls are watched. */
function declared(command: string, argv: string[]): Declared | undefined {
  const make = COMMANDS[command];
  if (!make) return undefined;
  const module = make(argv);
  const options = new Map<string, Options>();
  const positionalOptions = new Map<string, PositionalOptions>();
  const real = yargs([]);
  const watched: Argv = new Proxy(real, {
    get(target, prop, receiver) {
      const value: unknown = Reflect.get(target, prop, receiver);
      if (typeof value !== 'function') return value;
      return (...args: unknown[]) => {
        const [key, opts] = args;
        if ((prop === 'option' || prop === 'options') && typeof key === 'string') options.set(key, opts ?? {});
        if (prop === 'positional' && typeof key === 'string') positionalOptions.set(key, opts ?? {});
        Reflect.apply(value as (...a: unknown[]) => unknown, target, args);
        return watched;
      };
    },
  });
  const builder = module.builder;
  if (typeof builder === 'function') builder(watched);
  else if (builder) for (const [key, opts] of Object.entries(builder)) options.set(key, opts);

  const decls = CHOICES[command] ?? {};
  const flags = new Map<string, KnownFlag>();
  for (const [key, o] of Object.entries(Object.fromEntries(options))) {
    const decl = Object.entries(decls).find(([name]) => kebab(name) === key)?.[1];
    flags.set(key, { type: o.type ?? 'string', ...(decl?.choices ? { choices: decl.choices } : {}) });
  }
  if (command === 'run' || command === 'capacity') {
    // Scenario options reach yargs untyped (their specs parse them): type them from the spec.
    const i = argv.indexOf('--scenario');
    const scenario = SCENARIOS.get(i >= 0 ? (argv[i + 1] ?? '') : 'hello');
    for (const [option, spec] of Object.entries(scenario?.options ?? {})) {
      flags.set(kebab(option), {
        type:
          spec.type === 'boolean'
            ? 'boolean'
            : ['integer', 'number', 'ratio'].includes(spec.type)
              ? 'number'
              : 'string',
        ...(spec.type === 'string' && spec.choices ? { choices: spec.choices } : {}),
      });
    }
  }
  const source = typeof module.command === 'string' ? module.command : (module.command?.[0] ?? '');
  const positionals = [...source.matchAll(/([<[])(\w+)(\.\.)?[>\]]/g)].map((m) => {
    const name = m[2] as string;
    const choices = positionalOptions.get(name)?.choices as readonly string[] | undefined;
    return { name, variadic: m[3] !== undefined, required: m[1] === '<', ...(choices ? { choices } : {}) };
  });
  for (const p of positionals) flags.delete(p.name);
  return { flags, positionals };
}

/**
 * Problems with a stampede command line: an unknown command or flag, a missing value, a bad choice or number, a
 * missing or extra positional argument. An empty list means every command and flag exists as written.
 */
export function flagProblems(argv: readonly string[]): string[] {
  const [command = '', ...rest] = argv;
  const d = declared(command, [...argv]);
  if (!d) return [`${command} is not a stampede command (${Object.keys(COMMANDS).join(', ')})`];
  const problems: string[] = [];
  if (command === 'run') {
    const i = rest.indexOf('--scenario');
    const name = i >= 0 ? (rest[i + 1] ?? '') : 'hello';
    if (!SCENARIOS.has(name))
      problems.push(`--scenario ${name} is not a scenario (${[...SCENARIOS.keys()].join(', ')})`);
  }
  const positionals: string[] = [];
  for (let i = 0; i < rest.length; i++) {
    const token = rest[i] as string;
    if (!token.startsWith('--')) {
      positionals.push(token);
      continue;
    }
    const [flag = '', inline] = token.slice(2).split(/=(.*)/s);
    let decl = d.flags.get(flag);
    if (!decl && flag.startsWith('no-') && d.flags.get(flag.slice(3))?.type === 'boolean') decl = { type: 'boolean' };
    if (!decl) {
      problems.push(`stampede ${command} has no flag --${flag}`);
      if (inline === undefined && rest[i + 1] !== undefined && !rest[i + 1]?.startsWith('--')) i += 1;
      continue;
    }
    let value = inline;
    if (value === undefined && decl.type !== 'boolean') {
      value = rest[i + 1];
      i += 1;
      if (value === undefined || value.startsWith('--')) {
        problems.push(`--${flag} needs a value`);
        continue;
      }
    }
    if (value === undefined) continue;
    if (decl.choices && !decl.choices.includes(value))
      problems.push(`--${flag} must be one of ${decl.choices.join(', ')}, got ${value}`);
    if (decl.type === 'number' && !Number.isFinite(Number(value)))
      problems.push(`--${flag} takes a number, got ${value}`);
    if (decl.type === 'boolean' && !['true', 'false'].includes(value))
      problems.push(`--${flag} takes true or false, got ${value}`);
  }
  let next = 0;
  for (const p of d.positionals) {
    const taken = p.variadic ? positionals.slice(next) : positionals.slice(next, next + 1);
    next += taken.length;
    if (p.required && taken.length === 0) problems.push(`stampede ${command} needs <${p.name}>`);
    for (const t of taken)
      if (p.choices && !p.choices.includes(t))
        problems.push(`stampede ${command} <${p.name}> must be one of ${p.choices.join(', ')}, got ${t}`);
  }
  if (positionals.length > next)
    problems.push(`stampede ${command}: unexpected argument(s) ${positionals.slice(next).join(' ')}`);
  return problems;
}

/** Splits a command string into shell words (quotes removed; no expansion). */
export function shellWords(s: string): string[] {
  const words: string[] = [];
  const re = /"((?:[^"\\]|\\.)*)"|'([^']*)'|(\S+)/g;
  for (let m = re.exec(s); m; m = re.exec(s)) words.push(m[1] ?? m[2] ?? m[3] ?? '');
  return words;
}

/**
 * Runs a command line through the real CLI. Commands that start something (engine, schema, run) get as far as
 * starting when the test file mocks their entry points with cli-capture.ts; a usage error ends earlier, with exit 2.
 */
export async function startAs(argv: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  clearCaptured();
  const stdout: string[] = [];
  const stderr: string[] = [];
  const out = vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    stdout.push(String(chunk));
    return true;
  });
  const err = vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => {
    stderr.push(String(chunk));
    return true;
  });
  try {
    return { code: await main(argv), stdout: stdout.join(''), stderr: stderr.join('') };
  } finally {
    out.mockRestore();
    err.mockRestore();
  }
}
