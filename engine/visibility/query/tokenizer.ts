/**
 * Tokens of the list filter: identifiers (plain or back-quoted), quoted strings ('…' or "…", with backslash escapes
 * and doubled quotes as in MySQL), numbers, comparison operators and punctuation. Keywords are identifiers the
 * parser recognises case-insensitively. Positions are 1-based character offsets just past the token, as the
 * SQL parser Temporal uses reports them.
 */
import { syntaxError } from './errors.js';

export type TokenKind = 'ident' | 'quotedIdent' | 'string' | 'number' | 'op' | 'lparen' | 'rparen' | 'comma' | 'eof';

export interface Token {
  kind: TokenKind;
  text: string;
  /** 1-based offset just past the token. */
  end: number;
}

/** Longest first. `-` only ever appears as the sign of a number. */
const OPERATORS = ['<=', '>=', '!=', '<>', '=', '<', '>', '-'];

export function tokenize(query: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  const n = query.length;
  while (i < n) {
    const c = query.charAt(i);
    if (/\s/.test(c)) {
      i++;
      continue;
    }
    const start = i;
    if (c === '(' || c === ')' || c === ',') {
      i++;
      tokens.push({ kind: c === '(' ? 'lparen' : c === ')' ? 'rparen' : 'comma', text: c, end: i });
      continue;
    }
    if (c === "'" || c === '"') {
      let value = '';
      i++;
      for (;;) {
        if (i >= n) throw syntaxError(n + 1, query.slice(start));
        const d = query.charAt(i);
        if (d === '\\' && i + 1 < n) {
          value += unescape(query.charAt(i + 1));
          i += 2;
        } else if (d === c && query.charAt(i + 1) === c) {
          value += c;
          i += 2;
        } else if (d === c) {
          i++;
          break;
        } else {
          value += d;
          i++;
        }
      }
      tokens.push({ kind: 'string', text: value, end: i });
      continue;
    }
    if (c === '`') {
      const close = query.indexOf('`', i + 1);
      if (close < 0) throw syntaxError(n + 1, query.slice(start));
      i = close + 1;
      tokens.push({ kind: 'quotedIdent', text: query.slice(start + 1, close), end: i });
      continue;
    }
    const number = /^(?:\d+\.?\d*(?:[eE][+-]?\d+)?|\.\d+(?:[eE][+-]?\d+)?)/.exec(query.slice(i));
    if (number) {
      i += number[0].length;
      tokens.push({ kind: 'number', text: number[0], end: i });
      continue;
    }
    const ident = /^[A-Za-z_][A-Za-z0-9_]*/.exec(query.slice(i));
    if (ident) {
      i += ident[0].length;
      tokens.push({ kind: 'ident', text: ident[0], end: i });
      continue;
    }
    const op = OPERATORS.find((o) => query.startsWith(o, i));
    if (op) {
      i += op.length;
      tokens.push({ kind: 'op', text: op === '<>' ? '!=' : op, end: i });
      continue;
    }
    throw syntaxError(i + 1, query.slice(i));
  }
  tokens.push({ kind: 'eof', text: '', end: n + 1 });
  return tokens;
}

function unescape(c: string): string {
  switch (c) {
    case 'n':
      return '\n';
    case 't':
      return '\t';
    case 'r':
      return '\r';
    case '0':
      return '\0';
    default:
      return c;
  }
}
