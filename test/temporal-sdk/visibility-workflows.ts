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
