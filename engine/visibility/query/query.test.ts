import { describe, expect, it } from 'vitest';
import { enums } from '../../proto.js';
import type { SearchAttributeValue } from '../search-attributes.js';
import { compileFilter, type Attribute } from './bind.js';
import { compileMatcher, compileOrder } from './evaluate.js';
import { parseQuery } from './parser.js';

const IVT = enums.IndexedValueType;
const custom = {
  CustomKeyword: IVT.INDEXED_VALUE_TYPE_KEYWORD,
  CustomInt: IVT.INDEXED_VALUE_TYPE_INT,
  CustomDouble: IVT.INDEXED_VALUE_TYPE_DOUBLE,
  CustomBool: IVT.INDEXED_VALUE_TYPE_BOOL,
  CustomDatetime: IVT.INDEXED_VALUE_TYPE_DATETIME,
  CustomText: IVT.INDEXED_VALUE_TYPE_TEXT,
  CustomList: IVT.INDEXED_VALUE_TYPE_KEYWORD_LIST,
};

type Row = Record<string, SearchAttributeValue | undefined>;
const get = (row: Row, a: Attribute): SearchAttributeValue | undefined => row[a.name];

function matches(query: string, row: Row): boolean {
  return compileMatcher(compileFilter(query, { custom, allowGroupBy: true }), get)(row);
}

const T0 = Date.UTC(2026, 0, 1);
const row: Row = {
  WorkflowId: 'order-17',
  WorkflowType: 'OrderWorkflow',
  ExecutionStatus: enums.WorkflowExecutionStatus.WORKFLOW_EXECUTION_STATUS_RUNNING,
  StartTime: T0,
  CustomKeyword: 'gold',
  CustomInt: 42,
  CustomDouble: 2.5,
  CustomBool: true,
  CustomDatetime: T0 + 3600_000,
  CustomText: 'the quick brown fox',
  CustomList: ['a', 'b'],
};

describe('the list filter parser', () => {
  it('builds an AST with SQL precedence (NOT > AND > OR), ORDER BY and GROUP BY', () => {
    expect(parseQuery("a = 'x' OR NOT b = 1 AND c IS NULL ORDER BY d DESC, e")).toEqual({
      where: {
        kind: 'or',
        left: { kind: 'compare', column: 'a', op: '=', value: { kind: 'string', value: 'x' } },
        right: {
          kind: 'and',
          left: {
            kind: 'not',
            expr: {
              kind: 'compare',
              column: 'b',
              op: '=',
              value: { kind: 'number', value: 1, text: '1', integer: true },
            },
          },
          right: { kind: 'isNull', column: 'c', negated: false },
        },
      },
      orderBy: [
        { column: 'd', descending: true },
        { column: 'e', descending: false },
      ],
      groupBy: [],
    });
    expect(parseQuery('GROUP BY ExecutionStatus')).toEqual({
      where: undefined,
      orderBy: [],
      groupBy: ['ExecutionStatus'],
    });
    expect(parseQuery('`Custom Field` <> "x"').where).toMatchObject({ column: 'Custom Field', op: '!=' });
  });
});

