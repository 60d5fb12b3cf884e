/**
 * The subset of Temporal's visibility query language the reference engine understands:
 *   <clause> [AND <clause>]* [GROUP BY ExecutionStatus] [ORDER BY StartTime DESC]
 * where a clause is `Field = 'v'`, `Field != 'v'`, `Field STARTS_WITH 'v'` or `Field IN ('a', 'b')`, and Field
 * is WorkflowId, WorkflowType, RunId, TaskQueue or ExecutionStatus (Running, Completed, Failed, Canceled,
 * Terminated, ContinuedAsNew, TimedOut). Anything else is an INVALID_ARGUMENT, not a silent match-all.
 */
import { InvalidArgumentError } from '../errors.js';
import type { VisibilityRecord } from './visibility-store.js';

export interface CompiledQuery {
  matches(r: VisibilityRecord): boolean;
  groupByStatus: boolean;
}

/** Execution status names as queries write them, by API WorkflowExecutionStatus value. */
const STATUS_BY_NAME: ReadonlyMap<string, number> = new Map([
  ['Running', 1],
  ['Completed', 2],
  ['Failed', 3],
  ['Canceled', 4],
  ['Terminated', 5],
  ['ContinuedAsNew', 6],
  ['TimedOut', 7],
]);
const NAME_BY_STATUS: ReadonlyMap<number, string> = new Map([...STATUS_BY_NAME].map(([k, v]) => [v, k]));

/** The name a query (and a GROUP BY ExecutionStatus answer) uses for a status; unknown ones as their number. */
export function statusName(status: number): string {
  return NAME_BY_STATUS.get(status) ?? String(status);
}

/**
 * The fields a clause may name. A Map, not an object literal: a field name comes from the client, and an object
 * lookup would find Object.prototype members (`constructor`, `__proto__`, `toString`, ...) as "fields".
 */
const FIELDS: ReadonlyMap<string, (r: VisibilityRecord) => string> = new Map<string, (r: VisibilityRecord) => string>([
  ['WorkflowId', (r) => r.workflowId],
  ['WorkflowType', (r) => r.workflowType],
  ['RunId', (r) => r.runId],
  ['TaskQueue', (r) => r.taskQueue],
  ['ExecutionStatus', (r) => statusName(r.status)],
]);

type Token = { kind: 'word' | 'string' | 'op' | 'punct'; text: string };

function tokenize(query: string): Token[] {
  const tokens: Token[] = [];
  const re = /\s*(?:(`[^`]*`|[A-Za-z_][A-Za-z0-9_]*)|('(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*")|(!=|=)|([(),]))/y;
  let pos = 0;
  while (pos < query.length) {
    if (/^\s*$/.test(query.slice(pos))) break;
    re.lastIndex = pos;
    const m = re.exec(query);
    if (!m)
      throw new InvalidArgumentError(
        `invalid query: unexpected input at position ${pos}: ${query.slice(pos, pos + 20)}`,
      );
    pos = re.lastIndex;
    if (m[1]) tokens.push({ kind: 'word', text: m[1].replace(/`/g, '') });
    else if (m[2]) tokens.push({ kind: 'string', text: m[2].slice(1, -1).replace(/\\(.)/g, '$1') });
    else if (m[3]) tokens.push({ kind: 'op', text: m[3] });
    else if (m[4]) tokens.push({ kind: 'punct', text: m[4] });
  }
  return tokens;
}

export function compileQuery(query: string): CompiledQuery {
  const tokens = tokenize(query);
  let i = 0;
  const peek = (): Token | undefined => tokens[i];
  const next = (what: string): Token => {
    const t = tokens[i++];
    if (!t) throw new InvalidArgumentError(`invalid query: expected ${what} at the end of "${query}"`);
    return t;
  };
  const clauses: ((r: VisibilityRecord) => boolean)[] = [];
  let groupByStatus = false;
  const keyword = (t: Token | undefined, word: string): boolean => t?.kind === 'word' && t.text.toUpperCase() === word;

  while (i < tokens.length) {
    if (keyword(peek(), 'GROUP')) {
      i++;
      if (!keyword(next('BY'), 'BY') || next('ExecutionStatus').text !== 'ExecutionStatus') {
        throw new InvalidArgumentError('invalid query: only GROUP BY ExecutionStatus is supported');
      }
      groupByStatus = true;
      continue;
    }
    if (keyword(peek(), 'ORDER')) {
      // Results are always newest first; accept and ignore an explicit order.
      i++;
      next('BY');
      next('field');
      if (keyword(peek(), 'DESC') || keyword(peek(), 'ASC')) i++;
      continue;
    }
    if (clauses.length > 0) {
      if (!keyword(next('AND'), 'AND')) throw new InvalidArgumentError(`invalid query: expected AND in "${query}"`);
    }
    const field = next('a field');
    const get = field.kind === 'word' ? FIELDS.get(field.text) : undefined;
    if (!get) {
      // Temporal: "invalid query: invalid expression: column name 'X' is not a valid search attribute".
      throw new InvalidArgumentError(
        `invalid query: invalid expression: column name '${field.text}' is not a valid search attribute ` +
          `(unknown or unsupported field; this engine supports ${[...FIELDS.keys()].join(', ')})`,
      );
    }
    // Like Temporal, a status that does not exist is an error rather than a clause that matches nothing.
    const checkValue = (v: string): string => {
      if (field.text === 'ExecutionStatus' && !STATUS_BY_NAME.has(v))
        throw new InvalidArgumentError(`invalid query: invalid expression: invalid ExecutionStatus value '${v}'`);
      return v;
    };
    const op = next('an operator');
    if (op.kind === 'op') {
      const value = next('a value');
      if (value.kind !== 'string')
        throw new InvalidArgumentError(`invalid query: ${field.text} ${op.text} needs a quoted value`);
      checkValue(value.text);
      clauses.push(op.text === '=' ? (r) => get(r) === value.text : (r) => get(r) !== value.text);
    } else if (keyword(op, 'STARTS_WITH')) {
      const value = next('a value');
      if (value.kind !== 'string') throw new InvalidArgumentError(`invalid query: STARTS_WITH needs a quoted value`);
      clauses.push((r) => get(r).startsWith(value.text));
    } else if (keyword(op, 'IN')) {
      if (next('(').text !== '(') throw new InvalidArgumentError('invalid query: IN needs a list');
      const values = new Set<string>();
      for (;;) {
        const v = next('a value');
        if (v.kind !== 'string') throw new InvalidArgumentError('invalid query: IN values must be quoted');
        values.add(checkValue(v.text));
        const sep = next(') or ,');
        if (sep.text === ')') break;
        if (sep.text !== ',') throw new InvalidArgumentError('invalid query: expected , or ) in IN list');
      }
      clauses.push((r) => values.has(get(r)));
    } else {
      throw new InvalidArgumentError(`invalid query: unsupported operator ${op.text}`);
    }
  }
  return { matches: (r) => clauses.every((c) => c(r)), groupByStatus };
}
