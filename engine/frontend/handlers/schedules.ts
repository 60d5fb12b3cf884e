/**
 * The schedule RPCs (Create, Describe, Update, Patch, Delete, List, ListScheduleMatchingTimes) over the native
 * scheduler (engine/schedules), with Temporal's validation, messages and response shapes.
 */
import Long from 'long';
import { EngineError, InvalidArgumentError, NotFoundError, UnimplementedError } from '../../errors.js';
import type { NamespaceRecord } from '../../persistence/records.js';
import { enums, msFromDuration, timestampFromMs, type temporal, type Wire } from '../../proto.js';
import { catchupWindowMs, RECENT_ACTIONS_KEPT } from '../../schedules/iteration.js';
import {
  decodeMemo,
  decodeSchedule,
  decodeSearchAttributes,
  encodeMemo,
  encodeSchedule,
  encodeSearchAttributes,
  newScheduleRecord,
  type ScheduleRecord,
} from '../../schedules/record.js';
import { ScheduleExists, ScheduleNotFound, type Scheduler } from '../../schedules/scheduler.js';
import { canonicalizeSpec, cleanSpec } from '../../schedules/spec.js';
import { compileFilter, type Attribute } from '../../visibility/query/bind.js';
import { compileMatcher } from '../../visibility/query/evaluate.js';
import {
  payloadJson,
  typedForOutput,
  typedValue,
  type SearchAttributeValue,
} from '../../visibility/search-attributes.js';
import type { Frontend, Handler } from '../handler.js';
import { checkSearchAttributeMapping } from '../search-attribute-check.js';
import { checkId, checkTaskQueue, requireNamespace } from '../validate.js';

function scheduler(fe: Frontend): Scheduler {
  if (!fe.schedules) throw new UnimplementedError('schedules on this store');
  return fe.schedules;
}

async function namespaceOf(fe: Frontend, name: string | null | undefined): Promise<NamespaceRecord> {
  return fe.namespaces.byNameOrThrow(requireNamespace(name));
}

function notFound(err: unknown): never {
  if (err instanceof ScheduleNotFound) throw new NotFoundError('schedule not found');
  throw err;
}

function token(n: number): Buffer {
  const b = Buffer.alloc(8);
  b.writeBigInt64BE(BigInt(n));
  return b;
}

/** Temporal's checks of the schedule's action (`validateStartWorkflowRequest` for schedules). */
async function checkSchedule(fe: Frontend, ns: NamespaceRecord, s: temporal.api.schedule.v1.ISchedule): Promise<void> {
  const a = s.action?.startWorkflow;
  if (!a) throw new InvalidArgumentError('Only StartWorkflow action is supported for schedules');
  checkId(`${a.workflowId ?? ''}-2009-11-10T23:00:00Z`, 'WorkflowId');
  if (!a.workflowId) throw new InvalidArgumentError('WorkflowId is not set on request.');
  if (!a.workflowType?.name) throw new InvalidArgumentError('WorkflowType is not set on request.');
  checkId(a.workflowType.name, 'WorkflowType');
  checkTaskQueue(a.taskQueue);
  if (a.cronSchedule) throw new InvalidArgumentError('Scheduled workflow must not contain CronSchedule');
  const reuse = a.workflowIdReusePolicy ?? 0;
  if (reuse !== 0 && reuse !== enums.WorkflowIdReusePolicy.WORKFLOW_ID_REUSE_POLICY_ALLOW_DUPLICATE)
    throw new InvalidArgumentError('Scheduled workflow must not contain WorkflowIDReusePolicy');
  await checkSearchAttributeMapping(fe, ns, a.searchAttributes);
}

export const createSchedule: Handler<
  temporal.api.workflowservice.v1.ICreateScheduleRequest,
  temporal.api.workflowservice.v1.ICreateScheduleResponse
