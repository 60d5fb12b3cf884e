/**
 * Reading result files back: the JSON must be a stampede result of a schema version this build knows, with the
 * fields reports and gates rely on. Anything else is a ResultFileError naming the file and the problem.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { ResultFileError } from './errors.js';
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
  if (Array.isArray(o.intervals)) {
    o.intervals.slice(0, 5).forEach((iv, i) => {
      need(`intervals[${i}]`, iv, 'object');
      if (iv && typeOf(iv) === 'object') need(`intervals[${i}].ops`, (iv as Record<string, unknown>).ops, 'object');
    });
  }
  return problems;
}

export function readResult(path: string): ResultV1 {
  const file = resultFile(path);
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    throw new ResultFileError(`cannot read ${file}: no such result file`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    throw new ResultFileError(`${file} is not valid JSON: ${err instanceof Error ? err.message : String(err)}`);
  }
  const problems = validateResult(parsed);
  if (problems.length > 0) throw new ResultFileError(`${file}: ${problems.slice(0, 5).join('; ')}`);
  return parsed as ResultV1;
}