describe('the list filter evaluated', () => {
  it.each([
    ["WorkflowId = 'order-17'", true],
    ["WorkflowId != 'order-17'", false],
    ["WorkflowId STARTS_WITH 'order-'", true],
    ["WorkflowId NOT STARTS_WITH 'order-'", false],
    ["WorkflowId IN ('a', 'order-17')", true],
    ["WorkflowId NOT IN ('a', 'order-17')", false],
    ["ExecutionStatus = 'Running' AND WorkflowType = 'OrderWorkflow'", true],
    ["ExecutionStatus = 'WORKFLOW_EXECUTION_STATUS_RUNNING'", true],
    ['ExecutionStatus = 1', true],
    ["(ExecutionStatus = 'Completed' OR CustomInt > 40) AND CustomBool = true", true],
    ["ExecutionStatus = 'Completed' OR CustomInt > 42", false],
    ['CustomInt BETWEEN 40 AND 42', true],
    ['CustomInt NOT BETWEEN 40 AND 42', false],
    ['CustomDouble >= 2.5 AND CustomDouble < 3', true],
    ['CustomInt = -1', false],
    ["StartTime >= '2026-01-01T00:00:00Z' AND StartTime < '2026-01-01T00:00:00.001+00:00'", true],
    [`StartTime = ${BigInt(T0) * 1_000_000n}`, true],
    ["CustomDatetime BETWEEN '2026-01-01T00:30:00Z' AND '2026-01-01T01:30:00Z'", true],
    ["CloseTime > '2030-01-01T00:00:00Z'", true], // open: compares as 9999-12-31, like Temporal's COALESCE
    ['CloseTime IS NULL', true],
    ['CloseTime IS NOT NULL', false],
    ["CustomList = 'a'", true],
    ["CustomList != 'a'", false],
    ["CustomList IN ('z', 'b')", true],
    ["CustomList NOT IN ('z', 'b')", false],
    ["CustomText = 'slow fox'", true],
    ["CustomText = 'slow dog'", false],
    ["CustomText != 'quick'", false],
    ["CustomKeyword = 'gold' AND CustomKeyword > 'aaa'", true],
    // Unknown is not false: NOT (missing = x) stays unknown, so the row does not match either way.
    ['HistoryLength = 3', false],
    ['NOT HistoryLength = 3', false],
    ['HistoryLength IS NULL', true],
    ["CustomKeyword = 'gold' OR HistoryLength = 3", true],
  ])('%s -> %s', (query, expected) => {
    expect(matches(query, row)).toBe(expected);
  });

  it('hides executions with a TemporalNamespaceDivision unless the filter names it', () => {
    const system = { ...row, TemporalNamespaceDivision: 'TemporalScheduler' };
    expect(matches('', system)).toBe(false);
    expect(matches("TemporalNamespaceDivision = 'TemporalScheduler'", system)).toBe(true);
    expect(matches('NamespaceDivision IS NOT NULL', system)).toBe(true);
  });

  it('orders by ORDER BY columns (missing last), then the default order', () => {
    const q = compileFilter('ORDER BY CustomInt DESC', { custom, allowGroupBy: false });
    const rows: Row[] = [{ CustomInt: 1 }, {}, { CustomInt: 3 }];
    expect(rows.sort(compileOrder(q, get, () => 0)).map((r) => r.CustomInt)).toEqual([3, 1, undefined]);
  });
});

describe('the list filter refused as Temporal refuses it', () => {
  it.each([
    ["Bogus = 'x'", "invalid query: invalid expression: column name 'Bogus' is not a valid search attribute"],
    ['WorkflowId = x', "column name on the right side of comparison expression (did you forget to quote 'x'?)"],
    ["WorkflowId = 'a' AND", 'invalid query: malformed SQL query: syntax error at position'],
    ["WorkflowId IN ('a'", 'invalid query: malformed SQL query: syntax error'],
    ['WorkflowId', 'invalid query: invalid expression: incomplete expression'],
    ["WorkflowId LIKE 'a%'", "invalid operator 'like'"],
    ['WorkflowId IS TRUE', "'IS' operator can only be used with 'NULL' or 'NOT NULL'"],
    ["ExecutionStatus = 'Sleeping'", "invalid ExecutionStatus value 'Sleeping'"],
    ["StartTime > '2026-01-01'", "unable to parse datetime '2026-01-01'"],
    ["CustomList > 'a'", "operator '>' not supported for KeywordList type search attribute"],
    ["CustomText IN ('a')", "operator 'in' not supported for Text type search attribute"],
    ['CustomBool BETWEEN true AND false', "cannot do range condition on search attribute 'CustomBool' of type Bool"],
    ['WorkflowId STARTS_WITH 1', "right-hand side of 'starts_with' must be a literal string (got: 1)"],
    ["CustomInt = 'many'", 'invalid value for search attribute CustomInt of type Int: many'],
    ["lower(WorkflowId) = 'a'", 'operation is not supported: function expression'],
    ["WorkflowId = 'a' LIMIT 5", "operation is not supported: 'LIMIT' clause"],
    ['GROUP BY WorkflowType', "'GROUP BY' clause is not supported for search attribute WorkflowType"],
    ['ORDER BY CustomText', 'unable to sort by field of Text type, use field of type Keyword'],
    ["constructor STARTS_WITH 'x'", "column name 'constructor' is not a valid search attribute"],
  ])('%s', (query, message) => {
    expect(() => compileFilter(query, { custom, allowGroupBy: true })).toThrow(
      expect.objectContaining({
        code: 'INVALID_ARGUMENT',
        message: expect.stringContaining(message) as string,
      }) as Error,
    );
  });

  it('refuses GROUP BY in a list', () => {
    expect(() => compileFilter('GROUP BY ExecutionStatus', { custom, allowGroupBy: false })).toThrow(
      "invalid query: operation is not supported: 'GROUP BY' clause",
    );
  });
});
