/**
 * Compressed durable time: with time-scale 2,592,000 (30 days per second) a workflow's 30-day sleep takes about a
 * second of real time, and the workflow's own clock (event times) moves 30 days across it.
 */
import { randomUUID } from 'node:crypto';
import { expect, it } from 'vitest';
import { testEngine } from './helpers/engine.js';
import { eventTypes, historyProblems } from './helpers/history.js';
import { sdkClient, sdkWarnings, sdkWorker } from './helpers/sdk.js';
import type * as workflows from './temporal-sdk/workflows.js';

const SCALE = 30 * 86400;

it('sleeps 30 days of workflow time in about a second', async () => {
  // Keep the closed run long enough (in virtual time) to read its history back.
  const t = await testEngine({ timeScale: SCALE, defaultRetentionMs: 3650 * 86400_000 });
  const { client, connection } = await sdkClient(t.engine.address);
  const { worker, connection: wc } = await sdkWorker(t.engine.address, 'compressed');
  try {
    const h = await client.workflow.start<typeof workflows.longSleep>('longSleep', {
      taskQueue: 'compressed',
      workflowId: `sleep-${randomUUID().slice(0, 8)}`,
    });
    const started = Date.now();
    const slept = await worker.runUntil(h.result());
    const realMs = Date.now() - started;
    expect(slept).toBeGreaterThanOrEqual(30 * 86400_000);
    expect(realMs).toBeLessThan(20_000);
    const events = (await h.fetchHistory()).events ?? [];
    expect(historyProblems(events, { closed: true })).toEqual([]);
    expect(eventTypes(events)).toContain('TIMER_FIRED');
    // The timer fired on (virtual) time: its lateness, converted back to real time, is small.
    const ms = (e: (typeof events)[number] | undefined): number =>
      Number(e?.eventTime?.seconds ?? 0) * 1000 + Math.floor((e?.eventTime?.nanos ?? 0) / 1e6);
    const startedAt = ms(events.find((e) => e.timerStartedEventAttributes));
    const firedAt = ms(events.find((e) => e.timerFiredEventAttributes));
    const latenessRealMs = (firedAt - startedAt - 30 * 86400_000) / SCALE;
    expect(latenessRealMs).toBeGreaterThanOrEqual(0);
    expect(latenessRealMs).toBeLessThan(1000);
  } finally {
    await wc.close();
    await connection.close();
    await t.close();
  }
  expect(sdkWarnings()).toEqual([]);
});
