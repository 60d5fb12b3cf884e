import { describe, expect, it } from 'vitest';
import { compileQuery } from './query.js';
import type { VisibilityRecord } from './visibility-store.js';

const rec = (workflowId: string, status: number, workflowType = 'hello'): VisibilityRecord => ({
  namespaceId: 'ns',
  workflowId,
  runId: 'r',
  workflowType,
  taskQueue: 'q',
  status,
  startTimeMs: 0,
  executionTimeMs: 0,
  closeTimeMs: 0,
  historyLength: 0,
  historySizeBytes: 0,
  firstRunId: 'r',
  searchAttributes: {},
  memo: {},
});

describe('visibility query language', () => {
  it('matches =, !=, STARTS_WITH, IN and AND', () => {
    const q = compileQuery(
      `WorkflowId STARTS_WITH "run-1" AND ExecutionStatus IN ('Running', 'Completed') AND WorkflowType != 'other'`,
    );
    expect(q.matches(rec('run-1-5', 1))).toBe(true);
    expect(q.matches(rec('run-1-5', 5))).toBe(false);
    expect(q.matches(rec('run-2-5', 1))).toBe(false);
    expect(q.matches(rec('run-1-5', 2, 'other'))).toBe(false);
  });

  it('accepts GROUP BY ExecutionStatus and an ORDER BY', () => {
    expect(compileQuery('GROUP BY ExecutionStatus').groupByStatus).toBe(true);
    expect(compileQuery('ExecutionStatus = "Running" ORDER BY StartTime DESC').matches(rec('a', 1))).toBe(true);
    expect(compileQuery('').matches(rec('a', 3))).toBe(true);
  });

  it.each([
    'Bogus = "x"',
    'WorkflowId = x',
    'WorkflowId ~ "x"',
    'WorkflowId = "x" OR WorkflowId = "y"',
    'GROUP BY WorkflowType',
    "WorkflowId IN ('a'",
  ])('rejects %s with INVALID_ARGUMENT', (query) => {
    expect(() => compileQuery(query)).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }) as Error);
  });
});
