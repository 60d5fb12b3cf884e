/**
 * Reading result files back: the JSON must be a stampede result of a schema version this build knows, with the
 * fields reports and gates rely on. Anything else is a ResultFileError naming the file and the problem.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { ResultFileError } from './errors.js';
import { RESULT_BOUNDS } from './bounds.js';
import { decodeHistogram } from './histogram.js';
import { RESULT_SCHEMA, RESULT_VERSION, type ResultV1 } from './schema.js';

/** A result path: a result.json, or a folder holding one. */
export function resultFile(path: string): string {
  if (existsSync(path) && statSync(path).isDirectory()) return join(path, 'result.json');
  return path;
}

function typeOf(v: unknown): string {
  return Array.isArray(v) ? 'array' : v === null ? 'null' : typeof v;
}

/** Problems with a parsed result (empty when it is usable). */
function validateResult(r: unknown): string[] {
  const problems: string[] = [];
  if (typeof r !== 'object' || r === null || Array.isArray(r)) return ['not a JSON object'];
  const o = r as Record<string, unknown>;
  if (o.schema !== RESULT_SCHEMA) return [`not a stampede result (schema is ${JSON.stringify(o.schema)})`];
  if (o.version !== RESULT_VERSION) {
    return [
      `result schema version ${JSON.stringify(o.version)} is not supported by this stampede (it reads version ${RESULT_VERSION})`,
    ];
  }
  const need = (path: string, value: unknown, type: string): void => {
    if (typeOf(value) !== type)
      problems.push(`${path} must be ${type === 'object' ? 'an object' : `a ${type}`}, found ${typeOf(value)}`);
  };
  need('runId', o.runId, 'string');
  need('label', o.label, 'string');
  need('timing', o.timing, 'object');
  need('operations', o.operations, 'object');
  need('metrics', o.metrics, 'object');
  need('counters', o.counters, 'object');
  need('intervals', o.intervals, 'array');
  need('verification', o.verification, 'object');
  need('scenario', o.scenario, 'object');
  need('target', o.target, 'object');
  need('health', o.health, 'object');
  if (typeOf(o.timing) === 'object') {
    const t = o.timing as Record<string, unknown>;
    for (const k of ['t0Ms', 'warmupMs', 'measuredMs', 'intervalMs']) need(`timing.${k}`, t[k], 'number');
  }
  if (typeOf(o.operations) === 'object') {
    for (const [name, op] of Object.entries(o.operations as Record<string, unknown>)) {
      const x = op as Record<string, unknown> | null;
      need(`operations.${name}`, x, 'object');
      if (x && typeOf(x) === 'object') {
        need(`operations.${name}.count`, x.count, 'number');
        need(`operations.${name}.service`, x.service, 'object');
        const svc = x.service as Record<string, unknown> | undefined;
        if (svc && typeOf(svc) === 'object') need(`operations.${name}.service.histogram`, svc.histogram, 'string');
      }
    }
  }
  if (typeOf(o.files) === 'object') {
    // Files in result.json's folder that readers open (capacity's point into a step's subfolder): relative paths
    // whose every segment starts with a word character, so never absolute and never `..` out of the folder.
    for (const [k, v] of Object.entries(o.files as Record<string, unknown>)) {
      if (typeof v !== 'string' || !/^(?:\w[\w.-]{0,200}\/){0,8}\w[\w.-]{0,200}$/.test(v))
        problems.push(`files.${k} must be a file name inside the result's folder`);
    }
  }
  if (Array.isArray(o.intervals)) {
    o.intervals.slice(0, 5).forEach((iv, i) => {
      need(`intervals[${i}]`, iv, 'object');
      if (iv && typeOf(iv) === 'object') need(`intervals[${i}].ops`, (iv as Record<string, unknown>).ops, 'object');
    });
  }
  return problems;
}

/** Subtrees whose every number is a count, a rate, a duration or a latency: never negative. */
const NON_NEGATIVE = ['operations', 'metrics', 'counters', 'errors', 'timing', 'verification', 'health', 'intervals'];
/** Relative slack between consecutive percentiles (HDR bucket rounding; see below). */
const PERCENTILE_TOLERANCE = 0.01;
const PERCENTILE_ORDER = ['minUs', 'p50Us', 'p90Us', 'p99Us', 'p999Us', 'p9999Us', 'maxUs'];

/**
 * One pass over the whole parsed value, without recursion (a deeply nested file must not overflow the stack):
 * depth, string sizes, finite numbers (1e400 parses as Infinity), no negative numbers where none can be, ordered
 * percentiles, and histograms that decode.
 */
