/**
 * The list filter, bound to the namespace's search attributes (engine/visibility/query/bind.ts), as parameterised
 * SQL over executions_visibility, with the semantics the in-memory evaluator (query/evaluate.ts) gives it:
 *
 * - system attributes are columns; HistoryLength, HistorySizeBytes and ExecutionDuration are NULL while the run is
 *   open, CloseTime compares as 9999-12-31T23:59:59Z while open (Temporal's `COALESCE(close_time, max)`) but IS NULL
 *   and ORDER BY see it as NULL;
 * - other attributes come from the `search_attributes` JSONB (values as decoded at write time, a one-element array
 *   unwrapped), typed per the attribute's type with a CASE that yields NULL for a value of another type (as
 *   `typedValue` yields undefined); Datetime values from `search_attribute_times` (epoch ms, parsed at write time
 *   by the same RFC 3339 parser the evaluator uses);
 * - KeywordList `=` / `IN` mean "contains", Text `=` any of the query's tokens among the value's tokens;
 * - strings compare byte-wise (`COLLATE "C"`), SQL's three-valued logic does the rest; ORDER BY puts missing values
 *   last in both directions, then Temporal's default order.
 *
 * Every value is a bound parameter (names too); nothing from the query is spliced into the text. What is not
 * translated (ORDER BY a KeywordList) returns undefined, and the caller evaluates the filter in memory instead.
 */
import type { Attribute, BoundExpr, BoundQuery, Value } from '../../visibility/query/bind.js';
import { msFromTs } from './values.js';

export interface SqlQuery {
  /** Conditions to AND after `namespace_id = $1` (empty for no filter). */
  where: string;
  /** ORDER BY list (without the keywords). */
  orderBy: string;
  params: unknown[];
}

/** 9999-12-31T23:59:59Z in epoch ms: what an open execution's CloseTime compares as. */
const OPEN_CLOSE_TIME_MS = Date.UTC(9999, 11, 31, 23, 59, 59);
/** What JavaScript's `\s` matches (the evaluator splits Text on `/\s+/`), as a regular-expression class. */
const JS_WHITESPACE = '[\t\n\u000b\f\r \u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000\ufeff]+';
const CLOSED = 'close_time IS NOT NULL';
const NO_COLLATION = new Set(['Int', 'Double', 'Bool', 'Datetime']);

/** Temporal's list order: open runs first, then close time descending, start time descending, run id. */
export const DEFAULT_ORDER = 'close_time DESC NULLS FIRST, start_time DESC, run_id COLLATE "C"';

class Untranslatable extends Error {}

/** `firstParam`: the number of the first parameter the query may use. Undefined when it cannot be translated. */
export function toSql(q: BoundQuery, firstParam: number): SqlQuery | undefined {
  const params: unknown[] = [];
  const bind = (v: unknown, type: string): string => {
    params.push(v);
    return `$${firstParam + params.length - 1}::${type}`;
  };
  const t = new Translator(bind);
  try {
    const conditions: string[] = [];
    // Runs of another division (a Keyword value) are left out unless the filter names it. Written as the value's
    // JSON type being other than string — the same condition as the typed value IS NULL — which the planner
    // estimates as nearly always true (a CASE ... IS NULL it estimates at 0.5 %, and then sorts rather than
    // paging the default-order index).
    if (!q.mentionsNamespaceDivision)
      conditions.push(
        `jsonb_typeof(search_attributes -> ${bind('TemporalNamespaceDivision', 'text')}) IS DISTINCT FROM 'string'`,
      );
    if (q.where) conditions.push(t.expr(q.where));
    const order = q.orderBy.map((o) => {
      if (o.column.type === 'KeywordList' || o.column.type === 'Text') throw new Untranslatable();
      const collate = NO_COLLATION.has(o.column.type) || o.column.name === 'ExecutionStatus' ? '' : ' COLLATE "C"';
      return `${t.column(o.column)}${collate} ${o.descending ? 'DESC' : 'ASC'} NULLS LAST`;
    });
    return {
      where: conditions.map((c) => ` AND ${c}`).join(''),
      orderBy: [...order, DEFAULT_ORDER].join(', '),
      params,
    };
  } catch (err) {
    if (err instanceof Untranslatable) return undefined;
    throw err;
  }
}

type Bind = (v: unknown, type: string) => string;

class Translator {
  constructor(private readonly bind: Bind) {}

