/**
 * The bound filter evaluated in memory, with SQL's three-valued logic (a comparison with a missing value is
 * unknown, and NOT unknown stays unknown), and Temporal's SQL semantics per type: KeywordList `=` means "contains",
 * Text `=` matches any of the query's space-separated tokens against the value's tokens, and CloseTime compares as
 * 9999-12-31 while the execution is open (Temporal's `COALESCE(close_time, …)`).
 */
import type { SearchAttributeValue } from '../search-attributes.js';
import type { Attribute, BoundExpr, BoundQuery, Value } from './bind.js';

/** A row's value of an attribute, undefined when it has none (SQL NULL). */
export type Getter<R> = (row: R, a: Attribute) => SearchAttributeValue | undefined;

/** 9999-12-31T23:59:59Z, what an open execution's CloseTime compares as. */
const OPEN_CLOSE_TIME_MS = Date.UTC(9999, 11, 31, 23, 59, 59);

export function compileMatcher<R>(q: BoundQuery, get: Getter<R>): (row: R) => boolean {
  const where = q.where;
  const division: Attribute = { name: 'TemporalNamespaceDivision', type: 'Keyword', system: false };
  return (row) => {
    if (!q.mentionsNamespaceDivision && get(row, division) !== undefined) return false;
    return where === undefined || evaluate(where, row, get) === true;
  };
}

function evaluate<R>(e: BoundExpr, row: R, get: Getter<R>): boolean | null {
  switch (e.kind) {
    case 'and': {
      const l = evaluate(e.left, row, get);
      if (l === false) return false;
      const r = evaluate(e.right, row, get);
      return r === false ? false : l === null || r === null ? null : true;
    }
    case 'or': {
      const l = evaluate(e.left, row, get);
      if (l === true) return true;
      const r = evaluate(e.right, row, get);
      return r === true ? true : l === null || r === null ? null : false;
    }
    case 'not': {
      const v = evaluate(e.expr, row, get);
      return v === null ? null : !v;
    }
    case 'isNull':
      return (get(row, e.column) === undefined) !== e.negated;
    case 'compare': {
      const v = compared(row, e.column, get);
      if (v === undefined) return null;
      if (Array.isArray(v)) {
        const has = v.includes(String(e.value));
        return e.op === '=' ? has : !has;
      }
      if (e.column.type === 'Text') {
        const has = textMatches(String(v), String(e.value));
        return e.op === '=' ? has : !has;
      }
      const c = order(v, e.value);
      switch (e.op) {
        case '=':
          return c === 0;
        case '!=':
          return c !== 0;
        case '<':
          return c < 0;
        case '<=':
          return c <= 0;
        case '>':
          return c > 0;
        case '>=':
          return c >= 0;
      }
      return null;
    }
    case 'in': {
      const v = compared(row, e.column, get);
      if (v === undefined) return null;
      const found = Array.isArray(v)
        ? e.values.some((x) => v.includes(String(x)))
        : e.values.some((x) => order(v, x) === 0);
      return found !== e.negated;
    }
    case 'between': {
      const v = compared(row, e.column, get);
      if (v === undefined || Array.isArray(v)) return null;
      return (order(v, e.low) >= 0 && order(v, e.high) <= 0) !== e.negated;
    }
    case 'startsWith': {
      const v = get(row, e.column);
      if (typeof v !== 'string') return null;
      return v.startsWith(String(e.prefix)) !== e.negated;
    }
  }
}

function compared<R>(row: R, a: Attribute, get: Getter<R>): SearchAttributeValue | undefined {
  const v = get(row, a);
  if (v === undefined && a.name === 'CloseTime') return OPEN_CLOSE_TIME_MS;
  return v;
}

/** Orders two scalar values of one attribute (numbers numerically, strings by code unit, false < true). */
export function order(a: SearchAttributeValue | Value, b: SearchAttributeValue | Value): number {
  if (typeof a === 'number' && typeof b === 'number') return a - b;
  if (typeof a === 'boolean' && typeof b === 'boolean') return Number(a) - Number(b);
  const x = String(a);
  const y = String(b);
  return x < y ? -1 : x > y ? 1 : 0;
}

function textMatches(value: string, query: string): boolean {
  const tokens = new Set(value.split(/\s+/).filter(Boolean));
  return query
    .split(/\s+/)
    .filter(Boolean)
    .some((t) => tokens.has(t));
}

/**
 * The comparator of an ORDER BY (missing values last), falling back to `tie` (the default order) on equal keys.
 */
export function compileOrder<R>(q: BoundQuery, get: Getter<R>, tie: (a: R, b: R) => number): (a: R, b: R) => number {
  if (q.orderBy.length === 0) return tie;
  return (a, b) => {
    for (const o of q.orderBy) {
      const x = get(a, o.column);
      const y = get(b, o.column);
      if (x === undefined || y === undefined) {
        if (x !== y) return x === undefined ? 1 : -1;
        continue;
      }
      const c = order(Array.isArray(x) ? x.join(',') : x, Array.isArray(y) ? y.join(',') : y);
      if (c !== 0) return o.descending ? -c : c;
    }
    return tie(a, b);
  };
}