function checkValues(root: Record<string, unknown>, problems: string[]): void {
  const histograms: { path: string; value: string }[] = [];
  const stack: { path: string; value: unknown; depth: number; nonNegative: boolean }[] = [
    { path: '', value: root, depth: 0, nonNegative: false },
  ];
  const add = (problem: string): boolean => {
    problems.push(problem);
    return problems.length < 5;
  };
  while (stack.length > 0) {
    const { path, value, depth, nonNegative } = stack.pop() as (typeof stack)[number];
    const where = path || 'the result';
    if (typeof value === 'string') {
      const isHistogram = /\.(histogram|latencyUs)$/.test(path);
      const max = isHistogram ? RESULT_BOUNDS.maxHistogramChars : RESULT_BOUNDS.maxStringChars;
      if (value.length > max) {
        if (!add(`${where} is a string of ${value.length} characters (at most ${max})`)) return;
      } else if (isHistogram) histograms.push({ path, value });
    } else if (typeof value === 'number') {
      if (!Number.isFinite(value)) {
        if (!add(`${where} is not a finite number`)) return;
      } else if (nonNegative && value < 0 && !add(`${where} is negative (${value})`)) return;
    } else if (typeof value === 'object' && value !== null) {
      if (depth >= RESULT_BOUNDS.maxDepth) {
        if (!add(`${where} is nested deeper than ${RESULT_BOUNDS.maxDepth} levels`)) return;
        continue;
      }
      const entries: [string, unknown][] = Array.isArray(value)
        ? value.map((v, i): [string, unknown] => [String(i), v])
        : Object.entries(value);
      if (!Array.isArray(value)) {
        const o = value as Record<string, unknown>;
        const ordered = PERCENTILE_ORDER.filter((k) => typeof o[k] === 'number');
        for (let i = 1; i < ordered.length; i++) {
          const [a, b] = [ordered[i - 1] as string, ordered[i] as string];
          if (
            // An HDR percentile is its bucket's highest equivalent value, which can pass the recorded max by the
            // histogram's precision (0.1 % at 3 significant digits): only a larger inversion is a broken file.
            (o[a] as number) > (o[b] as number) * (1 + PERCENTILE_TOLERANCE) + 1 &&
            !add(`${where}: ${a} ${String(o[a])} is above ${b} ${String(o[b])}`)
          )
            return;
        }
      }
      for (const [key, v] of entries) {
        if (key.length > RESULT_BOUNDS.maxStringChars) {
          if (!add(`${where} has a key of ${key.length} characters`)) return;
          continue;
        }
        const child = Array.isArray(value) ? `${path}[${key}]` : path ? `${path}.${key}` : key;
        stack.push({
          path: child,
          value: v,
          depth: depth + 1,
          nonNegative: nonNegative || (depth === 0 && NON_NEGATIVE.includes(key)),
        });
      }
    }
  }
  if (histograms.length > RESULT_BOUNDS.maxHistograms) {
    add(`the result holds ${histograms.length} histograms (at most ${RESULT_BOUNDS.maxHistograms})`);
    return;
  }
  for (const h of histograms) {
    try {
      decodeHistogram(h.value);
    } catch {
      if (!add(`${h.path} is not an encoded HdrHistogram`)) return;
    }
  }
}

/** A file's text, refused past `maxBytes` before it is read (what a run writes, never more). */
export function readBoundedText(file: string, what: string, maxBytes: number = RESULT_BOUNDS.maxFileBytes): string {
  try {
    const size = statSync(file).size;
    if (size > maxBytes)
      throw new ResultFileError(
        `${file} is ${Math.round(size / 1024 / 1024)} MB, more than ${what} holds (at most ${Math.round(maxBytes / 1024 / 1024)} MB)`,
      );
    return readFileSync(file, 'utf8');
  } catch (err) {
    if (err instanceof ResultFileError) throw err;
    const code = (err as { code?: unknown }).code;
    throw new ResultFileError(
      `cannot read ${file}: ${code === 'ENOENT' ? `no such ${what}` : code === 'EISDIR' ? 'it is a folder' : String(code ?? err)}`,
    );
  }
}

function parseJson(text: string, file: string): unknown {
  try {
    return JSON.parse(text);
  } catch (err) {
    // A message, not the text: V8 quotes the input around the error, which may be huge or hostile.
    const message = err instanceof Error ? err.message.slice(0, 200) : String(err);
    throw new ResultFileError(`${file} is not valid JSON: ${message}`);
  }
}

/**
 * expected.json beside a result (what each workflow's scenario expects, by workflow id): an object of objects of
 * counts, checked as a result is.
 */
export function readExpected(file: string): Map<string, Record<string, number>> {
  const parsed = parseJson(readBoundedText(file, 'expectations file'), file);
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed))
    throw new ResultFileError(`${file}: not a JSON object of workflow ids`);
  const out = new Map<string, Record<string, number>>();
  for (const [id, v] of Object.entries(parsed as Record<string, unknown>)) {
    const ok =
      typeof v === 'object' &&
      v !== null &&
      !Array.isArray(v) &&
      Object.values(v as Record<string, unknown>).every((n) => typeof n === 'number' && Number.isFinite(n) && n >= 0);
    if (!ok || id.length > 1000)
      throw new ResultFileError(`${file}: ${JSON.stringify(id.slice(0, 80))} must map to counts (numbers >= 0)`);
    out.set(id, v as Record<string, number>);
  }
  return out;
}

export function readResult(path: string): ResultV1 {
  const file = resultFile(path);
  const parsed = parseJson(readBoundedText(file, 'result file'), file);
  const problems = validateResult(parsed);
  if (problems.length === 0) checkValues(parsed as Record<string, unknown>, problems);
  if (problems.length > 0) throw new ResultFileError(`${file}: ${problems.slice(0, 5).join('; ')}`);
  return parsed as ResultV1;
}
