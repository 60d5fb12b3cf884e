/**
 * docs/cli.md from the CLI's own declarations, so the reference cannot drift: the commands are whatever cli/main.ts
 * registers (found by running its `main()` with yargs' command registration observed and parsing switched off),
 * each command's options whatever its builder declares (run against a recorder), and the scenario options come from
 * the scenario registry. `npm run docs:cli` (this file run as a script) writes it; test/cli-docs.test.ts fails when
 * it is stale.
 */
import { realpathSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import yargs, { type Argv, type CommandModule, type Options, type PositionalOptions } from 'yargs';
import { SCENARIOS } from '../scenarios/index.js';
import { main } from './main.js';
import { kebab, type OptionSpec } from '../scenarios/sdk/option-specs.js';
import { envName } from './flags/flag-decls.js';

interface RecordedOption extends Options {
  key: string;
  positional: boolean;
}

interface Recorded {
  options: Map<string, RecordedOption>;
  examples: [string, string][];
  subcommands: CommandModule[];
}

type Builder = CommandModule['builder'];

/** What a builder declares, recorded by a stand-in for yargs that answers every other call with itself. */
function record(builder: Builder): Recorded {
  const r: Recorded = { options: new Map(), examples: [], subcommands: [] };
  const option = (key: string, o: Options | PositionalOptions, positional: boolean): void => {
    const prev = r.options.get(key);
    r.options.set(key, { ...prev, ...(o as Options), key, positional: positional || (prev?.positional ?? false) });
  };
  const recorder: unknown = new Proxy(
    {},
    {
      get(_target, prop) {
        // Not a promise: `await builder(y)` must not call this.
        if (prop === 'then' || typeof prop === 'symbol') return undefined;
        return (...args: unknown[]): unknown => {
          const [a, b] = args;
          switch (prop) {
            case 'option':
            case 'options':
              if (typeof a === 'string') option(a, b ?? {}, false);
              else if (a && typeof a === 'object')
                for (const [k, o] of Object.entries(a as Record<string, Options>)) option(k, o, false);
              break;
            case 'positional':
              option(a as string, b ?? {}, true);
              break;
            case 'example':
              if (Array.isArray(a)) for (const [c, d] of a as [string, string][]) r.examples.push([c, d ?? '']);
              else r.examples.push([a as string, typeof b === 'string' ? b : '']);
              break;
            case 'group':
              for (const k of Array.isArray(a) ? (a as string[]) : [a as string])
                option(k, { group: b as string }, r.options.get(k)?.positional ?? false);
              break;
            case 'alias':
              if (typeof a === 'string') option(a, { alias: b as string }, r.options.get(a)?.positional ?? false);
              break;
            case 'demandOption':
              for (const k of Array.isArray(a) ? (a as string[]) : [a as string])
                option(k, { demandOption: true }, r.options.get(k)?.positional ?? false);
              break;
            case 'command':
            case 'commands': {
              const m = asModule(args);
              if (m) r.subcommands.push(m);
              break;
            }
          }
          return recorder;
        };
      },
    },
  );
  if (typeof builder === 'function') builder(recorder as Argv);
  else if (builder) for (const [k, o] of Object.entries(builder)) option(k, o, false);
  return r;
}

function asModule(args: unknown[]): CommandModule | undefined {
  const [a, b, c] = args;
  if (a && typeof a === 'object' && !Array.isArray(a) && 'command' in a) return a as CommandModule;
  if (typeof a === 'string' || Array.isArray(a))
    return {
      command: a as string | string[],
      describe: typeof b === 'string' ? b : false,
      builder: c as Builder,
      handler: () => undefined,
    };
  return undefined;
}

/** The commands cli/main.ts registers, in order: its `main()` runs with registration observed and parsing off. */
export async function registeredCommands(): Promise<CommandModule[]> {
  type Proto = { command: (...a: unknown[]) => unknown; parseAsync: (...a: unknown[]) => unknown };
  const proto = Object.getPrototypeOf(yargs([])) as Proto;
  const { command, parseAsync } = proto;
  const commands: CommandModule[] = [];
  proto.command = function (this: unknown, ...args: unknown[]) {
    const m = asModule(args);
    if (m) commands.push(m);
    return command.apply(this, args);
  };
  proto.parseAsync = () => Promise.resolve({ _: [], $0: 'stampede' });
  try {
    await main([]);
  } finally {
    proto.command = command;
    proto.parseAsync = parseAsync;
  }
  return commands;
}

// ---- markdown -----------------------------------------------------------------------------------------------------

/** Text for a markdown table cell or paragraph: no HTML, no table breaks, no accidental emphasis. */
function md(text: string): string {
  return text.replace(/\\/g, '\\\\').replace(/\|/g, '\\|').replace(/</g, '\\<').replace(/\*/g, '\\*');
}

function code(text: string): string {
  return text.includes('`') ? `\`\` ${text} \`\`` : `\`${text}\``;
}

function table(head: string[], rows: string[][]): string[] {
  if (rows.length === 0) return [];
  return [
    `| ${head.join(' | ')} |`,
    `| ${head.map(() => '---').join(' | ')} |`,
    ...rows.map((r) => `| ${r.map((c) => c.replace(/\n/g, ' ')).join(' | ')} |`),
    '',
  ];
}

function words(command: string | readonly string[] | undefined): string {
  const c = Array.isArray(command) ? (command[0] as string) : ((command as string | undefined) ?? '');
  return c.trim();
}

function anchor(title: string): string {
  return title
    .toLowerCase()
    .replace(/[^a-z0-9 -]/g, '')
    .replace(/ /g, '-');
}

function typeOf(o: RecordedOption): string {
  const t = o.choices ? o.choices.map((c) => code(String(c))).join(' \\| ') : (o.type ?? 'string');
  return o.array ? `${t}, repeatable` : t;
}

function defaultOf(o: RecordedOption): string {
  const d: unknown = o.defaultDescription ?? o.default;
  if (d === undefined) return o.demandOption ? 'required' : '';
  return code(typeof d === 'string' ? d : JSON.stringify(d));
}

function flagOf(o: RecordedOption): string {
  if (o.positional) return code(`<${o.key}>`);
  const alias: string | readonly string[] | undefined = o.alias;
  const aliases = (typeof alias === 'string' ? [alias] : (alias ?? [])).map((a) =>
    code(a.length === 1 ? `-${a}` : `--${a}`),
  );
  return [code(`--${o.key}`), ...aliases].join(', ');
}

function commandSection(name: string, m: CommandModule, r: Recorded): string[] {
  const title = `stampede ${name}`;
  const out = [`## ${title}`, '', md(typeof m.describe === 'string' ? m.describe : ''), ''];
  const usage = `stampede ${words(m.command)}`;
  const options = [...r.options.values()].filter((o) => !o.hidden && !/^Scenario .* options:$/.test(o.group ?? ''));
  const hasScenarioOptions = [...r.options.values()].some((o) => /^Scenario .* options:$/.test(o.group ?? ''));
  out.push(`Usage: ${code(`${usage}${options.some((o) => !o.positional) ? ' [options]' : ''}`)}`, '');
  if (options.some((o) => o.key === 'config')) {
    const sample = options.find((o) => !o.positional && o.key !== 'config' && o.key.includes('-'))?.key ?? 'keyspace';
    out.push(
      `Every option can also be set in a config file (${code('--config')}, see [config.md](config.md)) and in the environment as ${code('STAMPEDE_<OPTION>')} (${code(`--${sample}`)} → ${code(envName(sample))}); precedence: defaults < config file < environment < flags.`,
      '',
    );
  }
  const positionals = options.filter((o) => o.positional);
  if (positionals.length > 0) {
    out.push('**Arguments**', '');
    out.push(
      ...table(
        ['Argument', 'Type', 'Description'],
        positionals.map((o) => [flagOf(o), typeOf(o), md(o.describe ?? o.description ?? '')]),
      ),
    );
  }
  const groups = new Map<string, RecordedOption[]>();
  for (const o of options.filter((x) => !x.positional)) {
    const g = (o.group ?? 'Options:').replace(/:$/, '');
    groups.set(g, [...(groups.get(g) ?? []), o]);
  }
  for (const [group, os] of groups) {
    out.push(`**${md(group)}**`, '');
    out.push(
      ...table(
        ['Flag', 'Type', 'Default', 'Description'],
        os.map((o) => [flagOf(o), typeOf(o), defaultOf(o), md(o.describe ?? o.description ?? '')]),
      ),
    );
  }
  if (hasScenarioOptions) {
    out.push(
      `Plus the options of the chosen scenario, as flags: see [Scenario options](#scenario-options) (${code(`stampede ${name} --scenario <name> --help`)} lists them too).`,
      '',
    );
  }
  if (r.examples.length > 0) {
    out.push('**Examples**', '');
    for (const [c, d] of r.examples) out.push(`- ${code(c.replace(/\$0/g, 'stampede'))}${d ? ` — ${md(d)}` : ''}`);
    out.push('');
  }
  return out;
}

function specType(o: OptionSpec): string {
  const range = (min?: number | string, max?: number | string): string =>
    min !== undefined && max !== undefined
      ? ` in [${min}, ${max}]`
      : min !== undefined
        ? ` ≥ ${min}`
        : max !== undefined
          ? ` ≤ ${max}`
          : '';
  switch (o.type) {
    case 'integer':
    case 'number':
      return `${o.type}${range(o.min, o.max)}`;
    case 'ratio':
      return 'ratio in [0, 1]';
    case 'duration':
      return `duration${o.min !== undefined ? ` ≥ ${o.min}` : ''}`;
    case 'string':
      return o.choices ? o.choices.map((c) => code(c)).join(' \\| ') : 'string';
    case 'boolean':
      return 'boolean';
  }
}

function scenarioSection(): string[] {
  const out = [
    '## Scenario options',
    '',
    `Each scenario declares its own options; ${code('stampede run')} takes those of the scenario it runs as flags (and as config-file keys and ${code('STAMPEDE_<OPTION>')} variables, like every run option). ${code('stampede scenarios')} lists them; durations are virtual (durable) time.`,
    '',
  ];
  for (const s of SCENARIOS.values()) {
    out.push(`### ${s.name}`, '', md(s.summary), '', `What it stresses: ${md(s.stresses)}`, '');
    out.push(
      ...table(
        ['Flag', 'Type', 'Default', 'Description'],
        Object.entries(s.options).map(([n, o]) => [
          code(`--${kebab(n)}`),
          specType(o),
          code(String(o.default)),
          md(o.describe),
        ]),
      ),
    );
  }
  return out;
}

/** docs/cli.md as markdown (not yet formatted). */
export async function renderCliDocs(): Promise<string> {
  const commands = await registeredCommands();
  const sections: { name: string; m: CommandModule; r: Recorded }[] = [];
  const visit = (m: CommandModule, parent: string): void => {
    const name = `${parent}${words(m.command).split(/\s+/)[0] ?? ''}`;
    const r = record(m.builder);
    sections.push({ name, m, r });
    for (const sub of r.subcommands) visit(sub, `${name} `);
  };
  for (const m of commands) visit(m, '');
  const out = [
    '# stampede command line',
    '',
    "<!-- Generated from the CLI's own declarations by `npm run docs:cli` (cli/cli-docs.ts); test/cli-docs.test.ts fails when it is out of date. Do not edit by hand. -->",
    '',
    `${code('stampede <command> [options]')}. Every command takes ${code('--help')}; ${code('stampede --version')} prints the version. A usage error prints every problem at once and exits 2; a failed gate exits 99; a failed run exits 1.`,
    '',
    ...table(
      ['Command', 'What it does'],
      sections.map(({ name, m }) => [
        `[${code(`stampede ${name}`)}](#${anchor(`stampede ${name}`)})`,
        md(typeof m.describe === 'string' ? m.describe : ''),
      ]),
    ),
  ];
  for (const { name, m, r } of sections) out.push(...commandSection(name, m, r));
  out.push(...scenarioSection());
  return `${out.join('\n').trimEnd()}\n`;
}

/** docs/cli.md as committed: the markdown formatted with the project's Prettier settings (`prettier --check .`). */
export async function cliDocs(file: string): Promise<string> {
  // Prettier is a development tool: loaded only when the docs are generated or checked.
  const prettier = await import('prettier');
  const config = (await prettier.resolveConfig(file)) ?? {};
  return prettier.format(await renderCliDocs(), { ...config, filepath: file });
}

export const CLI_DOCS_FILE = fileURLToPath(new URL('../docs/cli.md', import.meta.url));

function isMainModule(): boolean {
  const script = process.argv[1];
  if (!script) return false;
  try {
    return realpathSync(script) === realpathSync(fileURLToPath(import.meta.url));
  } catch {
    return false;
  }
}

// `node --import tsx cli/cli-docs.ts` (npm run docs:cli) writes docs/cli.md.
if (isMainModule()) {
  writeFileSync(CLI_DOCS_FILE, await cliDocs(CLI_DOCS_FILE));
  process.stdout.write(`wrote ${CLI_DOCS_FILE}\n`);
}
