/**
 * Config files (`--config run.yaml`): a YAML or JSON mapping from option names (camelCase or kebab-case, as the
 * flags) to values. The file is one layer of the option sources, defaults < config file < environment
 * (STAMPEDE_*) < flags, and every problem names where the offending value came from: the file, the line and the
 * key, or the environment variable. Relative paths inside a file are relative to the current directory, as flags.
 */
import { readFileSync, statSync } from 'node:fs';
import { isMap, isScalar, isSeq, LineCounter, parseDocument } from 'yaml';
import type { OptionSpecs } from '../../scenarios/sdk/option-specs.js';
import { envName, fromEnv, kebab, nearest, type FlagDecl, type FlagDecls, type RawSources } from './flag-decls.js';
import { show } from '../../scenarios/sdk/show.js';

export const CONFIG_FLAG: FlagDecl = {
  type: 'string',
  describe:
    'read options from a YAML or JSON file (keys as the flags, camelCase or kebab-case; STAMPEDE_* variables and flags override it)',
  group: 'Config file:',
  noEnv: true,
};

export interface ConfigFile {
  path: string;
  /** Values by key, as written in the file. */
  values: Record<string, unknown>;
  /** 1-based line of each key. */
  lines: Record<string, number>;
}

function readProblem(err: unknown): string {
  const code = (err as { code?: unknown }).code;
  if (code === 'ENOENT') return 'no such file';
  if (code === 'EACCES') return 'permission denied';
  if (code === 'EISDIR') return 'it is a directory';
  return err instanceof Error ? err.message : String(err);
}

function lineCol(text: string, offset: number): string {
  const before = text.slice(0, Math.max(0, Math.min(offset, text.length)));
  const line = before.split('\n').length;
  return `${line}:${before.length - before.lastIndexOf('\n')}`;
}

function kind(v: unknown): string {
  if (v === null) return 'nothing';
  if (Array.isArray(v)) return 'a list';
  if (typeof v === 'object') return 'a mapping';
  return typeof v === 'string' ? `"${v}"` : show(v);
}

/**
 * Bounds on a config file, checked before it is parsed: a config file is a page of options, and a hostile one (200
 * KB of nested `[` once exhausted V8's heap in the YAML parser; an alias bomb expands exponentially) must get one
 * line, not a crash.
 */
export const CONFIG_BOUNDS = { maxBytes: 1024 * 1024, maxDepth: 64, maxAliasCount: 100 } as const;

/**
 * The deepest nesting of a YAML or JSON text: flow brackets outside quotes and comments, and block nesting by
 * indentation and `- ` markers (a level costs at least one column, so columns bound the depth). A first pass
 * that sees every character once, so that the parser never meets a text nested past the bound.
 */
export function nestingDepth(text: string): number {
  let max = 0;
  let depth = 0;
  let quote: string | undefined;
  let lineStart = true;
  let blockColumns = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text[i] as string;
    if (c === '\n') {
      lineStart = true;
      blockColumns = 0;
      continue;
    }
    if (lineStart) {
      if (c === ' ' || c === '\t' || ((c === '-' || c === '?') && /\s/.test(text[i + 1] ?? '\n'))) {
        blockColumns += 1;
        max = Math.max(max, Math.ceil(blockColumns / 2));
        continue;
      }
      lineStart = false;
    }
    if (quote) {
      if (c === '\\' && quote === '"') i += 1;
      else if (c === quote) quote = undefined;
    } else if (c === '"' || c === "'") quote = c;
    else if (c === '#' && (i === 0 || /\s/.test(text[i - 1] as string))) {
      while (i + 1 < text.length && text[i + 1] !== '\n') i += 1;
    } else if (c === '[' || c === '{') max = Math.max(max, ++depth);
    else if (c === ']' || c === '}') depth = Math.max(0, depth - 1);
  }
  return max;
}

