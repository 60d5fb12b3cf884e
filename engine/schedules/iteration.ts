/**
 * One scheduler iteration, restated from Temporal's scheduler workflow for a native record: take the spec's times
 * between the last processed time and now (dropping those outside the catch-up window, and all while paused),
 * queue backfills, then start what the overlap policy allows, tracking the runs it starts.
 *
 * The high-water mark is the jittered time of the last time considered (taken or missed), as Temporal's CHASM
 * scheduler keeps it, so each missed time is counted once and a time whose jitter is still ahead is not lost.
 */
import Long from 'long';
import { enums, msFromDuration, toNumber, type temporal } from '../proto.js';
import type { BufferedStart, ScheduleRecord } from './record.js';
import type { CompiledSpec } from './spec.js';

const Overlap = enums.ScheduleOverlapPolicy;
const Status = enums.WorkflowExecutionStatus;

/** Temporal's defaults: catch-up window 365 days unless set, never under 10 s. */
const DEFAULT_CATCHUP_MS = 365 * 86_400_000;
const MIN_CATCHUP_MS = 10_000;
const MAX_BUFFER = 1000;
const BACKFILL_STARTS_PER_ITERATION = 10;
export const RECENT_ACTIONS_KEPT = 10;

export function catchupWindowMs(policies: temporal.api.schedule.v1.ISchedulePolicies | null | undefined): number {
  const set = msFromDuration(policies?.catchupWindow);
  return set > 0 ? Math.max(set, MIN_CATCHUP_MS) : DEFAULT_CATCHUP_MS;
}

/** What an iteration does to the outside world: start, inspect, cancel and terminate workflows. */
export interface SchedulerActions {
  start(
    r: ScheduleRecord,
    schedule: temporal.api.schedule.v1.Schedule,
    s: BufferedStart,
  ): Promise<{ runId: string; workflowId: string }>;
  /** The status of the chain the run started (its latest run), with the failure message when it failed. */
  status(r: ScheduleRecord, workflowId: string, runId: string): Promise<{ status: number; message: string }>;
  terminate(r: ScheduleRecord, workflowId: string, runId: string): Promise<void>;
  cancel(r: ScheduleRecord, workflowId: string, runId: string): Promise<void>;
  log(line: string): void;
}

export class Iteration {
  private readonly state: temporal.api.schedule.v1.IScheduleState;

  constructor(
    readonly r: ScheduleRecord,
    private readonly schedule: temporal.api.schedule.v1.Schedule,
    private readonly spec: CompiledSpec,
    private readonly actions: SchedulerActions,
  ) {
    schedule.state ??= {};
    this.state = schedule.state;
  }

  /** Runs the iteration at `nowMs`; the record and schedule are changed in place. */
  async run(nowMs: number): Promise<void> {
    const end = Math.max(nowMs, this.r.lastProcessedMs);
    this.r.lastProcessedMs = this.processTimeRange(this.r.lastProcessedMs, end, 0, false);
    this.processBackfills();
    await this.refreshRunning();
    for (let i = 0; i < MAX_BUFFER && (await this.processBuffer()); i++);
  }

  private stopped(): boolean {
    return (
      Boolean(this.state.paused) || (Boolean(this.state.limitedActions) && toNumber(this.state.remainingActions) <= 0)
    );
  }

  /** Buffers the spec's times in (start, end]; returns the new high-water mark. */
  private processTimeRange(
    startMs: number,
    endMs: number,
    overlapPolicy: number,
    manual: boolean,
    limit = Infinity,
  ): number {
    if (!manual && this.stopped()) return endMs;
    let hwm = startMs;
    let left = limit;
    const window = catchupWindowMs(this.schedule.policies);
    for (let n = this.spec.nextTime(startMs); n && n.nextMs <= endMs && left > 0; n = this.spec.nextTime(n.nextMs)) {
      hwm = n.nextMs;
      if (!manual && this.r.updateTimeMs > n.nextMs) continue;
      if (!manual && endMs - n.nextMs > window) {
        this.r.missedCatchupWindow++;
        continue;
      }
      this.addStart({ nominalMs: n.nominalMs, actualMs: n.nextMs, overlapPolicy, manual });
      left--;
    }
    return hwm;
  }

  addStart(s: BufferedStart): void {
    if (this.r.buffer.length >= MAX_BUFFER) this.r.bufferDropped++;
    else this.r.buffer.push(s);
  }

  private processBackfills(): void {
    let limit = BACKFILL_STARTS_PER_ITERATION;
    while (this.r.backfills.length > 0 && limit > 0 && this.r.buffer.length < MAX_BUFFER / 2) {
      const b = this.r.backfills[0];
      if (!b) break;
      const before = this.r.buffer.length;
      const hwm = this.processTimeRange(b.startMs, b.endMs, b.overlapPolicy, true, limit);
      limit -= this.r.buffer.length - before;
      const more = this.spec.nextTime(hwm);
      if (!more || more.nextMs > b.endMs) this.r.backfills.shift();
      else b.startMs = hwm;
    }
  }

