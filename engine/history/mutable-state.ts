/**
 * Mutable state of one workflow run: the records persisted in its execution row, plus what the current
 * transaction has changed (new events, buffered events, tasks, map upserts and deletes). The state
 * machines (workflow-task.ts, activities.ts, timers.ts, close.ts) mutate it; transaction.ts persists it.
 */
import { LIMIT_DEFAULTS, type EngineLimits } from '../limits.js';
import { enums, timestampFromMs, toNumber, type EventType, type IHistoryEvent } from '../proto.js';
import type { WorkflowMutation, WorkflowSnapshot } from '../persistence/manager.js';
import {
  WorkflowState,
  type ActivityInfo,
  type ExecutionInfo,
  type TimerInfo,
  type TimerTaskBody,
  type TransferTaskBody,
  type VisibilityTaskBody,
  type WorkflowKey,
} from '../persistence/records.js';

export type PendingTask =
  | { category: 'transfer'; body: TransferTaskBody; visibilityTimeMs: number }
  | { category: 'timer'; body: TimerTaskBody; visibilityTimeMs: number }
  | { category: 'visibility'; body: VisibilityTaskBody; visibilityTimeMs: number };

const S = enums.EventType;

/** Placeholder for a reference to a buffered event whose id is not known until it is flushed (Temporal's). */
export const BUFFERED_EVENT_ID = -123;

/** Outcome events that point at their activity's started event, keyed by attribute field. */
const STARTED_REFERENCES = [
  'activityTaskCompletedEventAttributes',
  'activityTaskFailedEventAttributes',
  'activityTaskTimedOutEventAttributes',
  'activityTaskCanceledEventAttributes',
] as const;

/** A child's close events on its parent; each points at the child's started event through `startedEventId`. */
const CHILD_CLOSE_FIELDS = [
  'childWorkflowExecutionCompletedEventAttributes',
  'childWorkflowExecutionFailedEventAttributes',
  'childWorkflowExecutionCanceledEventAttributes',
  'childWorkflowExecutionTimedOutEventAttributes',
  'childWorkflowExecutionTerminatedEventAttributes',
] as const;

const CHILD_CLOSES: EventType[] = [
  S.EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_COMPLETED,
  S.EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_FAILED,
  S.EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_CANCELED,
  S.EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_TIMED_OUT,
  S.EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_TERMINATED,
];

/** Event types that are held back while a workflow task is in flight (they come from outside the task). */
const BUFFERABLE = new Set<EventType>([
  S.EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED,
  S.EVENT_TYPE_ACTIVITY_TASK_STARTED,
  S.EVENT_TYPE_ACTIVITY_TASK_COMPLETED,
  S.EVENT_TYPE_ACTIVITY_TASK_FAILED,
  S.EVENT_TYPE_ACTIVITY_TASK_TIMED_OUT,
  S.EVENT_TYPE_ACTIVITY_TASK_CANCELED,
  S.EVENT_TYPE_TIMER_FIRED,
  S.EVENT_TYPE_WORKFLOW_EXECUTION_CANCEL_REQUESTED,
  S.EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_STARTED,
  S.EVENT_TYPE_START_CHILD_WORKFLOW_EXECUTION_FAILED,
  ...CHILD_CLOSES,
  S.EVENT_TYPE_EXTERNAL_WORKFLOW_EXECUTION_SIGNALED,
  S.EVENT_TYPE_SIGNAL_EXTERNAL_WORKFLOW_EXECUTION_FAILED,
  S.EVENT_TYPE_EXTERNAL_WORKFLOW_EXECUTION_CANCEL_REQUESTED,
  S.EVENT_TYPE_REQUEST_CANCEL_EXTERNAL_WORKFLOW_EXECUTION_FAILED,
]);

/** Completion events: a flushed buffer puts them last, after the events they complete (Temporal's reorderBuffer). */
const COMPLETIONS = new Set<EventType>([
  S.EVENT_TYPE_ACTIVITY_TASK_COMPLETED,
  S.EVENT_TYPE_ACTIVITY_TASK_FAILED,
  S.EVENT_TYPE_ACTIVITY_TASK_TIMED_OUT,
  S.EVENT_TYPE_ACTIVITY_TASK_CANCELED,
  ...CHILD_CLOSES,
]);