/** Reads and parses a config file; problems name the file (and the line of a syntax error). */
export function readConfigFile(path: string): { file?: ConfigFile; problems: string[] } {
  if (path.trim() === '') return { problems: ['--config needs a file name'] };
  const where = `config file ${path}`;
  let text: string;
  try {
    const size = statSync(path).size;
    if (size > CONFIG_BOUNDS.maxBytes)
      return {
        problems: [`${where}: ${size} bytes is more than a config file holds (at most ${CONFIG_BOUNDS.maxBytes})`],
      };
    text = readFileSync(path, 'utf8');
  } catch (err) {
    return { problems: [`${where}: cannot read it (${readProblem(err)})`] };
  }
  if (text.length > CONFIG_BOUNDS.maxBytes)
    return { problems: [`${where}: more than a config file holds (at most ${CONFIG_BOUNDS.maxBytes} bytes)`] };
  const depth = nestingDepth(text);
  if (depth > CONFIG_BOUNDS.maxDepth)
    return { problems: [`${where}: nested ${depth} levels deep (at most ${CONFIG_BOUNDS.maxDepth})`] };
  const json = /\.json$/i.test(path);
  if (json) {
    try {
      JSON.parse(text);
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      const at = /at position (\d+)/.exec(message);
      const pos = at ? `:${lineCol(text, Number(at[1]))}` : '';
      return { problems: [`${where}${pos}: invalid JSON: ${message.replace(/ in JSON at position \d+.*$/, '')}`] };
    }
  }
  // JSON is YAML too: parsing both with one parser gives the line of every key.
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true });
  const first = doc.errors[0];
  if (first) {
    const { line, col } = lineCounter.linePos(first.pos[0]);
    const message =
      first.code === 'MULTIPLE_DOCS' ? 'a config file holds one document (found a second after ---)' : first.message;
    return { problems: [`${where}:${line}:${col}: invalid ${json ? 'JSON' : 'YAML'}: ${message}`] };
  }
  const top = doc.contents;
  if (top === null || (isScalar(top) && (top.value === null || top.value === ''))) {
    return { file: { path, values: {}, lines: {} }, problems: [] };
  }
  if (!isMap(top)) {
    const got = isSeq(top) ? 'a list' : kind(doc.toJS({ maxAliasCount: CONFIG_BOUNDS.maxAliasCount }));
    return { problems: [`${where}: expected a mapping of option names to values, got ${got}`] };
  }
  let values: Record<string, unknown>;
  try {
    values = doc.toJS({ maxAliasCount: CONFIG_BOUNDS.maxAliasCount }) as Record<string, unknown>;
  } catch (err) {
    return { problems: [`${where}: ${err instanceof Error ? err.message : String(err)}`] };
  }
  const lines: Record<string, number> = {};
  for (const pair of top.items) {
    const key = pair.key as { range?: [number, number, number] | null } | null;
    if (key?.range) lines[show(isScalar(key) ? key.value : key)] = lineCounter.linePos(key.range[0]).line;
  }
  return { file: { path, values, lines }, problems: [] };
}

/** Where a key of a config file is, for messages: `config file run.yaml:4`. */
function fileAt(path: string, key: string, lines: Record<string, number>): string {
  const line = lines[key];
  return `config file ${path}${line === undefined ? '' : `:${line}`}`;
}

/** `config file run.yaml:4: key "rate"`. */
export function keyWhere(path: string, key: string, lines: Record<string, number>): string {
  return `${fileAt(path, key, lines)}: key "${key}"`;
}

const VALUE_TYPE: Record<FlagDecl['type'], string> = {
  string: 'a string',
  number: 'a number',
  boolean: 'true or false',
};

/**
 * A config file's values checked against the declarations: unknown keys (with a did-you-mean hint), a key given twice
 * (camelCase and kebab-case), empty values and wrong types. Returns the values by option name; lists are joined with
 * commas where the option takes a comma-separated list.
 */
function checkConfigFile(
  file: ConfigFile,
  decls: FlagDecls,
  opts: { ignoreUnknown?: boolean } = {},
): { values: Record<string, unknown>; keys: Record<string, string>; problems: string[] } {
  const byKey = new Map<string, string>();
  for (const name of Object.keys(decls)) {
    byKey.set(name, name);
    byKey.set(kebab(name), name);
  }
  const values: Record<string, unknown> = {};
  const keys: Record<string, string> = {};
  const problems: string[] = [];
  for (const [key, v] of Object.entries(file.values)) {
    const where = keyWhere(file.path, key, file.lines);
    const name = byKey.get(key);
    const d = name === undefined ? undefined : decls[name];
    if (key === 'config' || name === 'config') {
      problems.push(`${where}: a config file cannot name another config file`);
      continue;
    }
    if (name === undefined || d === undefined) {
      if (opts.ignoreUnknown) continue;
      // Suggest in the style the user writes keys in.
      const style = key.includes('-') ? [...byKey.keys()].filter((k) => k.includes('-') || k === kebab(k)) : undefined;
      const hint = nearest(key, style ?? [...byKey.keys()].filter((k) => !k.includes('-')));
      const mean = hint === undefined ? '' : ` (did you mean "${hint}"?)`;
      problems.push(`${fileAt(file.path, key, file.lines)}: unknown key "${key}"${mean}`);
      continue;
    }
    const other = keys[name];
    if (other !== undefined) {
      problems.push(`${where}: sets the same option as key "${other}"; keep one`);
      continue;
    }
    keys[name] = key;
    let value = v;
    if (Array.isArray(value) && d.list && value.every((x) => typeof x === 'string' || typeof x === 'number')) {
      value = value.map((x) => show(x)).join(',');
    }
    if (value === null) {
      problems.push(`${where} has no value (remove the key to use the default)`);
      continue;
    }
    const ok =
      d.type === 'boolean'
        ? typeof value === 'boolean'
        : d.type === 'number'
          ? typeof value === 'number' || (typeof value === 'string' && value.trim() !== '' && !isNaN(Number(value)))
          : typeof value === 'string' || typeof value === 'number';
    if (!ok) {
      const list = d.list ? ' (or a list of them)' : '';
      problems.push(`${where} must be ${VALUE_TYPE[d.type]}${list}, got ${kind(value)}`);
      continue;
    }
    values[name] = d.type === 'number' ? Number(value) : value;
  }
  return { values, keys, problems };
}

