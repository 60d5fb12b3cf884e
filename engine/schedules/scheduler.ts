/**
 * The scheduler: schedules as native records in the schedule store (not a workflow per schedule as in Temporal:
 * a record and a timer on the engine's virtual clock give the same observable behaviour at a fraction of the
 * writes, and the record stays readable), each woken by a timer at its next action time. Every change to a
 * schedule (create, patch, update, a wakeup) runs through one lane per schedule: load, iterate, write the record
 * conditionally on its version, re-arm the timer. Workflows are started, inspected, cancelled and terminated
 * through the engine's own WorkflowService handlers, as Temporal's scheduler goes through its frontend.
 */
import { randomUUID } from 'node:crypto';
import type { Clock, TimerHandle } from '../clock.js';
import { AlreadyExistsError, ConditionFailedError } from '../persistence/errors.js';
import { whileThrottled } from '../persistence/decorators.js';
import type { ScheduleStore } from '../persistence/store.js';
import { enums, timestampFromMs, toNumber, type temporal } from '../proto.js';
import { typedPayload } from '../visibility/search-attributes.js';
import { Iteration, type SchedulerActions } from './iteration.js';
import { decodeRecord, decodeSchedule, encodeRecord, encodeSchedule, type ScheduleRecord } from './record.js';
import { CompiledSpec } from './spec.js';

/** Calls a WorkflowService method in-process (the engine's `invoke`). */
export type WorkflowServiceCall = (method: string, request: object) => Promise<object>;

interface Entry {
  record: ScheduleRecord;
  version: number;
  timer: TimerHandle | undefined;
  lane: Promise<void>;
}

const Status = enums.WorkflowExecutionStatus;

export class ScheduleNotFound extends Error {}
export class ScheduleExists extends Error {}

/** Started workflow ids carry the nominal time to the second: `<workflowId>-2026-01-02T03:04:05Z`. */
function startedWorkflowId(base: string, nominalMs: number): string {
  return `${base}-${new Date(Math.floor(nominalMs / 1000) * 1000).toISOString().replace('.000Z', 'Z')}`;
}

export class Scheduler {
  private readonly entries = new Map<string, Entry>();
  private stopped = false;

  constructor(
    private readonly store: ScheduleStore,
    private readonly clock: Clock,
    private readonly call: WorkflowServiceCall,
    private readonly log: (line: string) => void,
  ) {}

  /** Loads every schedule of these namespaces and arms its timer. */
  async start(namespaceIds: string[]): Promise<void> {
    this.stopped = false;
    for (const ns of namespaceIds)
      for (const row of await whileThrottled(() => this.store.listSchedules(ns))) {
        const entry: Entry = {
          record: decodeRecord(row.blob),
          version: row.version,
          timer: undefined,
          lane: Promise.resolve(),
        };
        this.entries.set(key(ns, row.scheduleId), entry);
        // Catch up at once: the iteration buffers what fell due while the engine was down (within the window).
        this.arm(entry, this.clock.now());
      }
  }

  stop(): void {
    this.stopped = true;
    for (const e of this.entries.values()) e.timer?.cancel();
  }

  /**
   * Lets the schedules go (in a cluster, another member runs the scheduler now and loads them from the store):
   * timers cancelled, records forgotten; `start` loads them again.
   */
  suspend(): void {
    this.stop();
    this.entries.clear();
  }

  compiled(r: ScheduleRecord, schedule: temporal.api.schedule.v1.Schedule): CompiledSpec {
    return new CompiledSpec(schedule.spec ?? {}, `${r.namespaceId}-${r.scheduleId}`);
  }

  get(namespaceId: string, scheduleId: string): ScheduleRecord {
    const e = this.entries.get(key(namespaceId, scheduleId));
    if (!e) throw new ScheduleNotFound(scheduleId);
    return e.record;
  }

  list(namespaceId: string): ScheduleRecord[] {
    return [...this.entries.values()].map((e) => e.record).filter((r) => r.namespaceId === namespaceId);
  }

