/**
 * Custom search attributes and Temporal's list filter, with the real @temporalio/client and worker: OperatorService
 * Add/List/Remove, typed attributes at start and from UpsertWorkflowSearchAttributes, Describe and List returning
 * them typed, refusals with Temporal's messages, and List/Count queries with OR, parentheses, ranges, IN,
 * STARTS_WITH, IS NULL, ORDER BY and GROUP BY ExecutionStatus — on memory, Cassandra and PostgreSQL (where List and
 * Count are SQL). On Cassandra and PostgreSQL the attributes and the visibility answers survive an engine restart.
 */
import { randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { temporal } from '@temporalio/proto';
import type { Client, Connection } from '@temporalio/client';
import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';
import { bundleWorkflowCode, type NativeConnection, type Worker } from '@temporalio/worker';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BACKENDS, testEngine, type TestEngine } from './helpers/engine.js';
import { eventTypes } from './helpers/history.js';
import { sdkClient, sdkWarnings, sdkWorker } from './helpers/sdk.js';
import type * as workflows from './temporal-sdk/visibility-workflows.js';

const IVT = temporal.api.enums.v1.IndexedValueType;

/** The messages of an error and its causes (the client wraps the server's status in its own error). */
async function failureText(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (err) {
    const parts: string[] = [];
    for (let e: unknown = err; e instanceof Error; e = e.cause) parts.push(e.message);
    return parts.join(' <- ');
  }
  return 'no error';
}
const TQ = 'visibility';
const bundle = bundleWorkflowCode({
  workflowsPath: fileURLToPath(new URL('./temporal-sdk/visibility-workflows.ts', import.meta.url)),
});

const intKey = defineSearchAttributeKey('CustomIntField', SearchAttributeType.INT);
const keywordKey = defineSearchAttributeKey('CustomKeywordField', SearchAttributeType.KEYWORD);
const datetimeKey = defineSearchAttributeKey('CustomDatetimeField', SearchAttributeType.DATETIME);
const regionsKey = defineSearchAttributeKey('Regions', SearchAttributeType.KEYWORD_LIST);