/** Environment variables for boolean options that are neither true nor false. */
function envProblems(decls: FlagDecls, env: NodeJS.ProcessEnv): string[] {
  const problems: string[] = [];
  for (const [name, d] of Object.entries(decls)) {
    const v = fromEnv(d, name, env);
    if (d.type === 'boolean' && typeof v === 'string')
      problems.push(`environment variable ${envName(name)} must be true or false, got ${v}`);
  }
  return problems;
}

/** Scenario options as flag declarations, so that they come from the same sources as every other option. */
export function scenarioFlagDecls(specs: OptionSpecs, scenario: string): FlagDecls {
  const out: FlagDecls = {};
  for (const [name, spec] of Object.entries(specs)) {
    out[name] = {
      type:
        spec.type === 'boolean' ? 'boolean' : spec.type === 'string' || spec.type === 'duration' ? 'string' : 'number',
      describe: `${spec.describe} [${spec.type}]`,
      shownDefault: String(spec.default),
      group: `Scenario ${scenario} options:`,
      untyped: true,
    };
  }
  return out;
}

/** Reads --config (if given) into the sources; problems name the file. */
export function withConfigFile(
  flags: Record<string, unknown>,
  env: NodeJS.ProcessEnv,
): { sources: RawSources; file?: ConfigFile; problems: string[] } {
  const sources: RawSources = { flags, env, file: {} };
  if (flags.config === undefined) return { sources, problems: [] };
  const { file, problems } = readConfigFile(show(flags.config));
  if (file) {
    sources.file = file.values;
    sources.config = { path: file.path, keys: {}, lines: file.lines };
  }
  return { sources, ...(file ? { file } : {}), problems };
}

/**
 * Checks the config file's keys and values and the environment against `decls`, and makes `sources.file` hold the
 * checked values by option name.
 */
export function checkSources(
  sources: RawSources,
  file: ConfigFile | undefined,
  decls: FlagDecls,
  opts: { ignoreUnknown?: boolean } = {},
): string[] {
  const problems = envProblems(decls, sources.env);
  if (file) {
    const checked = checkConfigFile(file, decls, opts);
    sources.file = checked.values;
    sources.config = { path: file.path, keys: checked.keys, lines: file.lines };
    problems.push(...checked.problems);
  }
  return problems;
}

/**
 * Rewrites problems about an option whose value came from the config file or the environment so that they name
 * the file and key, or the variable: "--rate must be ..." becomes `config file run.yaml:3: key "rate" must be ...`.
 */
export function attributeProblems(problems: string[], decls: FlagDecls, s: RawSources): string[] {
  const byFlag = new Map(Object.keys(decls).map((n) => [kebab(n), n]));
  return problems.map((p) => {
    const m = /^(scenario \S+ )?--([a-z0-9][a-z0-9-]*)([\s\S]*)$/.exec(p);
    const name = m ? byFlag.get(m[2] as string) : undefined;
    if (!m || name === undefined) return p;
    const flag = s.flags[name] ?? s.flags[kebab(name)];
    if (flag !== undefined) return p;
    let where: string | undefined;
    if (fromEnv(decls[name], name, s.env) !== undefined) where = `environment variable ${envName(name)}`;
    else if (s.config && (s.file[name] !== undefined || s.file[kebab(name)] !== undefined))
      where = keyWhere(s.config.path, s.config.keys[name] ?? name, s.config.lines);
    if (where === undefined) return p;
    const scenario = m[1] ? ` (${m[1].trim()})` : '';
    const rest = m[3] as string;
    if (rest.startsWith(' must ')) return `${where}${scenario}${rest}`;
    if (rest.startsWith(':')) return `${where}${scenario}${rest}`;
    return `${where}: ${p}`;
  });
}