  async create(r: ScheduleRecord, initial: (it: Iteration, now: number) => void): Promise<void> {
    const k = key(r.namespaceId, r.scheduleId);
    if (this.entries.has(k)) throw new ScheduleExists(r.scheduleId);
    const entry: Entry = { record: r, version: 0, timer: undefined, lane: Promise.resolve() };
    try {
      await this.store.createSchedule({
        namespaceId: r.namespaceId,
        scheduleId: r.scheduleId,
        blob: encodeRecord(r),
        version: 1,
      });
    } catch (err) {
      if (err instanceof AlreadyExistsError) throw new ScheduleExists(r.scheduleId);
      throw err;
    }
    entry.version = 1;
    this.entries.set(k, entry);
    await this.change(r.namespaceId, r.scheduleId, initial);
  }

  /** Applies `fn` to the schedule and runs an iteration, in the schedule's lane; the record is then written. */
  change(
    namespaceId: string,
    scheduleId: string,
    fn: (it: Iteration, now: number, schedule: temporal.api.schedule.v1.Schedule) => void,
  ): Promise<void> {
    const e = this.entries.get(key(namespaceId, scheduleId));
    if (!e) return Promise.reject(new ScheduleNotFound(scheduleId));
    const run = e.lane.then(() => this.iterate(e, fn));
    e.lane = run.catch(() => undefined);
    return run;
  }

  async delete(namespaceId: string, scheduleId: string): Promise<void> {
    const k = key(namespaceId, scheduleId);
    const e = this.entries.get(k);
    if (!e) throw new ScheduleNotFound(scheduleId);
    await e.lane;
    e.timer?.cancel();
    this.entries.delete(k);
    await this.store.deleteSchedule(namespaceId, scheduleId);
  }

  private async iterate(
    e: Entry,
    fn?: (it: Iteration, now: number, schedule: temporal.api.schedule.v1.Schedule) => void,
  ): Promise<void> {
    if (this.stopped) return;
    const r: ScheduleRecord = structuredClone(e.record);
    const schedule = decodeSchedule(r.schedule);
    const it = new Iteration(r, schedule, this.compiled(r, schedule), this.actions);
    const now = this.clock.now();
    fn?.(it, now, schedule);
    await it.run(now);
    r.schedule = encodeSchedule(schedule);
    try {
      await this.store.updateSchedule(
        { namespaceId: r.namespaceId, scheduleId: r.scheduleId, blob: encodeRecord(r), version: e.version + 1 },
        e.version,
      );
    } catch (err) {
      if (err instanceof ConditionFailedError)
        this.log(`schedule ${r.scheduleId}: changed by another engine; this change is dropped`);
      throw err;
    }
    e.version++;
    e.record = r;
    this.arm(e, this.nextWakeup(r, schedule, now));
  }

  /** The next action time, or a short poll while starts wait for a running workflow to close. */
  private nextWakeup(r: ScheduleRecord, schedule: temporal.api.schedule.v1.Schedule, now: number): number | undefined {
    const times: number[] = [];
    const s = schedule.state;
    const stopped = Boolean(s?.paused) || (Boolean(s?.limitedActions) && toNumber(s?.remainingActions) <= 0);
    if (!stopped) {
      const next = this.compiled(r, schedule).nextTime(r.lastProcessedMs);
      if (next) times.push(next.nextMs);
    }
    // Starts waiting on a run, or a backfill left over: look again in a second of real time.
    if (r.buffer.length > 0 || r.backfills.length > 0) times.push(now + 1000 * this.clock.timeScale);
    return times.length > 0 ? Math.min(...times) : undefined;
  }

  private arm(e: Entry, atMs: number | undefined): void {
    e.timer?.cancel();
    e.timer = undefined;
    if (atMs === undefined || this.stopped) return;
    const { namespaceId, scheduleId } = e.record;
    e.timer = this.clock.schedule(atMs, () => {
      this.change(namespaceId, scheduleId, () => undefined).catch((err: unknown) =>
        this.log(`schedule ${scheduleId}: wakeup failed: ${err instanceof Error ? err.message : String(err)}`),
      );
    });
  }

