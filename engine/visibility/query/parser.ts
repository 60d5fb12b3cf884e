/**
 * A recursive-descent parser for Temporal's list filter:
 *
 *   query     := [expr] { GROUP BY column {, column} | ORDER BY column [ASC|DESC] {, column [ASC|DESC]} }
 *   expr      := and { OR and }
 *   and       := not { AND not }
 *   not       := NOT not | '(' expr ')' | predicate
 *   predicate := column op value | column [NOT] IN '(' value {, value} ')' | column [NOT] BETWEEN value AND value
 *              | column [NOT] STARTS_WITH value | column IS [NOT] NULL
 *   op        := = | != | <> | < | <= | > | >=
 *   value     := 'string' | "string" | [-]number | TRUE | FALSE
 *
 * Precedence is SQL's (NOT > AND > OR), keywords are case-insensitive, columns are identifiers or `back-quoted`.
 * Errors carry Temporal's messages (see errors.ts).
 */
import type { ComparisonOp, Expr, Literal, OrderBy, Query } from './ast.js';
import { invalidExpression, notSupported, syntaxError } from './errors.js';
import { tokenize, type Token } from './tokenizer.js';

const RESERVED = new Set([
  'AND',
  'OR',
  'NOT',
  'IN',
  'BETWEEN',
  'IS',
  'NULL',
  'ORDER',
  'GROUP',
  'BY',
  'ASC',
  'DESC',
  'TRUE',
  'FALSE',
  'STARTS_WITH',
  'LIMIT',
  'LIKE',
  'REGEXP',
  'RLIKE',
]);

export function parseQuery(text: string): Query {
  return new Parser(text).parse();
}

class Parser {
  private readonly tokens: Token[];
  private i = 0;

  constructor(private readonly text: string) {
    this.tokens = tokenize(text);
  }

  parse(): Query {
    const query: Query = { where: undefined, orderBy: [], groupBy: [] };
    if (!this.isKeyword('ORDER') && !this.isKeyword('GROUP') && this.peek().kind !== 'eof') query.where = this.or();
    for (;;) {
      if (this.acceptKeyword('GROUP')) {
        this.expectKeyword('BY');
        do query.groupBy.push(this.column());
        while (this.accept('comma'));
      } else if (this.acceptKeyword('ORDER')) {
        this.expectKeyword('BY');
        do query.orderBy.push(this.orderTerm());
        while (this.accept('comma'));
      } else if (this.isKeyword('LIMIT')) {
        throw notSupported("'LIMIT' clause");
      } else break;
    }
    if (this.peek().kind !== 'eof') throw this.unexpected();
    return query;
  }

  private orderTerm(): OrderBy {
    const column = this.column();
    if (this.acceptKeyword('DESC')) return { column, descending: true };
    this.acceptKeyword('ASC');
    return { column, descending: false };
  }

  private or(): Expr {
    let left = this.and();
    while (this.acceptKeyword('OR')) left = { kind: 'or', left, right: this.and() };
    return left;
  }

  private and(): Expr {
    let left = this.not();
    while (this.acceptKeyword('AND')) left = { kind: 'and', left, right: this.not() };
    return left;
  }

  private not(): Expr {
    if (this.acceptKeyword('NOT')) return { kind: 'not', expr: this.not() };
    if (this.accept('lparen')) {
      const inner = this.or();
      this.expect('rparen');
      return inner;
    }
    return this.predicate();
  }

