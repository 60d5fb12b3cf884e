/**
 * The list filter on PostgreSQL against the in-memory evaluator: the same records in executions_visibility and in
 * the engine's in-memory index, the same queries (system columns, every custom attribute type, values of the wrong
 * type, NULLs, three-valued NOT, KeywordList contains, Text tokens, CloseTime of open runs, ORDER BY, GROUP BY) —
 * List pages and Count must agree exactly. Also shows which queries PostgreSQL answered by SQL and which by the
 * in-memory fallback (statement classes visibility.list / visibility.scan). On the run's test PostgreSQL.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { api, enums } from '../engine/proto.js';
import { createPostgresStores, type PostgresStores } from '../engine/persistence/postgres/index.js';
import { VisibilityStore, type VisibilityRecord } from '../engine/visibility/visibility-store.js';
import { DEV_SERVER_DEFAULT_ATTRIBUTES } from '../engine/visibility/search-attributes.js';
import { freshPostgres } from './helpers/postgres.js';

const NS = 'ns-1';
const S = enums.WorkflowExecutionStatus;
const custom = { ...DEV_SERVER_DEFAULT_ATTRIBUTES, Tags: enums.IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD_LIST };
const T0 = Date.UTC(2024, 0, 1);

function payload(json: unknown): string {
  const p = api.common.v1.Payload.encode({
    metadata: { encoding: Buffer.from('json/plain') },
    data: Buffer.from(JSON.stringify(json)),
  }).finish();
  return Buffer.from(p).toString('base64');
}

function record(i: number, closed: boolean, attributes: Record<string, unknown>): VisibilityRecord {
  const start = T0 + i * 3_600_000 + 0.25;
  return {
    namespaceId: NS,
    workflowId: `wf-${i % 7}`,
    runId: `run-${String(i).padStart(3, '0')}`,
    workflowType: i % 3 === 0 ? 'typeA' : 'typeB',
    taskQueue: 'q',
    status: closed ? ([S.WORKFLOW_EXECUTION_STATUS_COMPLETED, S.WORKFLOW_EXECUTION_STATUS_FAILED][i % 2] ?? 0) : 1,
    startTimeMs: start,
    executionTimeMs: start,
    closeTimeMs: closed ? start + (i % 5) * 1000 + 500 : 0,
    historyLength: 3 + i,
    historySizeBytes: 100 * i,
    firstRunId: `run-${i}`,
    searchAttributes: Object.fromEntries(Object.entries(attributes).map(([k, v]) => [k, payload(v)])),
    memo: {},
  };
}

const RECORDS: VisibilityRecord[] = [
  record(1, true, { CustomKeywordField: 'a', CustomIntField: 1, Tags: ['red', 'blue'] }),
  record(2, true, { CustomKeywordField: ['a'], CustomIntField: 2, CustomDoubleField: 1.5, CustomBoolField: true }),
  record(3, false, { CustomKeywordField: 'b', CustomIntField: 7, CustomTextField: 'the quick brown fox' }),
  record(4, false, { CustomIntField: '7', CustomDoubleField: 2.5, CustomBoolField: false, Tags: 'green' }),
  record(5, true, { CustomIntField: 2.5, CustomDatetimeField: '2024-06-02T10:00:00.123456Z', Tags: ['red', 5] }),
  record(6, true, { CustomKeywordField: 'B', CustomDatetimeField: '2024-01-02T00:00:00+02:00', Tags: [] }),
  record(7, false, { CustomKeywordField: 'é', CustomTextField: 'lazy\tdog', CustomBoolField: [true] }),
  record(8, true, { CustomKeywordField: 'a', TemporalNamespaceDivision: 'div' }),
  record(9, true, { CustomIntField: 10, CustomDoubleField: 0.1, CustomDatetimeField: 'not a date' }),
  record(10, false, {}),
  record(11, true, { CustomKeywordField: 'a b', CustomIntField: 3, Tags: ['blue'] }),
];

const LIST_QUERIES = [
  '',
  "WorkflowId = 'wf-1'",
  "WorkflowId != 'wf-1' AND ExecutionStatus = 'Running'",
  "ExecutionStatus IN ('Completed', 'Failed')",
  "ExecutionStatus NOT IN ('Running')",
  'ExecutionStatus > 1',
  "WorkflowType STARTS_WITH 'typeA'",
  "WorkflowId NOT STARTS_WITH 'wf-1'",
  'CloseTime IS NULL',
  'CloseTime IS NOT NULL',
  "CloseTime > '2024-01-01T05:00:00Z'",
  "CloseTime < '2030-01-01T00:00:00Z'",
  "StartTime BETWEEN '2024-01-01T02:00:00Z' AND '2024-01-01T06:00:00Z'",
  "StartTime NOT BETWEEN '2024-01-01T02:00:00Z' AND '2024-01-01T06:00:00Z'",
  'HistoryLength > 8',
  'HistorySizeBytes <= 500',
  "ExecutionDuration > '2s'",
  'ParentWorkflowId IS NULL',
  "CustomKeywordField = 'a'",
  "CustomKeywordField != 'a'",
  "NOT CustomKeywordField = 'a'",
  "CustomKeywordField > 'a'",
  "CustomKeywordField IN ('a', 'B')",
  "CustomKeywordField STARTS_WITH 'a'",
  'CustomKeywordField IS NULL',
  "CustomKeywordField = 'a' OR CustomIntField > 3",
  "NOT (CustomKeywordField = 'a' OR CustomIntField > 3)",
  'CustomIntField >= 2 AND CustomIntField < 10',
  'CustomIntField IN (1, 2, 7)',
  'CustomIntField NOT IN (1, 2)',
  'CustomDoubleField BETWEEN 0.5 AND 2.5',
  'CustomDoubleField = 0.1',
  'CustomBoolField = true',
  'CustomBoolField != true',
  "CustomDatetimeField > '2024-06-01T00:00:00Z'",
  "CustomDatetimeField = '2024-06-02T10:00:00.123456Z'",
  "CustomDatetimeField < '2024-01-01T23:00:00Z'",
  "CustomTextField = 'quick cat'",
  "CustomTextField != 'dog'",
  "Tags = 'red'",
  "Tags != 'red'",
  "Tags IN ('blue', 'green')",
  'Tags IS NULL',
  "TemporalNamespaceDivision = 'div'",
  'TemporalNamespaceDivision IS NOT NULL',
  'ORDER BY CustomIntField',
  'ORDER BY CustomIntField DESC',
  'ORDER BY WorkflowId DESC, StartTime',
  'ORDER BY CloseTime',
  'ORDER BY CloseTime DESC',
  'ORDER BY ExecutionStatus',
  'ORDER BY CustomKeywordField',
  'ORDER BY CustomBoolField DESC',
  'ORDER BY CustomDatetimeField',
  'CustomIntField > 0 ORDER BY CustomDoubleField DESC, CustomKeywordField',
];
const FALLBACK_QUERIES = ['ORDER BY Tags', 'CustomIntField > 0 ORDER BY Tags DESC'];
const COUNT_QUERIES = ['', 'GROUP BY ExecutionStatus', 'CustomIntField > 1 GROUP BY ExecutionStatus', "Tags = 'red'"];

let stores: PostgresStores;
const memory = new VisibilityStore();

beforeAll(async () => {
  stores = await createPostgresStores({ url: await freshPostgres('visq'), poolSize: 2 });
  for (const r of RECORDS) {
    memory.upsert(r);
    await stores.visibility?.upsert(r);
  }
});
afterAll(async () => {
  await stores.close();
});

async function pgList(query: string): Promise<string[]> {
  const out: string[] = [];
  let offset: number | undefined = 0;
  // Pages of 4: paging over the SQL order must give the same sequence as one sort in memory.
  while (offset !== undefined) {
    const page = await stores.visibility!.list(NS, query, { custom }, 4, offset);
    out.push(...page.records.map((r) => r.runId));
    offset = page.nextOffset;
  }
  return out;
}

function memoryList(query: string): string[] {
  return memory.list(NS, query, { custom }, 1000, 0).records.map((r) => r.runId);
}

function statements(name: string): number {
  return stores.metrics.snapshot()[name]?.count ?? 0;
}

describe('the list filter on PostgreSQL', () => {
  it('List answers every query as the in-memory evaluator does, by SQL', async () => {
    const scans = statements('visibility.scan');
    for (const q of LIST_QUERIES) expect(await pgList(q), q).toEqual(memoryList(q));
    // Each of them was translated: no namespace scan for the in-memory fallback.
    expect(statements('visibility.scan')).toBe(scans);
    expect(statements('visibility.list')).toBeGreaterThanOrEqual(LIST_QUERIES.length);
  });

  it('what SQL does not translate (ORDER BY a KeywordList) is evaluated in memory, with the same answer', async () => {
    const scans = statements('visibility.scan');
    for (const q of FALLBACK_QUERIES) expect(await pgList(q), q).toEqual(memoryList(q));
    expect(statements('visibility.scan')).toBeGreaterThan(scans);
  });

  it('Count, with and without GROUP BY ExecutionStatus, as in memory', async () => {
    for (const q of COUNT_QUERIES) {
      const a = await stores.visibility!.count(NS, q, { custom });
      const b = memory.count(NS, q, { custom });
      expect(a.count, q).toBe(b.count);
      const sorted = (g: { status: number; count: number }[] | undefined) =>
        g && [...g].sort((x, y) => x.status - y.status);
      expect(sorted(a.groups), q).toEqual(sorted(b.groups));
    }
  });

  it('a refused filter is refused the same way (no SQL runs)', async () => {
    const q = "CustomTextField > 'a'";
    expect(() => memory.list(NS, q, { custom }, 10, 0)).toThrow(/not supported for Text/);
    await expect(stores.visibility!.list(NS, q, { custom }, 10, 0)).rejects.toThrow(/not supported for Text/);
  });
});