  private readonly actions: SchedulerActions = {
    start: async (r, schedule, s) => {
      const a = schedule.action?.startWorkflow ?? {};
      const workflowId = startedWorkflowId(a.workflowId ?? '', s.nominalMs);
      const response = (await this.call('StartWorkflowExecution', {
        namespace: r.namespace,
        workflowId,
        workflowType: a.workflowType,
        taskQueue: a.taskQueue,
        input: a.input,
        workflowExecutionTimeout: a.workflowExecutionTimeout,
        workflowRunTimeout: a.workflowRunTimeout,
        workflowTaskTimeout: a.workflowTaskTimeout,
        identity: `temporal-scheduler-${r.namespace}-${r.scheduleId}`,
        requestId: randomUUID(),
        workflowIdReusePolicy: s.manual
          ? enums.WorkflowIdReusePolicy.WORKFLOW_ID_REUSE_POLICY_ALLOW_DUPLICATE
          : enums.WorkflowIdReusePolicy.WORKFLOW_ID_REUSE_POLICY_REJECT_DUPLICATE,
        retryPolicy: a.retryPolicy,
        memo: a.memo,
        header: a.header,
        userMetadata: a.userMetadata,
        searchAttributes: {
          indexedFields: {
            ...(a.searchAttributes?.indexedFields ?? {}),
            TemporalScheduledStartTime: typedPayload(Math.floor(s.nominalMs / 1000) * 1000, 'Datetime'),
            TemporalScheduledById: typedPayload(r.scheduleId, 'Keyword'),
          },
        },
      })) as { runId?: string };
      return { workflowId, runId: response.runId ?? '' };
    },
    status: async (r, workflowId, runId) => {
      try {
        const d = (await this.call('DescribeWorkflowExecution', {
          namespace: r.namespace,
          execution: { workflowId },
        })) as temporal.api.workflowservice.v1.IDescribeWorkflowExecutionResponse;
        const info = d.workflowExecutionInfo;
        // A later chain under the same id is not ours: ours has closed.
        if (info?.firstRunId && info.firstRunId !== runId)
          return { status: Status.WORKFLOW_EXECUTION_STATUS_COMPLETED, message: '' };
        return { status: info?.status ?? Status.WORKFLOW_EXECUTION_STATUS_RUNNING, message: '' };
      } catch {
        // Gone (retention): closed.
        return { status: Status.WORKFLOW_EXECUTION_STATUS_COMPLETED, message: '' };
      }
    },
    terminate: async (r, workflowId, runId) => {
      await this.call('TerminateWorkflowExecution', {
        namespace: r.namespace,
        workflowExecution: { workflowId },
        firstExecutionRunId: runId,
        reason: 'terminated by schedule overlap policy',
        identity: `temporal-scheduler-${r.namespace}-${r.scheduleId}`,
      }).catch(() => undefined);
    },
    cancel: async (r, workflowId, runId) => {
      await this.call('RequestCancelWorkflowExecution', {
        namespace: r.namespace,
        workflowExecution: { workflowId },
        firstExecutionRunId: runId,
        reason: 'cancelled by schedule overlap policy',
        identity: `temporal-scheduler-${r.namespace}-${r.scheduleId}`,
        requestId: randomUUID(),
      }).catch(() => undefined);
    },
    log: (line) => this.log(line),
  };

  /** Times the spec yields after `startMs` up to `endMs` (at most `max`). */
  matchingTimes(r: ScheduleRecord, startMs: number, endMs: number, max = 1000): number[] {
    const schedule = decodeSchedule(r.schedule);
    const spec = this.compiled(r, schedule);
    const out: number[] = [];
    for (let n = spec.nextTime(startMs); n && n.nextMs <= endMs && out.length < max; n = spec.nextTime(n.nextMs))
      out.push(n.nextMs);
    return out;
  }

  futureTimes(r: ScheduleRecord, count: number): ReturnType<typeof timestampFromMs>[] {
    const schedule = decodeSchedule(r.schedule);
    const spec = this.compiled(r, schedule);
    const out: ReturnType<typeof timestampFromMs>[] = [];
    const limited = schedule.state?.limitedActions ? toNumber(schedule.state.remainingActions) : Infinity;
    for (
      let n = spec.nextTime(r.lastProcessedMs);
      n && out.length < Math.min(count, limited);
      n = spec.nextTime(n.nextMs)
    )
      if (n.nextMs >= r.updateTimeMs) out.push(timestampFromMs(n.nextMs));
    return out;
  }
}

function key(namespaceId: string, scheduleId: string): string {
  return `${namespaceId}\u0000${scheduleId}`;
}