  private predicate(): Expr {
    const column = this.column();
    const t = this.peek();
    if (t.kind === 'lparen') throw notSupported('function expression');
    if (t.kind === 'op' && t.text !== '-') {
      this.i++;
      return { kind: 'compare', column, op: t.text as ComparisonOp, value: this.value(t.text) };
    }
    if (this.acceptKeyword('IS')) {
      const negated = this.acceptKeyword('NOT');
      if (!this.acceptKeyword('NULL'))
        throw invalidExpression("'IS' operator can only be used with 'NULL' or 'NOT NULL'");
      return { kind: 'isNull', column, negated };
    }
    const negated = this.acceptKeyword('NOT');
    if (this.acceptKeyword('IN')) {
      this.expect('lparen');
      const values: Literal[] = [];
      do values.push(this.value('in'));
      while (this.accept('comma'));
      this.expect('rparen');
      return { kind: 'in', column, negated, values };
    }
    if (this.acceptKeyword('BETWEEN')) {
      const low = this.value('between');
      this.expectKeyword('AND');
      return { kind: 'between', column, negated, low, high: this.value('between') };
    }
    if (this.acceptKeyword('STARTS_WITH'))
      return { kind: 'startsWith', column, negated, prefix: this.value('starts_with') };
    for (const op of ['LIKE', 'REGEXP', 'RLIKE'])
      if (this.isKeyword(op)) throw invalidExpression(`invalid operator '${op.toLowerCase()}' in \`${this.text}\``);
    if (negated) throw this.unexpected();
    // `WHERE X`, `X AND …`, `(X)`: a column with no condition.
    const next = this.peek();
    if (
      next.kind === 'eof' ||
      next.kind === 'rparen' ||
      this.isKeyword('AND') ||
      this.isKeyword('OR') ||
      this.isKeyword('ORDER') ||
      this.isKeyword('GROUP')
    )
      throw invalidExpression('incomplete expression');
    throw this.unexpected();
  }

  private column(): string {
    const t = this.peek();
    if (t.kind === 'quotedIdent' || (t.kind === 'ident' && !RESERVED.has(t.text.toUpperCase()))) {
      this.i++;
      return t.text;
    }
    throw this.unexpected();
  }

  private value(op: string): Literal {
    const t = this.peek();
    this.i++;
    if (t.kind === 'string') return { kind: 'string', value: t.text };
    if (t.kind === 'op' && t.text === '-' && this.peek().kind === 'number') {
      const n = this.tokens[this.i++] as Token;
      return numberLiteral(`-${n.text}`);
    }
    if (t.kind === 'number') return numberLiteral(t.text);
    if (t.kind === 'ident' && t.text.toUpperCase() === 'TRUE') return { kind: 'bool', value: true };
    if (t.kind === 'ident' && t.text.toUpperCase() === 'FALSE') return { kind: 'bool', value: false };
    if ((t.kind === 'ident' && !RESERVED.has(t.text.toUpperCase())) || t.kind === 'quotedIdent') {
      if (op === 'starts_with')
        throw invalidExpression(`right-hand side of 'starts_with' must be a literal string (got: ${t.text})`);
      throw notSupported(
        `column name on the right side of comparison expression (did you forget to quote '${t.text}'?)`,
      );
    }
    this.i--;
    throw this.unexpected();
  }

  private peek(): Token {
    return this.tokens[this.i] ?? (this.tokens.at(-1) as Token);
  }

  private accept(kind: Token['kind']): boolean {
    if (this.peek().kind !== kind) return false;
    this.i++;
    return true;
  }

  private expect(kind: Token['kind']): void {
    if (!this.accept(kind)) throw this.unexpected();
  }

  private isKeyword(word: string): boolean {
    const t = this.peek();
    return t.kind === 'ident' && t.text.toUpperCase() === word;
  }

  private acceptKeyword(word: string): boolean {
    if (!this.isKeyword(word)) return false;
    this.i++;
    return true;
  }

  private expectKeyword(word: string): void {
    if (!this.acceptKeyword(word)) throw this.unexpected();
  }

  private unexpected(): Error {
    const t = this.peek();
    return syntaxError(t.end, t.kind === 'eof' ? '' : t.kind === 'string' ? t.text : t.text);
  }
}

function numberLiteral(text: string): Literal {
  const integer = /^-?\d+$/.test(text);
  return { kind: 'number', value: Number(text), text, integer };
}