> = async (fe, req) => {
  const ns = await namespaceOf(fe, req.namespace);
  if (!req.requestId) throw new InvalidArgumentError('RequestId is not set on request.');
  checkId(req.requestId, 'RequestId');
  const scheduleId = checkId(req.scheduleId, 'ScheduleId');
  const schedule = req.schedule ?? {};
  schedule.spec = canonicalizeSpec(schedule.spec) as temporal.api.schedule.v1.IScheduleSpec;
  await checkSchedule(fe, ns, schedule);
  await checkSearchAttributeMapping(fe, ns, req.searchAttributes);
  const now = fe.clock.now();
  const record = newScheduleRecord(
    {
      namespaceId: ns.id,
      namespace: ns.name,
      scheduleId,
      schedule: encodeSchedule(schedule),
      memo: encodeMemo(req.memo),
      searchAttributes: encodeSearchAttributes(req.searchAttributes),
    },
    now,
  );

  try {
    await scheduler(fe).create(record, (it, nowMs) => applyPatch(it.r, it, nowMs, req.initialPatch, undefined));
  } catch (err) {
    if (err instanceof ScheduleExists)
      throw new EngineError('WORKFLOW_ALREADY_STARTED', `schedule "${scheduleId}" is already registered`);
    throw err;
  }
  return { conflictToken: token(1) };
};

/** Trigger, backfills, pause and unpause, in Temporal's order. */
function applyPatch(
  r: ScheduleRecord,
  it: { addStart(s: ScheduleRecord['buffer'][number]): void },
  nowMs: number,
  patch: temporal.api.schedule.v1.ISchedulePatch | null | undefined,
  schedule: temporal.api.schedule.v1.ISchedule | undefined,
): void {
  if (!patch) return;
  if (patch.triggerImmediately) {
    const t = patch.triggerImmediately.scheduledTime ? msFromDuration(patch.triggerImmediately.scheduledTime) : nowMs;
    it.addStart({
      nominalMs: t,
      actualMs: t,
      overlapPolicy: patch.triggerImmediately.overlapPolicy ?? 0,
      manual: true,
    });
  }
  for (const b of patch.backfillRequest ?? [])
    r.backfills.push({
      // The start is inclusive: look from just before it.
      startMs: msFromDuration(b.startTime) - 1,
      endMs: msFromDuration(b.endTime),
      overlapPolicy: b.overlapPolicy ?? 0,
    });
  const state = schedule ? (schedule.state ??= {}) : undefined;
  if (state && patch.pause) {
    state.paused = true;
    state.notes = patch.pause;
    r.conflictToken++;
  }
  if (state && patch.unpause) {
    state.paused = false;
    state.notes = patch.unpause;
    r.conflictToken++;
  }
}

export const patchSchedule: Handler<
  temporal.api.workflowservice.v1.IPatchScheduleRequest,
  temporal.api.workflowservice.v1.IPatchScheduleResponse
> = async (fe, req) => {
  const ns = await namespaceOf(fe, req.namespace);
  const patch = req.patch;
  if (!patch) throw new InvalidArgumentError('Patch is not set on request.');
  await scheduler(fe)
    .change(ns.id, req.scheduleId ?? '', (it, now, schedule) => applyPatch(it.r, it, now, patch, schedule))
    .catch(notFound);
  return {};
};

export const updateSchedule: Handler<
  temporal.api.workflowservice.v1.IUpdateScheduleRequest,
  temporal.api.workflowservice.v1.IUpdateScheduleResponse
> = async (fe, req) => {
  const ns = await namespaceOf(fe, req.namespace);
  const next = req.schedule ?? {};
  next.spec = canonicalizeSpec(next.spec) as temporal.api.schedule.v1.IScheduleSpec;
  await checkSchedule(fe, ns, next);
  if (req.memo)
    throw new EngineError('FAILED_PRECONDITION', 'memo updates are not supported on workflow-backed schedules');
  await checkSearchAttributeMapping(fe, ns, req.searchAttributes);
  const given =
    req.conflictToken && req.conflictToken.length >= 8 ? Number(Buffer.from(req.conflictToken).readBigInt64BE()) : 0;
  await scheduler(fe)
    .change(ns.id, req.scheduleId ?? '', (it, now, schedule) => {
      // A stale conflict token leaves the schedule as it was, and the call still succeeds (as in Temporal).
      if (given !== 0 && given !== it.r.conflictToken) return;
      schedule.spec = next.spec ?? null;
      schedule.action = next.action ?? null;
      schedule.policies = next.policies ?? null;
      schedule.state = next.state ?? null;
      if (req.searchAttributes) it.r.searchAttributes = encodeSearchAttributes(req.searchAttributes);
      it.r.updateTimeMs = now;
      it.r.conflictToken++;
    })
    .catch(notFound);
  return {};
};