export class MutableState {
  info: ExecutionInfo;
  activities: Map<number, ActivityInfo>;
  timers: Map<string, TimerInfo>;
  signalRequestedIds: Set<string>;
  /** Events buffered by earlier transactions (persisted in buffered_events_list). */
  bufferedEvents: IHistoryEvent[];
  dbRecordVersion: number;
  /** Not yet persisted: the next write is a create. */
  isNew: boolean;
  /** Virtual ms per real ms of the shard's clock: real-time timeouts are scheduled as `realMs * timeScale`. */
  timeScale = 1;
  /** The limits the run is held to (engine/limits.ts): the continue-as-new suggestion reads them. */
  limits: EngineLimits = LIMIT_DEFAULTS;

  // ---- what the current transaction changed ----
  nowMs = 0;
  newEvents: IHistoryEvent[] = [];
  newBufferedEvents: IHistoryEvent[] = [];
  clearBuffered = false;
  tasks: PendingTask[] = [];
  upsertedActivities = new Set<number>();
  deletedActivities = new Set<number>();
  upsertedTimers = new Set<string>();
  deletedTimers = new Set<string>();
  addedSignalIds: string[] = [];
  removedSignalIds: string[] = [];
  infoChanged = false;
  /** Continue-as-new creates the next run in the same transaction. */
  newRun: MutableState | undefined;
  /**
   * In-memory effects of this transaction (workflow update registry changes) that must happen only if it commits:
   * run after the write lands, under the run's lock; dropped with the transaction when it fails.
   */
  afterCommit: (() => void)[] = [];

  constructor(snapshot: WorkflowSnapshot, isNew: boolean) {
    this.info = snapshot.info;
    this.activities = snapshot.activities;
    this.timers = snapshot.timers;
    this.signalRequestedIds = snapshot.signalRequestedIds;
    this.bufferedEvents = snapshot.bufferedEvents;
    this.dbRecordVersion = snapshot.dbRecordVersion;
    this.isNew = isNew;
  }

  /** The state of a run being created: `info` and nothing pending, its events to be added at `nowMs`. */
  static fresh(info: ExecutionInfo, timeScale: number, nowMs: number): MutableState {
    const ms = new MutableState(
      {
        info,
        dbRecordVersion: 0,
        activities: new Map(),
        timers: new Map(),
        signalRequestedIds: new Set(),
        bufferedEvents: [],
      },
      true,
    );
    ms.timeScale = timeScale;
    ms.begin(nowMs);
    return ms;
  }

  get key(): WorkflowKey {
    return { namespaceId: this.info.namespaceId, workflowId: this.info.workflowId, runId: this.info.runId };
  }

  isRunning(): boolean {
    return this.info.state !== WorkflowState.Completed;
  }

  /** A workflow task has been handed to a worker and not yet answered. */
  hasInFlightWorkflowTask(): boolean {
    return (this.info.workflowTask?.startedEventId ?? 0) > 0;
  }

  hasPendingWorkflowTask(): boolean {
    return this.info.workflowTask !== null;
  }

  hasBufferedEvents(): boolean {
    return this.bufferedEvents.length > 0 || this.newBufferedEvents.length > 0;
  }

  begin(nowMs: number): void {
    this.nowMs = nowMs;
  }

  hasChanges(): boolean {
    return (
      this.isNew ||
      this.infoChanged ||
      this.newEvents.length > 0 ||
      this.newBufferedEvents.length > 0 ||
      this.clearBuffered ||
      this.tasks.length > 0 ||
      this.upsertedActivities.size > 0 ||
      this.deletedActivities.size > 0 ||
      this.upsertedTimers.size > 0 ||
      this.deletedTimers.size > 0 ||
      this.addedSignalIds.length > 0 ||
      this.removedSignalIds.length > 0
    );
  }

  /** Defers an in-memory effect until this transaction commits (or runs now if it writes nothing). */
  onCommit(effect: () => void): void {
    this.afterCommit.push(effect);
  }

