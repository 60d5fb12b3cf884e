/**
 * Schedules with the real @temporalio/client and worker on the virtual clock: a schedule every 30 days fires once a
 * second under time-scale 30 days/s; describe (spec canonicalized as Temporal's, recent actions, running workflows),
 * list, pause/unpause, trigger, backfill, update, delete; started workflows carry TemporalScheduledById and
 * TemporalScheduledStartTime — on memory, Cassandra and PostgreSQL. On Cassandra and PostgreSQL a schedule survives an
 * engine restart and keeps firing.
 */
import { randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { ScheduleNotFoundError, type Client, type Connection } from '@temporalio/client';
import { bundleWorkflowCode, type NativeConnection, type Worker } from '@temporalio/worker';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BACKENDS, testEngine, type TestEngine } from './helpers/engine.js';
import { sdkClient, sdkWarnings, sdkWorker } from './helpers/sdk.js';

const TQ = 'schedules';
const DAY_MS = 86_400_000;
/** 30 days of virtual time per real second. */
const SCALE = 30 * 86_400;
const bundle = bundleWorkflowCode({
  workflowsPath: fileURLToPath(new URL('./temporal-sdk/visibility-workflows.ts', import.meta.url)),
});

describe.each([...BACKENDS, 'postgres' as const])('on the %s store', (store) => {
  let t: TestEngine;
  let worker: Worker;
  let workerConnection: NativeConnection;
  let running: Promise<void>;
  let client: Client;
  let connection: Connection;

  async function startAll(same?: Pick<TestEngine, 'keyspace' | 'postgres'>): Promise<void> {
    t = await testEngine({
      store,
      timeScale: SCALE,
      defaultRetentionMs: 3650 * DAY_MS,
      ...(same?.keyspace ? { keyspace: same.keyspace } : {}),
      ...(same?.postgres ? { postgres: same.postgres } : {}),
    });
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
    await t?.close();
  }

  beforeAll(() => startAll(), 120_000);
  afterAll(() => stopAll());

  const id = (prefix: string): string => `${prefix}-${randomUUID().slice(0, 8)}`;

  async function until<T>(what: () => Promise<T>, ok: (v: T) => boolean): Promise<T> {
    let v = await what();
    for (let i = 0; i < 100 && !ok(v); i++) {
      await new Promise((r) => setTimeout(r, 100));
      v = await what();
    }
    return v;
  }

  it('fires a schedule every 30 days in seconds, and tags what it starts', async () => {
    const scheduleId = id('monthly');
    const h = await client.schedule.create({
      scheduleId,
      spec: { intervals: [{ every: '30 days' }] },
      action: {
        type: 'startWorkflow',
        workflowType: 'quick',
        args: [1],
        taskQueue: TQ,
        workflowId: `${scheduleId}-wf`,
      },
      // Each run waits for the one before (SKIP would drop a time whose predecessor is still running).
      policies: { overlap: 'BUFFER_ALL' },
    });
    const d = await until(
      () => h.describe(),
      (x) => x.info.recentActions.length >= 2,
    );
    expect(d.info.recentActions.length).toBeGreaterThanOrEqual(2);
    const [first, second] = d.info.recentActions;
    expect(second!.scheduledAt.getTime() - first!.scheduledAt.getTime()).toBe(30 * DAY_MS);
    const started = first!.action.workflow;
    expect(started.workflowId).toBe(`${scheduleId}-wf-${first!.scheduledAt.toISOString().replace('.000Z', 'Z')}`);
    const wf = await client.workflow.getHandle(started.workflowId).describe();
    expect(wf.searchAttributes.TemporalScheduledById).toEqual([scheduleId]);
    expect(wf.searchAttributes.TemporalScheduledStartTime).toEqual([first!.scheduledAt]);
    expect(await client.workflow.getHandle(started.workflowId).result()).toBe(1);
    const listed = await client.workflow.count(`TemporalScheduledById = '${scheduleId}'`);
    expect(listed.count).toBeGreaterThanOrEqual(2);
    expect(d.info.nextActionTimes.length).toBe(10);
    await h.delete();
    await expect(h.describe()).rejects.toBeInstanceOf(ScheduleNotFoundError);
  });

  it('describes a cron spec as Temporal canonicalizes it, and pauses, triggers, backfills, updates and lists', async () => {
    const scheduleId = id('cron');
    const h = await client.schedule.create({
      scheduleId,
      spec: { cronExpressions: ['0 12 * * MON-WED,FRI'] },
      action: {
        type: 'startWorkflow',
        workflowType: 'quick',
        args: [2],
        taskQueue: TQ,
        workflowId: `${scheduleId}-wf`,
      },
      state: { paused: true, note: 'created paused' },
      policies: { overlap: 'ALLOW_ALL', catchupWindow: '1 day' },
      searchAttributes: { CustomKeywordField: ['scheduled'] },
    });
    const d = await h.describe();
    expect(d.spec.calendars).toEqual([
      {
        second: [{ start: 0, end: 0, step: 1 }],
        minute: [{ start: 0, end: 0, step: 1 }],
        hour: [{ start: 12, end: 12, step: 1 }],
        dayOfMonth: [{ start: 1, end: 31, step: 1 }],
        month: [{ start: 'JANUARY', end: 'DECEMBER', step: 1 }],
        year: [],
        dayOfWeek: [
          { start: 'MONDAY', end: 'WEDNESDAY', step: 1 },
          { start: 'FRIDAY', end: 'FRIDAY', step: 1 },
        ],
        comment: '',
      },
    ]);
    expect(d.state.paused).toBe(true);
    expect(d.state.note).toBe('created paused');
    expect(d.policies).toMatchObject({ overlap: 'ALLOW_ALL', catchupWindow: DAY_MS });
    expect(d.info.recentActions).toEqual([]);
    expect(d.searchAttributes).toEqual({ CustomKeywordField: ['scheduled'] });

    // Trigger and backfill are manual: they run while paused.
    await h.trigger();
    const start = new Date(Date.UTC(2026, 0, 5)); // Monday
    await h.backfill({ start, end: new Date(start.getTime() + 7 * DAY_MS), overlap: 'ALLOW_ALL' });
    const after = await until(
      () => h.describe(),
      (x) => x.info.recentActions.length >= 5,
    );
    // The trigger, then Mon, Tue, Wed and Fri of that week at 12:00.
    expect(after.info.recentActions.slice(1).map((a) => a.scheduledAt.toISOString())).toEqual([
      '2026-01-05T12:00:00.000Z',
      '2026-01-06T12:00:00.000Z',
      '2026-01-07T12:00:00.000Z',
      '2026-01-09T12:00:00.000Z',
    ]);
    await h.unpause('back on');
    expect((await h.describe()).state).toMatchObject({ paused: false, note: 'back on' });
    await h.pause();

    await h.update((prev) => ({ ...prev, spec: { intervals: [{ every: '1 hour' }] } }));
    expect((await h.describe()).spec.intervals).toMatchObject([{ every: 3_600_000 }]);

    const ids: string[] = [];
    for await (const s of client.schedule.list({ query: `CustomKeywordField = 'scheduled'` })) ids.push(s.scheduleId);
    expect(ids).toContain(scheduleId);
    const counted = await connection.workflowService.countSchedules({
      namespace: 'default',
      query: `CustomKeywordField = 'scheduled' AND TemporalSchedulePaused = true`,
    });
    expect(Number(counted.count)).toBe(1);
    const all: string[] = [];
    for await (const s of client.schedule.list()) all.push(s.scheduleId);
    expect(all).toContain(scheduleId);
    await h.delete();
  });

  it('refuses bad specs and duplicate ids as Temporal does', async () => {
    const scheduleId = id('bad');
    const action = { type: 'startWorkflow' as const, workflowType: 'quick', args: [3], taskQueue: TQ };
    await expect(
      client.schedule.create({ scheduleId, spec: { cronExpressions: ['0 12 * *'] }, action }),
    ).rejects.toThrow('CronString does not have 5-7 fields');
    await expect(
      client.schedule.create({ scheduleId, spec: { intervals: [{ every: '100ms' }] }, action }),
    ).rejects.toThrow('interval is too small');
    const h = await client.schedule.create({
      scheduleId,
      spec: { intervals: [{ every: '1 day' }] },
      action,
      state: { paused: true },
    });
    await expect(
      client.schedule.create({ scheduleId, spec: { intervals: [{ every: '1 day' }] }, action }),
    ).rejects.toThrow('Schedule already exists and is running');
    await h.delete();
  });

  if (store !== 'memory') {
    it('keeps a schedule across an engine restart, and it still acts', async () => {
      const scheduleId = id('durable');
      const h = await client.schedule.create({
        scheduleId,
        spec: { intervals: [{ every: '30 days' }] },
        action: { type: 'startWorkflow', workflowType: 'quick', args: [4], taskQueue: TQ },
      });
      const before = await until(
        () => h.describe(),
        (x) => x.info.recentActions.length >= 1,
      );
      const same = { keyspace: t.keyspace, postgres: t.postgres };
      await stopAll();
      await startAll(same);
      // A new engine's virtual clock starts from real time again, behind the old one's: the schedule's next
      // nominal time is then far off, so the restarted schedule is shown acting on a trigger.
      const restarted = client.schedule.getHandle(scheduleId);
      const loaded = await restarted.describe();
      expect(loaded.info.numActionsTaken).toBe(before.info.numActionsTaken);
      expect(loaded.info.recentActions[0]?.action.workflow.workflowId).toBe(
        before.info.recentActions[0]?.action.workflow.workflowId,
      );
      await restarted.trigger();
      const d = await until(
        () => restarted.describe(),
        (x) => x.info.numActionsTaken > loaded.info.numActionsTaken,
      );
      expect(d.info.numActionsTaken).toBe(loaded.info.numActionsTaken + 1);
      await restarted.delete();
    });
  }

  it('left the SDK nothing to warn about', () => {
    expect(sdkWarnings()).toEqual([]);
  });
});