export const deleteSchedule: Handler<
  temporal.api.workflowservice.v1.IDeleteScheduleRequest,
  temporal.api.workflowservice.v1.IDeleteScheduleResponse
> = async (fe, req) => {
  const ns = await namespaceOf(fe, req.namespace);
  await scheduler(fe)
    .delete(ns.id, req.scheduleId ?? '')
    .catch(notFound);
  return {};
};

function actionResults(r: ScheduleRecord, n: number): Wire<temporal.api.schedule.v1.IScheduleActionResult>[] {
  return r.recent.slice(-n).map((a) => ({
    scheduleTime: timestampFromMs(a.scheduleTimeMs),
    actualTime: timestampFromMs(a.actualTimeMs),
    startWorkflowResult: { workflowId: a.workflowId, runId: a.runId },
    startWorkflowStatus: a.status,
  }));
}

function outputSchedule(
  r: ScheduleRecord,
  custom: Readonly<Record<string, number>>,
): temporal.api.schedule.v1.Schedule {
  const s = decodeSchedule(r.schedule);
  s.spec = cleanSpec(s.spec ?? {}) as temporal.api.schedule.v1.ScheduleSpec;
  s.policies ??= {};
  s.policies.overlapPolicy ||= enums.ScheduleOverlapPolicy.SCHEDULE_OVERLAP_POLICY_SKIP;
  const window = catchupWindowMs(s.policies);
  s.policies.catchupWindow = { seconds: Long.fromNumber(Math.floor(window / 1000)), nanos: 0 };
  const sa = s.action?.startWorkflow?.searchAttributes?.indexedFields;
  if (sa && s.action?.startWorkflow?.searchAttributes)
    s.action.startWorkflow.searchAttributes.indexedFields = typedForOutput(sa, custom);
  return s;
}

export const describeSchedule: Handler<
  temporal.api.workflowservice.v1.IDescribeScheduleRequest,
  temporal.api.workflowservice.v1.IDescribeScheduleResponse
> = async (fe, req) => {
  const ns = await namespaceOf(fe, req.namespace);
  const sched = scheduler(fe);
  // Runs the schedule started may have closed since: look before answering.
  await sched.change(ns.id, req.scheduleId ?? '', () => undefined).catch(notFound);
  const r = sched.get(ns.id, req.scheduleId ?? '');
  const custom = ns.customSearchAttributes ?? {};
  const memo = decodeMemo(r.memo);
  const sa = decodeSearchAttributes(r.searchAttributes);
  return {
    schedule: outputSchedule(r, custom),
    info: {
      actionCount: r.actionCount,
      missedCatchupWindow: r.missedCatchupWindow,
      overlapSkipped: r.overlapSkipped,
      bufferDropped: r.bufferDropped,
      bufferSize: r.buffer.length,
      runningWorkflows: r.running.map((w) => ({ workflowId: w.workflowId, runId: w.runId })),
      recentActions: actionResults(r, RECENT_ACTIONS_KEPT),
      futureActionTimes: sched.futureTimes(r, 10),
      createTime: timestampFromMs(r.createTimeMs),
      ...(r.updateTimeMs ? { updateTime: timestampFromMs(r.updateTimeMs) } : {}),
    },
    ...(memo ? { memo } : {}),
    ...(sa?.indexedFields ? { searchAttributes: { indexedFields: typedForOutput(sa.indexedFields, custom) } } : {}),
    conflictToken: token(r.conflictToken),
  };
};