  /** Takes the deferred effects (the transaction committed, or had nothing to write). */
  takeAfterCommit(): (() => void)[] {
    const effects = this.afterCommit;
    this.afterCommit = [];
    return effects;
  }

  touch(): void {
    this.infoChanged = true;
  }

  /** Appends an event to history now, with the next id. */
  addEvent(eventType: EventType, attributes: Partial<IHistoryEvent>): IHistoryEvent {
    const event: IHistoryEvent = {
      eventId: this.info.nextEventId,
      eventTime: timestampFromMs(this.nowMs),
      eventType,
      ...attributes,
    };
    this.info.nextEventId += 1;
    this.newEvents.push(event);
    this.infoChanged = true;
    return event;
  }

  /**
   * Adds an event that comes from outside a workflow task. While a task is in flight it is buffered (no id
   * yet) and written when the task completes, so the worker's view of history never changes under it.
   */
  addExternalEvent(eventType: EventType, attributes: Partial<IHistoryEvent>): IHistoryEvent | undefined {
    if (!BUFFERABLE.has(eventType)) throw new Error(`event type ${eventType} is not bufferable`);
    if (this.hasInFlightWorkflowTask()) {
      this.newBufferedEvents.push({ eventTime: timestampFromMs(this.nowMs), eventType, ...attributes });
      this.infoChanged = true;
      return undefined;
    }
    return this.addEvent(eventType, attributes);
  }

  /** Writes every buffered event into history, in arrival order, assigning ids. */
  flushBufferedEvents(): IHistoryEvent[] {
    const all = [...this.bufferedEvents, ...this.newBufferedEvents];
    if (all.length === 0) return [];
    const isCompletion = (e: IHistoryEvent) => COMPLETIONS.has(e.eventType ?? 0);
    const pending = [...all.filter((e) => !isCompletion(e)), ...all.filter(isCompletion)];
    if (this.bufferedEvents.length > 0) this.clearBuffered = true;
    this.bufferedEvents = [];
    this.newBufferedEvents = [];
    const flushed: IHistoryEvent[] = [];
    const startedIds = new Map<number, number>();
    for (const e of pending) {
      const event: IHistoryEvent = { ...e, eventId: this.info.nextEventId };
      this.info.nextEventId += 1;
      wireStartedReference(event, startedIds);
      this.wireChildStarted(event);
      this.newEvents.push(event);
      flushed.push(event);
    }
    this.infoChanged = true;
    return flushed;
  }

  /**
   * A child's started event got its id: the pending child learns it, and a close event flushed after it in the
   * same batch points at it (Temporal's wireEventIDs for children).
   */
  private wireChildStarted(event: IHistoryEvent): void {
    const started = event.childWorkflowExecutionStartedEventAttributes;
    if (started) {
      const child = this.info.children[String(toNumber(started.initiatedEventId))];
      if (child) child.startedEventId = toNumber(event.eventId);
      return;
    }
    for (const field of CHILD_CLOSE_FIELDS) {
      const attrs = event[field];
      if (attrs && toNumber(attrs.startedEventId) === BUFFERED_EVENT_ID) {
        const startedEvent = this.newEvents.find(
          (e) =>
            toNumber(e.childWorkflowExecutionStartedEventAttributes?.initiatedEventId) ===
            toNumber(attrs.initiatedEventId),
        );
        event[field] = { ...attrs, startedEventId: toNumber(startedEvent?.eventId) };
      }
    }
  }

  /** Buffered events (persisted and new), in order, without ids. */
  pendingBufferedEvents(): IHistoryEvent[] {
    return [...this.bufferedEvents, ...this.newBufferedEvents];
  }

  addTransferTask(body: TransferTaskBody): void {
    this.tasks.push({ category: 'transfer', body, visibilityTimeMs: this.nowMs });
  }

  addTimerTask(body: TimerTaskBody, fireTimeMs: number): void {
    this.tasks.push({ category: 'timer', body, visibilityTimeMs: fireTimeMs });
  }