  expr(e: BoundExpr): string {
    switch (e.kind) {
      case 'and':
        return `(${this.expr(e.left)} AND ${this.expr(e.right)})`;
      case 'or':
        return `(${this.expr(e.left)} OR ${this.expr(e.right)})`;
      case 'not':
        return `(NOT ${this.expr(e.expr)})`;
      case 'isNull':
        return `(${this.column(e.column)} IS ${e.negated ? 'NOT ' : ''}NULL)`;
      case 'compare': {
        const a = e.column;
        if (a.type === 'KeywordList') {
          const has = `(${this.column(a)} @> jsonb_build_array(${this.bind(String(e.value), 'text')}))`;
          return e.op === '=' ? has : `(NOT ${has})`;
        }
        if (a.type === 'Text') {
          const has = `(regexp_split_to_array(${this.column(a)}, ${this.bind(JS_WHITESPACE, 'text')}) && ${this.bind(tokens(String(e.value)), 'text[]')})`;
          return e.op === '=' ? has : `(NOT ${has})`;
        }
        const op = e.op === '!=' ? '<>' : e.op;
        return `(${this.operand(a)} ${op} ${this.value(a, e.value)})`;
      }
      case 'in': {
        const a = e.column;
        const found =
          a.type === 'KeywordList'
            ? `(${this.column(a)} ?| ${this.bind(e.values.map(String), 'text[]')})`
            : `(${this.operand(a)} = ANY(${this.bind(e.values, `${this.sqlType(a)}[]`)}))`;
        return e.negated ? `(NOT ${found})` : found;
      }
      case 'between': {
        const a = e.column;
        const range = `(${this.operand(a)} BETWEEN ${this.value(a, e.low)} AND ${this.value(a, e.high)})`;
        return e.negated ? `(NOT ${range})` : range;
      }
      case 'startsWith': {
        const has = `starts_with(${this.column(e.column)}, ${this.bind(String(e.prefix), 'text')})`;
        return e.negated ? `(NOT ${has})` : has;
      }
    }
  }

  /** The attribute as compared (CloseTime of an open run as 9999-12-31), strings byte-wise. */
  private operand(a: Attribute): string {
    if (a.name === 'CloseTime' && a.system) return `COALESCE(${this.column(a)}, ${OPEN_CLOSE_TIME_MS}::float8)`;
    const collate = this.sqlType(a) === 'text' ? ' COLLATE "C"' : '';
    return `${this.column(a)}${collate}`;
  }

  private value(a: Attribute, v: Value): string {
    return this.bind(v, this.sqlType(a));
  }

  private sqlType(a: Attribute): string {
    if (a.name === 'ExecutionStatus' && a.system) return 'integer';
    switch (a.type) {
      case 'Int':
      case 'Double':
      case 'Datetime':
        return 'float8';
      case 'Bool':
        return 'boolean';
      default:
        return 'text';
    }
  }

  /** The attribute's value in a row, NULL when it has none (or one of another type). */
  column(a: Attribute): string {
    if (a.system) return systemColumn(a);
    if (a.type === 'Datetime') return `((search_attribute_times ->> ${this.bind(a.name, 'text')})::float8)`;
    const v = `(search_attributes -> ${this.bind(a.name, 'text')})`;
    const is = (type: string): string => `jsonb_typeof(${v}) = '${type}'`;
    switch (a.type) {
      case 'Keyword':
      case 'Text':
        return `(CASE WHEN ${is('string')} THEN ${v} #>> '{}' END)`;
      case 'Int':
        // (Nested: a CASE evaluates its branches in order, an AND in any order, and a string cannot be cast.)
        return `(CASE WHEN ${is('number')} THEN (CASE WHEN ${v}::numeric % 1 = 0 THEN ${v}::float8 END) END)`;
      case 'Double':
        return `(CASE WHEN ${is('number')} THEN ${v}::float8 END)`;
      case 'Bool':
        return `(CASE WHEN ${is('boolean')} THEN ${v}::boolean END)`;
      case 'KeywordList':
        return `(CASE WHEN ${is('string')} THEN jsonb_build_array(${v}) WHEN ${is('array')} AND NOT jsonb_path_exists(${v}, 'strict $[*] ? (@.type() != "string")') THEN ${v} END)`;
    }
  }
}

function systemColumn(a: Attribute): string {
  switch (a.name) {
    case 'WorkflowId':
      return 'workflow_id';
    case 'RunId':
      return 'run_id';
    case 'WorkflowType':
      return 'workflow_type_name';
    case 'TaskQueue':
      return 'task_queue';
    case 'ExecutionStatus':
      return 'status';
    case 'StartTime':
      return msFromTs('start_time');
    case 'ExecutionTime':
      return msFromTs('execution_time');
    case 'CloseTime':
      return msFromTs('close_time');
    // Written when the run closes (NULL while it runs), as Temporal's SQL visibility does.
    case 'HistoryLength':
      return `(CASE WHEN ${CLOSED} THEN history_length::float8 END)`;
    case 'HistorySizeBytes':
      return `(CASE WHEN ${CLOSED} THEN history_size_bytes::float8 END)`;
    case 'ExecutionDuration':
      return `(CASE WHEN ${CLOSED} THEN GREATEST(0::float8, ${msFromTs('close_time')} - ${msFromTs('execution_time')}) * 1000000::float8 END)`;
    default:
      // Not kept (StateTransitionCount, parent and root ids): NULL, as the evaluator sees them.
      return a.type === 'Keyword' ? 'NULL::text' : 'NULL::float8';
  }
}

function tokens(text: string): string[] {
  return text.split(/\s+/).filter(Boolean);
}