/** What a ListSchedules query sees of a schedule: its search attributes, its id (as Temporal's WorkflowId), paused. */
function scheduleGetter() {
  return (r: ScheduleRecord, a: Attribute): SearchAttributeValue | undefined => {
    if (a.name === 'WorkflowId') return `temporal-sys-scheduler:${r.scheduleId}`;
    if (a.name === 'ExecutionStatus') return enums.WorkflowExecutionStatus.WORKFLOW_EXECUTION_STATUS_RUNNING;
    if (a.name === 'TemporalSchedulePaused') return Boolean(decodeSchedule(r.schedule).state?.paused);
    if (a.system) return undefined;
    const p = decodeSearchAttributes(r.searchAttributes)?.indexedFields?.[a.name];
    const json = p ? payloadJson(p) : undefined;
    return json === undefined ? undefined : typedValue(json, a.type);
  };
}

function matchingSchedules(fe: Frontend, ns: NamespaceRecord, text: string | null | undefined): ScheduleRecord[] {
  const custom = ns.customSearchAttributes ?? {};
  // ScheduleId in a query is the scheduler's WorkflowId (with Temporal's prefix), as Temporal rewrites it.
  const query = (text ?? '').replace(/\bScheduleId\s*=\s*(['"])(.*?)\1/g, "WorkflowId = 'temporal-sys-scheduler:$2'");
  const matches = compileMatcher(compileFilter(query, { custom, allowGroupBy: false }), scheduleGetter());
  return scheduler(fe)
    .list(ns.id)
    .filter(matches)
    .sort((a, b) => (a.scheduleId < b.scheduleId ? -1 : 1));
}

export const countSchedules: Handler<
  temporal.api.workflowservice.v1.ICountSchedulesRequest,
  temporal.api.workflowservice.v1.ICountSchedulesResponse
> = async (fe, req) => {
  const ns = await namespaceOf(fe, req.namespace);
  return { count: matchingSchedules(fe, ns, req.query).length };
};

export const listSchedules: Handler<
  temporal.api.workflowservice.v1.IListSchedulesRequest,
  temporal.api.workflowservice.v1.IListSchedulesResponse
> = async (fe, req) => {
  const ns = await namespaceOf(fe, req.namespace);
  const custom = ns.customSearchAttributes ?? {};
  const sched = scheduler(fe);
  const all = matchingSchedules(fe, ns, req.query);
  const pageSize = req.maximumPageSize && req.maximumPageSize > 0 ? Math.min(req.maximumPageSize, 1000) : 1000;
  const offset = req.nextPageToken?.length ? Number(Buffer.from(req.nextPageToken).toString('utf8')) || 0 : 0;
  const page = all.slice(offset, offset + pageSize);
  return {
    schedules: page.map((r) => {
      const s = decodeSchedule(r.schedule);
      const memo = decodeMemo(r.memo);
      const sa = decodeSearchAttributes(r.searchAttributes);
      return {
        scheduleId: r.scheduleId,
        ...(memo ? { memo } : {}),
        ...(sa?.indexedFields ? { searchAttributes: { indexedFields: typedForOutput(sa.indexedFields, custom) } } : {}),
        info: {
          spec: cleanSpec(s.spec ?? {}),
          workflowType: s.action?.startWorkflow?.workflowType ?? null,
          notes: s.state?.notes ?? '',
          paused: Boolean(s.state?.paused),
          recentActions: actionResults(r, 5),
          futureActionTimes: sched.futureTimes(r, 5),
        },
      };
    }),
    ...(offset + pageSize < all.length ? { nextPageToken: Buffer.from(String(offset + pageSize)) } : {}),
  };
};

export const listScheduleMatchingTimes: Handler<
  temporal.api.workflowservice.v1.IListScheduleMatchingTimesRequest,
  temporal.api.workflowservice.v1.IListScheduleMatchingTimesResponse
> = async (fe, req) => {
  const ns = await namespaceOf(fe, req.namespace);
  if (!req.startTime || !req.endTime) throw new InvalidArgumentError('missing or invalid query');
  const sched = scheduler(fe);
  let r: ScheduleRecord;
  try {
    r = sched.get(ns.id, req.scheduleId ?? '');
  } catch (err) {
    notFound(err);
  }
  const times = sched.matchingTimes(r, msFromDuration(req.startTime), msFromDuration(req.endTime));
  return { startTime: times.map(timestampFromMs) };
};