  /** A timer task for a timeout that bounds real work: `realMs` from now in real time. */
  addRealTimeoutTask(body: TimerTaskBody, realMs: number): void {
    this.addTimerTask(body, this.nowMs + realMs * this.timeScale);
  }

  addVisibilityTask(body: VisibilityTaskBody): void {
    this.tasks.push({ category: 'visibility', body, visibilityTimeMs: this.nowMs });
  }

  putActivity(a: ActivityInfo): void {
    this.activities.set(a.scheduledEventId, a);
    this.upsertedActivities.add(a.scheduledEventId);
    this.deletedActivities.delete(a.scheduledEventId);
  }

  deleteActivity(scheduledEventId: number): void {
    this.activities.delete(scheduledEventId);
    this.upsertedActivities.delete(scheduledEventId);
    this.deletedActivities.add(scheduledEventId);
  }

  putTimer(t: TimerInfo): void {
    this.timers.set(t.timerId, t);
    this.upsertedTimers.add(t.timerId);
    this.deletedTimers.delete(t.timerId);
  }

  deleteTimer(timerId: string): void {
    this.timers.delete(timerId);
    this.upsertedTimers.delete(timerId);
    this.deletedTimers.add(timerId);
  }

  addSignalRequestId(requestId: string): void {
    this.signalRequestedIds.add(requestId);
    this.addedSignalIds.push(requestId);
  }

  removeSignalRequestId(requestId: string): void {
    if (!this.signalRequestedIds.delete(requestId)) return;
    this.addedSignalIds = this.addedSignalIds.filter((id) => id !== requestId);
    this.removedSignalIds.push(requestId);
  }

  toSnapshot(): WorkflowSnapshot {
    return {
      info: this.info,
      dbRecordVersion: this.isNew ? 1 : this.dbRecordVersion,
      activities: this.activities,
      timers: this.timers,
      signalRequestedIds: this.signalRequestedIds,
      bufferedEvents: this.pendingBufferedEvents(),
    };
  }

  toMutation(): WorkflowMutation {
    return {
      info: this.info,
      dbRecordVersion: this.dbRecordVersion + 1,
      upsertActivities: [...this.upsertedActivities].flatMap((id) => {
        const a = this.activities.get(id);
        return a ? [a] : [];
      }),
      deleteActivities: [...this.deletedActivities],
      upsertTimers: [...this.upsertedTimers].flatMap((id) => {
        const t = this.timers.get(id);
        return t ? [t] : [];
      }),
      deleteTimers: [...this.deletedTimers],
      addSignalRequested: this.addedSignalIds,
      deleteSignalRequested: this.removedSignalIds,
      newBufferedEvents: this.newBufferedEvents,
      clearBufferedEvents: this.clearBuffered,
    };
  }

  /** The transaction committed: fold its changes into the persisted view. */
  commit(): void {
    this.dbRecordVersion = this.isNew ? 1 : this.dbRecordVersion + 1;
    this.isNew = false;
    this.bufferedEvents = this.pendingBufferedEvents();
    this.resetTransaction();
  }

  resetTransaction(): void {
    this.newEvents = [];
    this.newBufferedEvents = [];
    this.clearBuffered = false;
    this.tasks = [];
    this.upsertedActivities.clear();
    this.deletedActivities.clear();
    this.upsertedTimers.clear();
    this.deletedTimers.clear();
    this.addedSignalIds = [];
    this.removedSignalIds = [];
    this.infoChanged = false;
    this.newRun = undefined;
    this.afterCommit = [];
  }
}

/** Fills in an outcome event's startedEventId once its buffered started event has an id. */
function wireStartedReference(event: IHistoryEvent, startedIds: Map<number, number>): void {
  const started = event.activityTaskStartedEventAttributes;
  if (started) {
    startedIds.set(toNumber(started.scheduledEventId), toNumber(event.eventId));
    return;
  }
  for (const field of STARTED_REFERENCES) {
    const attrs = event[field];
    if (attrs && toNumber(attrs.startedEventId) === BUFFERED_EVENT_ID) {
      event[field] = { ...attrs, startedEventId: startedIds.get(toNumber(attrs.scheduledEventId)) ?? 0 };
    }
  }
}
