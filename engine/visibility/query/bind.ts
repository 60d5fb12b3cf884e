/**
 * Binding: the parsed filter's names resolved to search attributes of the namespace (system, predefined or
 * custom, as Temporal's `ResolveSearchAttributeAlias` does), its literals converted to the attributes' types, and
 * every operator checked against the type (Temporal's SQL converter rules). The bound tree is what evaluators
 * consume: typed values only, no names left to interpret.
 *
 * Values: Keyword/Text strings, Int/Double numbers, Bool booleans, Datetime epoch milliseconds (microseconds as the
 * fraction), ExecutionStatus the WorkflowExecutionStatus number, ExecutionDuration nanoseconds, KeywordList strings.
 */
import { enums } from '../../proto.js';
import { attributeType, parseDatetimeMs, SYSTEM_ATTRIBUTES, type SearchAttributeType } from '../search-attributes.js';
import type { Expr, Literal, OrderBy, Query } from './ast.js';
import { invalidExpression, notSupported } from './errors.js';
import { parseQuery } from './parser.js';
import { InvalidArgumentError } from '../../errors.js';

export interface Attribute {
  name: string;
  type: SearchAttributeType;
  /** A column of the execution (WorkflowId, StartTime, ...), not an entry of its attribute map. */
  system: boolean;
}

export type Value = string | number | boolean;

export type BoundExpr = Expr<Attribute, Value>;

export interface BoundQuery extends Query<Attribute, Value> {
  /** Whether the filter names TemporalNamespaceDivision (otherwise only executions without one match). */
  mentionsNamespaceDivision: boolean;
}

export interface BindOptions {
  /** The namespace's custom attributes: name -> IndexedValueType. */
  custom: Readonly<Record<string, number>>;
  /** Count accepts GROUP BY ExecutionStatus; List does not. */
  allowGroupBy: boolean;
}

export function compileFilter(text: string, options: BindOptions): BoundQuery {
  return bindQuery(parseQuery(text), options);
}

const STATUS = enums.WorkflowExecutionStatus;
/** Status names as queries write them. */
export const STATUS_BY_NAME: ReadonlyMap<string, number> = new Map([
  ['Running', STATUS.WORKFLOW_EXECUTION_STATUS_RUNNING],
  ['Completed', STATUS.WORKFLOW_EXECUTION_STATUS_COMPLETED],
  ['Failed', STATUS.WORKFLOW_EXECUTION_STATUS_FAILED],
  ['Canceled', STATUS.WORKFLOW_EXECUTION_STATUS_CANCELED],
  ['Terminated', STATUS.WORKFLOW_EXECUTION_STATUS_TERMINATED],
  ['ContinuedAsNew', STATUS.WORKFLOW_EXECUTION_STATUS_CONTINUED_AS_NEW],
  ['TimedOut', STATUS.WORKFLOW_EXECUTION_STATUS_TIMED_OUT],
  ['Paused', STATUS.WORKFLOW_EXECUTION_STATUS_PAUSED],
]);
const NAME_BY_STATUS: ReadonlyMap<number, string> = new Map([...STATUS_BY_NAME].map(([k, v]) => [v, k]));

/** The name a query (and a GROUP BY ExecutionStatus answer) uses for a status; unknown ones as their number. */
export function statusName(status: number): string {
  return NAME_BY_STATUS.get(status) ?? String(status);
}

export function bindQuery(q: Query, options: BindOptions): BoundQuery {
  const b = new Binder(options.custom);
  if (q.groupBy.length > 0) {
    if (!options.allowGroupBy) throw notSupported("'GROUP BY' clause");
    if (q.groupBy.length > 1) throw notSupported("'GROUP BY' clause supports only a single field");
  }
  const groupBy = q.groupBy.map((name) => {
    const a = b.resolve(name);
    if (a.name !== 'ExecutionStatus')
      throw notSupported(`'GROUP BY' clause is not supported for search attribute ${name}`);
    return a;
  });
  const orderBy = q.orderBy.map((o): OrderBy<Attribute> => {
    const a = b.resolve(o.column);
    if (a.type === 'Text') throw invalidExpression('unable to sort by field of Text type, use field of type Keyword');
    return { column: a, descending: o.descending };
  });
  const where = q.where && b.expr(q.where);
  return { where, orderBy, groupBy, mentionsNamespaceDivision: b.mentionsNamespaceDivision };
}

