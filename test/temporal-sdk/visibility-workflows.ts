/** Workflows for the visibility tests: search attributes upserted from workflow code, and runs that end at once. */
import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';
import { condition, upsertSearchAttributes, workflowInfo } from '@temporalio/workflow';

export async function quick(n: number): Promise<number> {
  return Promise.resolve(n);
}

export async function parked(): Promise<void> {
  await condition(() => false);
}

/** Untyped and typed upserts, with deletions of both kinds; returns the attributes the workflow then sees. */
export async function upsertAndReport(): Promise<Record<string, unknown>> {
  upsertSearchAttributes({ CustomIntField: [2], CustomBoolField: [], CustomKeywordField: ['upserted'] });
  upsertSearchAttributes([
    { key: defineSearchAttributeKey('CustomDoubleField', SearchAttributeType.DOUBLE), value: 6.5 },
    { key: defineSearchAttributeKey('CustomTextField', SearchAttributeType.TEXT), value: null },
  ]);
  return Promise.resolve({ ...workflowInfo().searchAttributes });
}

export async function badUpsert(): Promise<void> {
  upsertSearchAttributes({ NotRegisteredAnywhere: ['x'] });
  await condition(() => false);
}

/** What the workflow sees of attributes set at start: a Datetime must arrive as a Date (the SDK decodes by type). */
export async function reportStartAttributes(): Promise<{ datetimeIsDate: boolean; datetime: string; int: unknown }> {
  const sa = workflowInfo().searchAttributes;
  const dt = sa.CustomDatetimeField?.[0];
  return Promise.resolve({
    datetimeIsDate: dt instanceof Date,
    datetime: dt instanceof Date ? dt.toISOString() : String(dt),
    int: sa.CustomIntField?.[0],
  });
}
