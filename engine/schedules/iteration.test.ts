import { describe, expect, it } from 'vitest';
import { api, durationFromMs, enums } from '../proto.js';
import { Iteration, type SchedulerActions } from './iteration.js';
import { newScheduleRecord } from './record.js';
import { canonicalizeSpec, CompiledSpec } from './spec.js';

const Overlap = enums.ScheduleOverlapPolicy;
const RUNNING = enums.WorkflowExecutionStatus.WORKFLOW_EXECUTION_STATUS_RUNNING;
const T0 = Date.UTC(2026, 0, 1);
const MINUTE = 60_000;

/** Runs a schedule every minute whose workflows stay running until `closed` says otherwise. */
function harness(overlapPolicy: number, catchupWindowMs = 0) {
  const started: string[] = [];
  const closed = new Set<string>();
  const terminated: string[] = [];
  const r = newScheduleRecord(
    { namespaceId: 'ns', namespace: 'default', scheduleId: 's', schedule: '', memo: '', searchAttributes: '' },
    T0,
  );

  const schedule = api.schedule.v1.Schedule.fromObject({
    spec: canonicalizeSpec({ interval: [{ interval: durationFromMs(MINUTE) }] }),
    action: { startWorkflow: { workflowId: 'wf', workflowType: { name: 't' }, taskQueue: { name: 'q' } } },
    policies: { overlapPolicy, ...(catchupWindowMs ? { catchupWindow: durationFromMs(catchupWindowMs) } : {}) },
  });
  const actions: SchedulerActions = {
    start: (_r, _s, b) => {
      const workflowId = `wf-${new Date(b.nominalMs).toISOString()}`;
      started.push(workflowId);
      return Promise.resolve({ workflowId, runId: `run-${workflowId}` });
    },
    status: (_r, workflowId) =>
      Promise.resolve({
        status: closed.has(workflowId) ? enums.WorkflowExecutionStatus.WORKFLOW_EXECUTION_STATUS_COMPLETED : RUNNING,
        message: '',
      }),
    terminate: (_r, workflowId) => {
      terminated.push(workflowId);
      closed.add(workflowId);
      return Promise.resolve();
    },
    cancel: () => Promise.resolve(),
    log: () => undefined,
  };
  const run = (atMs: number) =>
    new Iteration(r, schedule, new CompiledSpec(schedule.spec ?? {}, 'ns-s'), actions).run(atMs);
  return { r, schedule, run, started, closed, terminated };
}

const minute = (n: number): string => `wf-${new Date(T0 + n * MINUTE).toISOString()}`;

describe('overlap policies, as Temporal applies them', () => {
  it('SKIP drops times while a run is open', async () => {
    const h = harness(Overlap.SCHEDULE_OVERLAP_POLICY_SKIP);
    await h.run(T0 + MINUTE);
    await h.run(T0 + 3 * MINUTE);
    expect(h.started).toEqual([minute(1)]);
    expect(h.r.overlapSkipped).toBe(2);
    h.closed.add(minute(1));
    await h.run(T0 + 4 * MINUTE);
    expect(h.started).toEqual([minute(1), minute(4)]);
  });

  it('BUFFER_ONE keeps one, BUFFER_ALL keeps all, and each starts when the run before closes', async () => {
    const one = harness(Overlap.SCHEDULE_OVERLAP_POLICY_BUFFER_ONE);
    await one.run(T0 + 3 * MINUTE);
    expect(one.started).toEqual([minute(1)]);
    expect(one.r.buffer.map((b) => b.nominalMs)).toEqual([T0 + 2 * MINUTE]);
    expect(one.r.overlapSkipped).toBe(1);
    one.closed.add(minute(1));
    await one.run(T0 + 3 * MINUTE);
    expect(one.started).toEqual([minute(1), minute(2)]);

    const all = harness(Overlap.SCHEDULE_OVERLAP_POLICY_BUFFER_ALL);
    await all.run(T0 + 3 * MINUTE);
    expect(all.r.buffer).toHaveLength(2);
    all.closed.add(minute(1));
    await all.run(T0 + 3 * MINUTE);
    all.closed.add(minute(2));
    await all.run(T0 + 3 * MINUTE);
    expect(all.started).toEqual([minute(1), minute(2), minute(3)]);
  });

  it('TERMINATE_OTHER terminates the open run and starts the new one', async () => {
    const h = harness(Overlap.SCHEDULE_OVERLAP_POLICY_TERMINATE_OTHER);
    await h.run(T0 + MINUTE);
    await h.run(T0 + 2 * MINUTE);
    expect(h.terminated).toEqual([minute(1)]);
    expect(h.started).toEqual([minute(1), minute(2)]);
    expect(h.r.running.map((w) => w.workflowId)).toEqual([minute(2)]);
  });

  it('ALLOW_ALL starts every time and tracks none as running', async () => {
    const h = harness(Overlap.SCHEDULE_OVERLAP_POLICY_ALLOW_ALL);
    await h.run(T0 + 3 * MINUTE);
    expect(h.started).toEqual([minute(1), minute(2), minute(3)]);
    expect(h.r.running).toEqual([]);
  });

  it('counts times older than the catch-up window as missed, once each', async () => {
    const h = harness(Overlap.SCHEDULE_OVERLAP_POLICY_ALLOW_ALL, 10 * MINUTE);
    await h.run(T0 + 30 * MINUTE);
    expect(h.r.missedCatchupWindow).toBe(19);
    expect(h.started).toHaveLength(11);
    await h.run(T0 + 30 * MINUTE);
    expect(h.r.missedCatchupWindow).toBe(19);
  });

  it('takes nothing while paused (nothing counted missed), but a backfill still runs', async () => {
    const h = harness(Overlap.SCHEDULE_OVERLAP_POLICY_ALLOW_ALL, 10 * MINUTE);
    h.schedule.state = { paused: true };
    await h.run(T0 + 30 * MINUTE);
    expect(h.started).toEqual([]);
    expect(h.r.missedCatchupWindow).toBe(0);
    h.r.backfills.push({ startMs: T0 - 1, endMs: T0 + 2 * MINUTE, overlapPolicy: 0 });
    await h.run(T0 + 30 * MINUTE);
    expect(h.started).toEqual([minute(0), minute(1), minute(2)]);
  });
});
