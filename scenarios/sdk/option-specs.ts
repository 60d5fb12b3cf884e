/**
 * Scenario options, declared once: type, default, bounds and help text. The same declaration drives
 * `stampede run --scenario X --help`, `stampede scenarios`, parsing and validation.
 */
import { parseDurationMs } from '../../result/units.js';
import { show } from './show.js';

interface Base {
  describe: string;
}

export type OptionSpec =
  | (Base & { type: 'integer'; default: number; min?: number; max?: number })
  | (Base & { type: 'number'; default: number; min?: number; max?: number })
  /** A probability in [0, 1]. */
  | (Base & { type: 'ratio'; default: number })
  /** A duration ("30d", "250ms"); the value is in ms. */
  | (Base & { type: 'duration'; default: string; min?: string })
  | (Base & { type: 'string'; default: string; choices?: readonly string[] })
  | (Base & { type: 'boolean'; default: boolean });

export type OptionSpecs = Record<string, OptionSpec>;

export type OptionValue<O extends OptionSpec> = O extends { type: 'string' }
  ? string
  : O extends { type: 'boolean' }
    ? boolean
    : number;

export type OptionValues<S extends OptionSpecs> = { -readonly [K in keyof S]: OptionValue<S[K]> };

/** Parses raw values (from flags or a config file) against the specs: values, or every problem found. */
export function compileOptions<S extends OptionSpecs>(
  specs: S,
  raw: Record<string, unknown>,
  label: string,
): { values: OptionValues<S>; problems: string[] } {
  const problems: string[] = [];
  const values: Record<string, unknown> = {};
  for (const [name, spec] of Object.entries(specs)) {
    const given = raw[name];
    const v = given === undefined ? spec.default : given;
    const flag = `--${kebab(name)}`;
    switch (spec.type) {
      case 'integer':
      case 'number': {
        const n = typeof v === 'number' ? v : Number(v);
        if (!Number.isFinite(n) || (spec.type === 'integer' && !Number.isInteger(n))) {
          problems.push(
            `${label} ${flag} must be ${spec.type === 'integer' ? 'an integer' : 'a number'}, got ${show(v)}`,
          );
        } else if ((spec.min !== undefined && n < spec.min) || (spec.max !== undefined && n > spec.max)) {
          problems.push(`${label} ${flag} must be within [${spec.min ?? '-inf'}, ${spec.max ?? 'inf'}], got ${n}`);
        }
        values[name] = n;
        break;
      }
      case 'ratio': {
        const n = typeof v === 'number' ? v : Number(v);
        if (!(n >= 0 && n <= 1)) problems.push(`${label} ${flag} must be a ratio in [0, 1], got ${show(v)}`);
        values[name] = n;
        break;
      }
      case 'duration': {
        const ms = parseDurationMs(typeof v === 'number' ? v : show(v));
        const min = spec.min === undefined ? 0 : (parseDurationMs(spec.min) ?? 0);
        if (ms === undefined) problems.push(`${label} ${flag} must be a duration like 30s or 30d, got ${show(v)}`);
        else if (ms < min) problems.push(`${label} ${flag} must be at least ${spec.min}, got ${show(v)}`);
        values[name] = ms ?? 0;
        break;
      }
      case 'string': {
        const s = show(v);
        if (spec.choices && !spec.choices.includes(s))
          problems.push(`${label} ${flag} must be one of ${spec.choices.join(', ')}, got ${s}`);
        values[name] = s;
        break;
      }
      case 'boolean': {
        const b = v === true || v === 'true' ? true : v === false || v === 'false' ? false : undefined;
        if (b === undefined) problems.push(`${label} ${flag} must be true or false, got ${show(v)}`);
        values[name] = b ?? false;
        break;
      }
    }
  }
  for (const name of Object.keys(raw)) {
    if (!(name in specs))
      problems.push(
        `${label} has no option --${kebab(name)} (it has: ${
          Object.keys(specs)
            .map((n) => `--${kebab(n)}`)
            .join(', ') || 'none'
        })`,
      );
  }
  return { values: values as OptionValues<S>, problems };
}

export function kebab(name: string): string {
  return name.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
}

/**
 * A time scale for durable waits of `virtualMs`: real time when they are a minute or shorter, otherwise fast
 * enough that they take about `realMs` of real time (a 30-day period in one second).
 */
export function compressedTimeScale(virtualMs: number, realMs: number): number {
  return virtualMs <= 60_000 ? 1 : virtualMs / realMs;
}
