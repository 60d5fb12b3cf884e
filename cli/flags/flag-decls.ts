/**
 * Flag declarations: each option is declared once (type, default, help, group) and yields the yargs flag
 * (kebab-case), the environment variable (STAMPEDE_<NAME>) and the config-file key (camelCase or kebab-case).
 * Precedence: defaults < config file < environment < flags.
 */
import type { Argv } from 'yargs';
import { show } from '../../scenarios/sdk/show.js';
import { kebab } from '../../scenarios/sdk/option-specs.js';

export interface FlagDecl {
  type: 'string' | 'number' | 'boolean';
  describe: string;
  /** Raw default, as a user would type it (shown in --help). */
  default?: string | number | boolean;
  choices?: readonly string[];
  group: string;
  /** Not read from the environment (e.g. --config itself). */
  noEnv?: boolean;
  /** A comma-separated list: a config file may give it as a YAML/JSON list. */
  list?: boolean;
  /** Repeatable on the command line (`--threshold a --threshold b`): the value is a list. */
  repeatable?: boolean;
  /** A one-letter alias (`-o`). */
  alias?: string;
  /** What --help shows as the default when it is not the raw default (one computed from other options). */
  shownDefault?: string;
  /**
   * Registered with yargs untyped (booleans excepted), so that the value reaches its own compiler as typed: the
   * scenario options, which their OptionSpecs parse and check.
   */
  untyped?: boolean;
  hidden?: boolean;
}

export type FlagDecls = Record<string, FlagDecl>;

export { kebab };

export function envName(name: string): string {
  return `STAMPEDE_${kebab(name).replace(/-/g, '_').toUpperCase()}`;
}

/**
 * Registers flags with yargs: the one way every command declares its flags. Without defaults, so that "given" can
 * be told from "defaulted" (resolveRaw applies them).
 */
export function addFlags<T>(y: Argv<T>, decls: FlagDecls): Argv<T> {
  let out = y;
  for (const [name, d] of Object.entries(decls)) {
    const shown = d.shownDefault ?? d.default;
    // Choices are checked when options are compiled (one message listing every problem), so only shown here.
    out = out.option(kebab(name), {
      ...(d.type === 'boolean' || !d.untyped ? { type: d.type } : {}),
      describe: d.choices ? `${d.describe}: ${d.choices.join(' | ')}` : d.describe,
      group: d.group,
      hidden: d.hidden ?? false,
      ...(d.repeatable ? { array: true } : {}),
      ...(d.alias !== undefined ? { alias: d.alias } : {}),
      ...(shown !== undefined ? { defaultDescription: String(shown) } : {}),
    });
  }
  return out;
}

export interface RawSources {
  flags: Record<string, unknown>;
  env: NodeJS.ProcessEnv;
  file: Record<string, unknown>;
  /** Where `file` came from, so that problems can name the file and the key (see config-file.ts). */
  config?: { path: string; keys: Record<string, string>; lines: Record<string, number> };
}

/** "true"/"false" (and 1/0, yes/no, on/off) as typed in an environment variable; undefined if neither. */
function parseBool(text: string): boolean | undefined {
  const t = text.trim().toLowerCase();
  if (['true', '1', 'yes', 'on'].includes(t)) return true;
  if (['false', '0', 'no', 'off'].includes(t)) return false;
  return undefined;
}

/** An option's value from the environment: unset and empty variables count as not given. */
export function fromEnv(d: FlagDecl | undefined, name: string, env: NodeJS.ProcessEnv): unknown {
  if (d?.noEnv) return undefined;
  const v = env[envName(name)];
  if (v === undefined || v === '') return undefined;
  return d?.type === 'boolean' ? (parseBool(v) ?? v) : v;
}

/** Raw values by option name, from every source in precedence order. */
export function resolveRaw(decls: FlagDecls, s: RawSources): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [name, d] of Object.entries(decls)) {
    const k = kebab(name);
    const fromFlags = s.flags[name] ?? s.flags[k];
    const env = fromEnv(d, name, s.env);
    const fromFile = s.file[name] ?? s.file[k];
    const value = fromFlags ?? env ?? fromFile ?? d.default;
    if (value !== undefined) out[name] = value;
  }
  return out;
}

/** Problems with choice-valued options. */
export function checkChoices(decls: FlagDecls, raw: Record<string, unknown>): string[] {
  const problems: string[] = [];
  for (const [name, d] of Object.entries(decls)) {
    const v = raw[name];
    if (d.choices && v !== undefined && !d.choices.includes(show(v))) {
      problems.push(`--${kebab(name)} must be one of ${d.choices.join(', ')}, got ${show(v)}`);
    }
  }
  return problems;
}

/** Whether the user set an option anywhere (not just its default). */
export function isGiven(decls: FlagDecls, name: string, s: RawSources): boolean {
  const d = decls[name];
  const k = kebab(name);
  return (
    s.flags[name] !== undefined ||
    s.flags[k] !== undefined ||
    fromEnv(d, name, s.env) !== undefined ||
    s.file[name] !== undefined ||
    s.file[k] !== undefined
  );
}

/** The candidate nearest to `name` if it is near enough to be a likely typo (for "did you mean" hints). */
export function nearest(name: string, candidates: Iterable<string>): string | undefined {
  let best: string | undefined;
  let bestD = Infinity;
  for (const c of candidates) {
    const d = distance(name, c);
    if (d < bestD) [best, bestD] = [c, d];
  }
  return bestD <= Math.max(2, Math.floor(name.length / 4)) ? best : undefined;
}

/** Edit distance, for "did you mean" hints. */
function distance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let diag = row[0] as number;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const up = row[j] as number;
      row[j] = Math.min(up + 1, (row[j - 1] as number) + 1, diag + (a[i - 1] === b[j - 1] ? 0 : 1));
      diag = up;
    }
  }
  return row[b.length] as number;
}

/**
 * Flags the user gave that no declaration knows (yargs' strict mode stops at the first; this lists them all,
 * with a hint at the nearest known flag).
 */
export function unknownFlags(args: Record<string, unknown>, known: readonly string[]): string[] {
  const knownKebab = new Set([...known.map(kebab), 'help', 'h', 'version', '$0', '_']);
  const seen = new Set<string>();
  const problems: string[] = [];
  for (const key of Object.keys(args)) {
    const k = kebab(key);
    if (knownKebab.has(k) || seen.has(k)) continue;
    seen.add(k);
    const best = nearest(k, knownKebab);
    const hint = best !== undefined ? ` (did you mean --${best}?)` : '';
    problems.push(`unknown option --${k}${hint}`);
  }
  return problems;
}
