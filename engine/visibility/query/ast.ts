/**
 * The syntax tree of Temporal's list filter (the WHERE clause of `select * from executions where <query>`, plus
 * ORDER BY and GROUP BY), as the parser produces it: names are still the user's, literals still untyped. `bind.ts`
 * resolves names to search attributes and types the literals; evaluators (in memory here, SQL elsewhere) walk
 * the bound tree. Kept free of evaluation so another backend can translate it.
 */

export type Literal =
  | { kind: 'string'; value: string }
  /** `text` is the literal as written (an integer may exceed 2^53: Datetime as Unix nanoseconds). */
  | { kind: 'number'; value: number; text: string; integer: boolean }
  | { kind: 'bool'; value: boolean };

export type ComparisonOp = '=' | '!=' | '<' | '<=' | '>' | '>=';

/** A boolean expression over columns `C` and values `V` (unbound: names and literals; bound: attributes and typed values). */
export type Expr<C = string, V = Literal> =
  | { kind: 'and'; left: Expr<C, V>; right: Expr<C, V> }
  | { kind: 'or'; left: Expr<C, V>; right: Expr<C, V> }
  | { kind: 'not'; expr: Expr<C, V> }
  | { kind: 'compare'; column: C; op: ComparisonOp; value: V }
  | { kind: 'in'; column: C; negated: boolean; values: V[] }
  | { kind: 'between'; column: C; negated: boolean; low: V; high: V }
  | { kind: 'startsWith'; column: C; negated: boolean; prefix: V }
  | { kind: 'isNull'; column: C; negated: boolean };

export interface OrderBy<C = string> {
  column: C;
  descending: boolean;
}

export interface Query<C = string, V = Literal> {
  /** Undefined for an empty filter (everything). */
  where: Expr<C, V> | undefined;
  orderBy: OrderBy<C>[];
  groupBy: C[];
}