class Binder {
  mentionsNamespaceDivision = false;

  constructor(private readonly custom: Readonly<Record<string, number>>) {}

  resolve(name: string): Attribute {
    const found = this.lookup(name) ?? this.lookup(`Temporal${name}`) ?? this.lookup(name.replace(/^Temporal/, ''));
    if (!found) throw invalidExpression(`column name '${name}' is not a valid search attribute`);
    if (found.name === 'TemporalNamespaceDivision') this.mentionsNamespaceDivision = true;
    return found;
  }

  private lookup(name: string): Attribute | undefined {
    const system = SYSTEM_ATTRIBUTES.get(name);
    if (system) return { name, type: system, system: true };
    const type = attributeType(name, this.custom);
    return type ? { name, type, system: false } : undefined;
  }

  expr(e: Expr): BoundExpr {
    switch (e.kind) {
      case 'and':
      case 'or':
        return { kind: e.kind, left: this.expr(e.left), right: this.expr(e.right) };
      case 'not':
        return { kind: 'not', expr: this.expr(e.expr) };
      case 'isNull':
        return { ...e, column: this.resolve(e.column) };
      case 'compare': {
        const a = this.resolve(e.column);
        if ((a.type === 'KeywordList' || a.type === 'Text') && e.op !== '=' && e.op !== '!=')
          throw invalidExpression(
            `operator '${e.op}' not supported for ${a.type} type search attribute in \`${render(e)}\``,
          );
        return { kind: 'compare', column: a, op: e.op, value: this.value(a, e.value) };
      }
      case 'in': {
        const a = this.resolve(e.column);
        if (a.type === 'Text')
          throw invalidExpression(`operator 'in' not supported for Text type search attribute in \`${render(e)}\``);
        return { kind: 'in', column: a, negated: e.negated, values: e.values.map((v) => this.value(a, v)) };
      }
      case 'between': {
        const a = this.resolve(e.column);
        if (a.type === 'Bool')
          throw invalidExpression(`cannot do range condition on search attribute '${a.name}' of type Bool`);
        if (a.type === 'KeywordList' || a.type === 'Text')
          throw invalidExpression(
            `operator 'between' not supported for ${a.type} type search attribute in \`${render(e)}\``,
          );
        return { ...e, column: a, low: this.value(a, e.low), high: this.value(a, e.high) };
      }
      case 'startsWith': {
        const a = this.resolve(e.column);
        if (e.prefix.kind !== 'string')
          throw invalidExpression(
            `right-hand side of 'starts_with' must be a literal string (got: ${literalText(e.prefix)})`,
          );
        if (a.type !== 'Keyword' || a.name === 'ExecutionStatus')
          throw invalidExpression(
            `operator 'starts_with' not supported for ${a.type} type search attribute in \`${render(e)}\``,
          );
        return { ...e, column: a, prefix: e.prefix.value };
      }
    }
  }

  private value(a: Attribute, v: Literal): Value {
    if (a.name === 'ExecutionStatus') return statusValue(v);
    if (a.name === 'ExecutionDuration') return durationValue(v);
    switch (a.type) {
      case 'Keyword':
      case 'KeywordList':
        return v.kind === 'number' ? v.text : v.kind === 'bool' ? String(v.value) : v.value;
      case 'Text': {
        const text = v.kind === 'number' ? v.text : String(v.value);
        if (text.trim() === '')
          throw invalidExpression(`unexpected value for Text type search attribute (no tokens found in ${text})`);
        return text;
      }
      case 'Int': {
        const n =
          v.kind === 'number' ? v.value : v.kind === 'string' && /^-?\d+$/.test(v.value.trim()) ? Number(v.value) : NaN;
        if (!Number.isInteger(n)) throw invalidValue(a, v);
        return n;
      }
      case 'Double': {
        const n = v.kind === 'number' ? v.value : v.kind === 'string' && v.value.trim() !== '' ? Number(v.value) : NaN;
        if (Number.isNaN(n)) throw invalidValue(a, v);
        return n;
      }
      case 'Bool':
        if (v.kind === 'bool') return v.value;
        if (v.kind === 'string' && /^(true|false)$/i.test(v.value)) return v.value.toLowerCase() === 'true';
        throw invalidValue(a, v);
      case 'Datetime': {
        // A string in RFC 3339, or an integer of Unix nanoseconds (Temporal's two forms).
        const ms =
          v.kind === 'string'
            ? parseDatetimeMs(v.value)
            : v.kind === 'number' && v.integer
              ? nanosToMs(v.text)
              : undefined;
        if (ms === undefined) throw invalidExpression(`unable to parse datetime '${literalText(v)}'`);
        return ms;
      }
    }
  }
}