describe.each([...BACKENDS, 'postgres' as const])('on the %s store', (store) => {
  let t: TestEngine;
  let worker: Worker;
  let workerConnection: NativeConnection;
  let running: Promise<void>;
  let client: Client;
  let connection: Connection;

  async function startAll(): Promise<void> {
    ({ worker, connection: workerConnection } = await sdkWorker(t.engine.address, TQ, {
      workflowBundle: await bundle,
    }));
    running = worker.run();
    ({ client, connection } = await sdkClient(t.engine.address));
  }

  async function stopAll(): Promise<void> {
    worker?.shutdown();
    await running;
    await workerConnection?.close();
    await connection?.close();
  }

  beforeAll(async () => {
    t = await testEngine({ store });
    await startAll();
  }, 120_000);

  afterAll(async () => {
    await stopAll();
    await t?.close();
  });

  const id = (prefix: string): string => `${prefix}-${randomUUID().slice(0, 8)}`;
  const operator = () => connection.operatorService;

  it('registers, lists and removes custom search attributes through OperatorService', async () => {
    const before = await operator().listSearchAttributes({ namespace: 'default' });
    // What Temporal's dev server registers in `default`.
    expect(before.customAttributes).toMatchObject({
      CustomKeywordField: IVT.INDEXED_VALUE_TYPE_KEYWORD,
      CustomIntField: IVT.INDEXED_VALUE_TYPE_INT,
      CustomDatetimeField: IVT.INDEXED_VALUE_TYPE_DATETIME,
    });
    expect(before.systemAttributes).toMatchObject({
      WorkflowId: IVT.INDEXED_VALUE_TYPE_KEYWORD,
      StartTime: IVT.INDEXED_VALUE_TYPE_DATETIME,
      TemporalScheduledById: IVT.INDEXED_VALUE_TYPE_KEYWORD,
    });
    await operator().addSearchAttributes({
      namespace: 'default',
      searchAttributes: { Regions: IVT.INDEXED_VALUE_TYPE_KEYWORD_LIST, Scratch: IVT.INDEXED_VALUE_TYPE_BOOL },
    });
    // Adding one that exists succeeds and changes nothing (Temporal skips it).
    await operator().addSearchAttributes({
      namespace: 'default',
      searchAttributes: { Regions: IVT.INDEXED_VALUE_TYPE_INT },
    });
    await operator().removeSearchAttributes({ namespace: 'default', searchAttributes: ['Scratch'] });
    const after = await operator().listSearchAttributes({ namespace: 'default' });
    expect(after.customAttributes?.Regions).toBe(IVT.INDEXED_VALUE_TYPE_KEYWORD_LIST);
    expect(after.customAttributes).not.toHaveProperty('Scratch');

    await expect(
      operator().addSearchAttributes({
        namespace: 'default',
        searchAttributes: { TemporalMine: IVT.INDEXED_VALUE_TYPE_KEYWORD },
      }),
    ).rejects.toThrow('Search attribute TemporalMine is reserved by system.');
    const notAType = 99 as temporal.api.enums.v1.IndexedValueType; // deliberately outside the enum
    await expect(
      operator().addSearchAttributes({ namespace: 'default', searchAttributes: { X: notAType } }),
    ).rejects.toThrow('Unknown search attribute type: 99.');
    await expect(operator().addSearchAttributes({ namespace: 'default', searchAttributes: {} })).rejects.toThrow(
      'SearchAttributes are not set on request.',
    );
    await expect(
      operator().removeSearchAttributes({ namespace: 'default', searchAttributes: ['WorkflowId'] }),
    ).rejects.toThrow('Unable to remove non-custom search attributes: WorkflowId.');
    // The rest of OperatorService is not served, with a message that says which feature is missing.
    await expect(operator().listNexusEndpoints({})).rejects.toThrow(
      'OperatorService/ListNexusEndpoints: Nexus is not supported by the stampede reference engine',
    );
    await expect(operator().listSearchAttributes({ namespace: '' })).rejects.toThrow(
      'Namespace is not set on request.',
    );
  });

  it('stores typed attributes at start and returns them typed from Describe and List', async () => {
    const when = new Date('2026-03-04T05:06:07.123Z');
    const h = await client.workflow.start<typeof workflows.parked>('parked', {
      taskQueue: TQ,
      workflowId: id('typed'),
      typedSearchAttributes: [
        { key: intKey, value: 7 },
        { key: keywordKey, value: 'gold' },
        { key: datetimeKey, value: when },
        { key: regionsKey, value: ['eu', 'us'] },
      ],
      searchAttributes: { CustomDoubleField: [1.5] }, // untyped: no type metadata on the wire
    });
    const d = await h.describe();
    expect(d.typedSearchAttributes.get(intKey)).toBe(7);
    expect(d.typedSearchAttributes.get(keywordKey)).toBe('gold');
    expect(d.typedSearchAttributes.get(datetimeKey)).toEqual(when);
    expect(d.typedSearchAttributes.get(regionsKey)).toEqual(['eu', 'us']);
    const raw = d.raw.workflowExecutionInfo?.searchAttributes?.indexedFields ?? {};
    expect(Buffer.from(raw.CustomDoubleField?.metadata?.type ?? []).toString()).toBe('Double');
    expect(d.typedSearchAttributes.get(defineSearchAttributeKey('CustomDoubleField', SearchAttributeType.DOUBLE))).toBe(
      1.5,
    );
    const listed = [];
    for await (const w of client.workflow.list({ query: `WorkflowId = '${h.workflowId}'` })) listed.push(w);
    expect(listed).toHaveLength(1);
    expect(listed[0]?.typedSearchAttributes.get(regionsKey)).toEqual(['eu', 'us']);
    await h.terminate();
  });

  it('refuses attributes the namespace does not have, or of the wrong type, as Temporal does', async () => {
    const start = (searchAttributes: Record<string, unknown[]>) =>
      client.workflow.start<typeof workflows.parked>('parked', {
        taskQueue: TQ,
        workflowId: id('bad-sa'),
        searchAttributes: searchAttributes as Record<string, string[]>,
      });
    expect(await failureText(start({ NoSuchAttribute: ['x'] }))).toContain(
      'INVALID_ARGUMENT: Namespace default has no mapping defined for search attribute NoSuchAttribute',
    );
    expect(await failureText(start({ CustomIntField: ['many'] }))).toContain(
      'INVALID_ARGUMENT: invalid value for search attribute CustomIntField of type Int: ["many"]',
    );
    expect(await failureText(start({ WorkflowId: ['x'] }))).toContain(
      "INVALID_ARGUMENT: WorkflowId attribute can't be set in SearchAttributes",
    );
  });

  it('applies UpsertWorkflowSearchAttributes from workflow code, deletions included', async () => {
    const h = await client.workflow.start<typeof workflows.upsertAndReport>('upsertAndReport', {
      taskQueue: TQ,
      workflowId: id('upsert'),
      searchAttributes: { CustomBoolField: [true], CustomTextField: ['to be removed'], CustomIntField: [1] },
    });
    const seen = await h.result();
    expect(seen).toMatchObject({ CustomIntField: [2], CustomKeywordField: ['upserted'], CustomDoubleField: [6.5] });
    expect(seen).not.toHaveProperty('CustomBoolField');
    const events = (await h.fetchHistory()).events ?? [];
    expect(eventTypes(events).filter((e) => e === 'UPSERT_WORKFLOW_SEARCH_ATTRIBUTES')).toHaveLength(2);
    const d = await h.describe();
    // BuildIds is Temporal's own (the worker's build id, below); the rest is what the workflow left.
    expect(Object.keys(d.searchAttributes).sort()).toEqual([
      'BuildIds',
      'CustomDoubleField',
      'CustomIntField',
      'CustomKeywordField',
    ]);
    expect(d.typedSearchAttributes.get(intKey)).toBe(2);
    const count = await client.workflow.count(`WorkflowId = '${h.workflowId}' AND CustomBoolField IS NULL`);
    expect(count.count).toBe(1);
  });

  it('hands history out with typed attributes and keeps BuildIds from the worker version stamp, as Temporal does', async () => {
    const when = new Date('2026-03-04T05:06:07.123Z');
    const h = await client.workflow.start<typeof workflows.reportStartAttributes>('reportStartAttributes', {
      taskQueue: TQ,
      workflowId: id('typed-history'),
      searchAttributes: { CustomDatetimeField: [when], CustomIntField: [3] }, // untyped: no type metadata on the wire
    });
    // The worker got the started event's attributes typed, so the SDK decoded the Datetime to a Date.
    expect(await h.result()).toEqual({ datetimeIsDate: true, datetime: when.toISOString(), int: 3 });
    const events = (await h.fetchHistory()).events ?? [];
    const started = events[0]?.workflowExecutionStartedEventAttributes?.searchAttributes?.indexedFields ?? {};
    expect(Buffer.from(started.CustomDatetimeField?.metadata?.type ?? []).toString()).toBe('Datetime');
    expect(Buffer.from(started.CustomIntField?.metadata?.type ?? []).toString()).toBe('Int');
    const buildId = events.find((e) => e.workflowTaskCompletedEventAttributes)?.workflowTaskCompletedEventAttributes
      ?.workerVersion?.buildId;
    expect(buildId).toBe(worker.options.buildId);
    const d = await h.describe();
    expect(d.searchAttributes.BuildIds).toEqual(['unversioned', `unversioned:${buildId}`]);
    const query = `WorkflowId = '${h.workflowId}' AND BuildIds = 'unversioned:${buildId}'`;
    await expect.poll(async () => (await client.workflow.count(query)).count).toBe(1);
  });

  it('fails the workflow task with BAD_SEARCH_ATTRIBUTES for an upsert of an unknown attribute', async () => {
    const h = await client.workflow.start<typeof workflows.badUpsert>('badUpsert', {
      taskQueue: TQ,
      workflowId: id('bad-upsert'),
    });
    let failed: temporal.api.history.v1.IHistoryEvent | undefined;
    for (let i = 0; i < 100 && !failed; i++) {
      failed = ((await h.fetchHistory()).events ?? []).find((e) => e.workflowTaskFailedEventAttributes);
      if (!failed) await new Promise((r) => setTimeout(r, 100));
    }
    expect(failed?.workflowTaskFailedEventAttributes?.cause).toBe(
      temporal.api.enums.v1.WorkflowTaskFailedCause.WORKFLOW_TASK_FAILED_CAUSE_BAD_SEARCH_ATTRIBUTES,
    );
    // Temporal prefixes the message with the cause's name (workflowTaskHandlerImpl's failWorkflowTask).
    expect(failed?.workflowTaskFailedEventAttributes?.failure?.message).toBe(
      'BadSearchAttributes: Namespace default has no mapping defined for search attribute NotRegisteredAnywhere',
    );
    await h.terminate();
  });

  it('lists and counts with the full filter grammar', async () => {
    const tag = id('tag');
    const started = new Date();
    const handles = [];
    for (const n of [1, 2, 3, 4]) {
      handles.push(
        await client.workflow.start<typeof workflows.parked>('parked', {
          taskQueue: TQ,
          workflowId: `${tag}-${n}`,
          typedSearchAttributes: [
            { key: keywordKey, value: tag },
            { key: intKey, value: n },
          ],
        }),
      );
    }
    await handles[0]?.terminate();
    await client.workflow.execute<typeof workflows.quick>('quick', {
      taskQueue: TQ,
      workflowId: `${tag}-done`,
      args: [5],
      typedSearchAttributes: [{ key: keywordKey, value: tag }],
    });
    const ids = async (query: string): Promise<string[]> => {
      const out: string[] = [];
      for await (const w of client.workflow.list({ query })) out.push(w.workflowId);
      return out;
    };
    const mine = `CustomKeywordField = '${tag}'`;
    expect((await ids(`${mine} AND (CustomIntField < 2 OR CustomIntField >= 4)`)).sort()).toEqual([
      `${tag}-1`,
      `${tag}-4`,
    ]);
    expect(await ids(`${mine} AND CustomIntField BETWEEN 2 AND 4 ORDER BY CustomIntField DESC`)).toEqual([
      `${tag}-4`,
      `${tag}-3`,
      `${tag}-2`,
    ]);
    expect(await ids(`${mine} AND CustomIntField IS NULL`)).toEqual([`${tag}-done`]);
    expect((await ids(`${mine} AND ExecutionStatus IN ('Completed', 'Terminated')`)).sort()).toEqual([
      `${tag}-1`,
      `${tag}-done`,
    ]);
    expect(
      await ids(
        `WorkflowId STARTS_WITH '${tag}-' AND NOT ExecutionStatus = 'Running' AND CloseTime IS NOT NULL ORDER BY WorkflowId`,
      ),
    ).toEqual([`${tag}-1`, `${tag}-done`]);
    const from = new Date(started.getTime() - 1000).toISOString();
    const to = new Date(Date.now() + 1000).toISOString();
    expect(await ids(`${mine} AND StartTime BETWEEN '${from}' AND '${to}'`)).toHaveLength(5);
    expect(await ids(`${mine} AND StartTime < '${from}'`)).toHaveLength(0);
    // Temporal's default order: open executions first (newest start first), then closed by close time.
    const all = await ids(mine);
    expect(all.slice(0, 3)).toEqual([`${tag}-4`, `${tag}-3`, `${tag}-2`]);

    const counted = await client.workflow.count(`${mine} GROUP BY ExecutionStatus`);
    expect(counted.count).toBe(5);
    const groups = Object.fromEntries(counted.groups.map((g) => [String(g.groupValues[0]), g.count]));
    expect(groups).toEqual({ Running: 3, Terminated: 1, Completed: 1 });
    expect((await client.workflow.count(`${mine} AND CustomIntField > 2`)).count).toBe(2);

    expect(await failureText(ids(`${mine} AND`))).toMatch(
      /INVALID_ARGUMENT: invalid query: malformed SQL query: syntax error at position \d+ near ''/,
    );
    expect(await failureText(ids('Nope = 1'))).toContain(
      "INVALID_ARGUMENT: invalid query: invalid expression: column name 'Nope' is not a valid search attribute",
    );
    for (const h of handles.slice(1)) await h.terminate();
  });

  if (store !== 'memory') {
    it('keeps custom search attributes across an engine restart', async () => {
      await operator().addSearchAttributes({
        namespace: 'default',
        searchAttributes: { Durable: IVT.INDEXED_VALUE_TYPE_DATETIME },
      });
      // Visibility too: what the engine answers after the restart (from PostgreSQL's executions_visibility, or
      // rebuilt from Cassandra's executions) is what it answered before.
      const terminated = "ExecutionStatus = 'Terminated' AND CustomKeywordField IS NOT NULL";
      const before = (await client.workflow.count(terminated)).count;
      expect(before).toBeGreaterThan(0);
      await stopAll();
      const { keyspace, postgres } = t;
      await t.close();
      t = await testEngine({ store, keyspace, postgres });
      await startAll();
      const listed = await operator().listSearchAttributes({ namespace: 'default' });
      expect(listed.customAttributes?.Durable).toBe(IVT.INDEXED_VALUE_TYPE_DATETIME);
      expect(listed.customAttributes?.Regions).toBe(IVT.INDEXED_VALUE_TYPE_KEYWORD_LIST);
      expect((await client.workflow.count(terminated)).count).toBe(before);
    });
  }

  it('left the SDK nothing to warn about', () => {
    // Expected ones: the worker told its upsert was refused, and its retried task gone once the run was terminated.
    const expected = (w: string): boolean =>
      w.includes('NotRegisteredAnywhere') || w.includes('Workflow task not found.');
    expect(sdkWarnings().filter((w) => !expected(w))).toEqual([]);
  });
});