  /** Drops closed runs from `running`, recording their status; pauses on failure when the policy asks. */
  async refreshRunning(): Promise<void> {
    const still: ScheduleRecord['running'] = [];
    for (const w of this.r.running) {
      const { status, message } = await this.actions.status(this.r, w.workflowId, w.runId);
      if (status === Status.WORKFLOW_EXECUTION_STATUS_RUNNING) {
        still.push(w);
        continue;
      }
      for (const a of this.r.recent) if (a.workflowId === w.workflowId && a.runId === w.runId) a.status = status;
      const failed = status === Status.WORKFLOW_EXECUTION_STATUS_FAILED;
      const timedOut = status === Status.WORKFLOW_EXECUTION_STATUS_TIMED_OUT;
      if (this.schedule.policies?.pauseOnFailure && (failed || timedOut) && !this.state.paused) {
        this.state.paused = true;
        this.state.notes = failed
          ? `paused due to workflow failure: ${w.workflowId}: ${message}`
          : `paused due to workflow timeout: ${w.workflowId}`;
        this.r.conflictToken++;
      }
    }
    this.r.running = still;
  }

  /** Takes what the overlap policies allow from the buffer; true when another pass may take more. */
  private async processBuffer(): Promise<boolean> {
    if (!this.schedule.action?.startWorkflow || this.r.buffer.length === 0) {
      this.r.buffer = [];
      return false;
    }
    const isRunning = this.r.running.length > 0;
    let overlapping: BufferedStart[] = [];
    let nonOverlapping: BufferedStart | undefined;
    const keep: BufferedStart[] = [];
    let needCancel = false;
    let needTerminate = false;
    const policy = this.schedule.policies?.overlapPolicy || Overlap.SCHEDULE_OVERLAP_POLICY_SKIP;
    for (const s of this.r.buffer) {
      const p = s.overlapPolicy || policy;
      if (p === Overlap.SCHEDULE_OVERLAP_POLICY_ALLOW_ALL) {
        overlapping.push(s);
        continue;
      }
      if (!isRunning && !nonOverlapping) {
        nonOverlapping = s;
        continue;
      }
      switch (p) {
        case Overlap.SCHEDULE_OVERLAP_POLICY_BUFFER_ONE:
          if (keep.length === 0) keep.push(s);
          else this.r.overlapSkipped++;
          break;
        case Overlap.SCHEDULE_OVERLAP_POLICY_BUFFER_ALL:
          keep.push(s);
          break;
        case Overlap.SCHEDULE_OVERLAP_POLICY_CANCEL_OTHER:
        case Overlap.SCHEDULE_OVERLAP_POLICY_TERMINATE_OTHER:
          if (isRunning) {
            if (p === Overlap.SCHEDULE_OVERLAP_POLICY_CANCEL_OTHER) needCancel = true;
            else needTerminate = true;
            keep.push(s);
          } else nonOverlapping = s;
          break;
        default:
          this.r.overlapSkipped++;
      }
    }
    if (needCancel || needTerminate) overlapping = [];
    this.r.buffer = keep;
    for (const s of [...overlapping, ...(nonOverlapping ? [nonOverlapping] : [])]) {
      if (!s.manual && this.stopped()) continue;
      if (!s.manual && this.state.limitedActions) {
        this.state.remainingActions = Long.fromNumber(toNumber(this.state.remainingActions) - 1);
        this.r.conflictToken++;
      }
      try {
        const started = await this.actions.start(this.r, this.schedule, s);
        this.r.actionCount++;
        this.r.recent.push({
          scheduleTimeMs: s.actualMs,
          actualTimeMs: Date.now(),
          workflowId: started.workflowId,
          runId: started.runId,
          status: Status.WORKFLOW_EXECUTION_STATUS_RUNNING,
        });
        this.r.recent = this.r.recent.slice(-RECENT_ACTIONS_KEPT);
        // ALLOW_ALL starts do not block others and are not tracked as running (as in Temporal).
        if (s === nonOverlapping) this.r.running.push(started);
      } catch (err) {
        this.actions.log(
          `schedule ${this.r.scheduleId}: start dropped: ${err instanceof Error ? err.message : String(err)}`,
        );
      }
    }
    if (needTerminate || needCancel) {
      for (const w of this.r.running) {
        if (needTerminate) await this.actions.terminate(this.r, w.workflowId, w.runId);
        else await this.actions.cancel(this.r, w.workflowId, w.runId);
      }
      await this.refreshRunning();
    }
    return this.r.buffer.length > 0 && this.r.running.length === 0;
  }
}