function invalidValue(a: Attribute, v: Literal): InvalidArgumentError {
  return invalidExpression(`invalid value for search attribute ${a.name} of type ${a.type}: ${literalText(v)}`);
}

function statusValue(v: Literal): number {
  if (v.kind === 'number' && v.integer && NAME_BY_STATUS.has(v.value)) return v.value;
  if (v.kind === 'string') {
    const byName = STATUS_BY_NAME.get(v.value);
    if (byName !== undefined) return byName;
    const byEnum = (enums.WorkflowExecutionStatus as unknown as Record<string, unknown>)[v.value];
    if (typeof byEnum === 'number' && v.value.startsWith('WORKFLOW_EXECUTION_STATUS_') && byEnum > 0) return byEnum;
  }
  throw invalidExpression(`invalid ExecutionStatus value '${literalText(v)}'`);
}

const DURATION_UNITS_NS: ReadonlyMap<string, number> = new Map([
  ['ns', 1],
  ['us', 1e3],
  ['µs', 1e3],
  ['ms', 1e6],
  ['s', 1e9],
  ['m', 60e9],
  ['h', 3600e9],
  ['d', 86400e9],
]);

/** ExecutionDuration: integer nanoseconds, a Go duration (`300ms`, `1.5h`, `2h45m`, `3d`) or `hh:mm:ss`. */
function durationValue(v: Literal): number {
  if (v.kind === 'number' && v.integer) return v.value;
  if (v.kind === 'string') {
    const clock = /^(\d+):([0-5]\d):([0-5]\d)$/.exec(v.value);
    if (clock) return ((Number(clock[1]) * 60 + Number(clock[2])) * 60 + Number(clock[3])) * 1e9;
    const parts = [...v.value.matchAll(/(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h|d)/g)];
    if (parts.length > 0 && parts.map((p) => p[0]).join('') === v.value)
      return parts.reduce((sum, p) => sum + Number(p[1]) * (DURATION_UNITS_NS.get(p[2] ?? '') ?? 0), 0);
  }
  throw new InvalidArgumentError(
    `invalid query: invalid value for search attribute ExecutionDuration: ${literalText(v)} (not a duration)`,
  );
}

/** Unix nanoseconds (possibly past 2^53) to epoch ms with microseconds as the fraction. */
function nanosToMs(text: string): number {
  const ns = BigInt(text);
  return Number(ns / 1000n) / 1000;
}

function literalText(v: Literal): string {
  return v.kind === 'number' ? v.text : String(v.value);
}

function render(e: Expr): string {
  const lit = (v: Literal): string => (v.kind === 'string' ? `'${v.value}'` : literalText(v));
  switch (e.kind) {
    case 'compare':
      return `${e.column} ${e.op} ${lit(e.value)}`;
    case 'in':
      return `${e.column} ${e.negated ? 'not in' : 'in'} (${e.values.map(lit).join(', ')})`;
    case 'between':
      return `${e.column} ${e.negated ? 'not between' : 'between'} ${lit(e.low)} and ${lit(e.high)}`;
    case 'startsWith':
      return `${e.column} ${e.negated ? 'not starts_with' : 'starts_with'} ${lit(e.prefix)}`;
    default:
      return e.kind;
  }
}
