/**
 * The engine's limits, as Temporal's dynamic config declares them (common/dynamicconfig/constants.go): one place
 * for their defaults (Temporal's), their Temporal keys (for docs and /metrics), and the checks that apply them, so
 * that the history service, the command table and the frontend ask one module. Temporal's behaviour at each limit:
 * - blob size: over `limit.blobSize.warn` a warning is counted; over `limit.blobSize.error` the request is refused
 *   ("Blob data size exceeds limit.");
 * - history size and count: at `limit.history*.suggestContinueAsNew` the WorkflowTaskStarted event carries
 *   suggestContinueAsNew with its reasons; over `limit.history*.warn` a warning is counted; over
 *   `limit.history*.error` the run is terminated by the history service ("Workflow history size exceeds limit.")
 *   and the call that pushed it over gets InvalidArgument with that reason;
 * - pending activities, child workflows, signals and cancel requests to other workflows: a command that would reach
 *   the limit fails the workflow task with the matching cause (PENDING_ACTIVITIES_LIMIT_EXCEEDED, ...).
 * Pending timers have no Temporal limit (the mutable-state size bounds them there); stampede caps them at the same
 * 2,000, failing the task with BAD_START_TIMER_ATTRIBUTES, so that one workflow cannot hold a shard's timer queue.
 */
import { enums } from './proto.js';

export interface EngineLimits {
  /** `limit.blobSize.warn`: payloads above it are counted as warnings, bytes. @default 512 KiB */
  blobSizeWarnBytes: number;
  /** `limit.blobSize.error`: payloads above it are refused, bytes. @default 2 MiB */
  blobSizeErrorBytes: number;
  /** `limit.historySize.suggestContinueAsNew`, bytes. @default 4 MiB */
  historySizeSuggestContinueAsNewBytes: number;
  /** `limit.historySize.warn`, bytes. @default 10 MiB */
  historySizeWarnBytes: number;
  /** `limit.historySize.error`: a run past it is terminated, bytes. @default 50 MiB */
  historySizeErrorBytes: number;
  /** `limit.historyCount.suggestContinueAsNew`, events. @default 4096 */
  historyCountSuggestContinueAsNew: number;
  /** `limit.historyCount.warn`, events. @default 10240 */
  historyCountWarn: number;
  /** `limit.historyCount.error`: a run past it is terminated, events. @default 51200 */
  historyCountError: number;
  /** `limit.numPendingActivities.error`. @default 2000 */
  pendingActivities: number;
  /** stampede's own (Temporal has none). @default 2000 */
  pendingTimers: number;
  /** `limit.numPendingChildExecutions.error`. @default 2000 */
  pendingChildExecutions: number;
  /** `limit.numPendingSignals.error`: signals to other workflows in flight. @default 2000 */
  pendingSignals: number;
  /** `limit.numPendingCancelRequests.error`: cancel requests to other workflows in flight. @default 2000 */
  pendingCancelRequests: number;
  /** Largest gRPC message received or sent, bytes (Temporal's frontend: 128 MiB gRPC, 4 MiB per request by default). @default 64 MiB */
  maxMessageBytes: number;
}

const KiB = 1024;
const MiB = 1024 * KiB;

export const LIMIT_DEFAULTS: Readonly<EngineLimits> = Object.freeze({
  blobSizeWarnBytes: 512 * KiB,
  blobSizeErrorBytes: 2 * MiB,
  historySizeSuggestContinueAsNewBytes: 4 * MiB,
  historySizeWarnBytes: 10 * MiB,
  historySizeErrorBytes: 50 * MiB,
  historyCountSuggestContinueAsNew: 4 * 1024,
  historyCountWarn: 10 * 1024,
  historyCountError: 50 * 1024,
  pendingActivities: 2000,
  pendingTimers: 2000,
  pendingChildExecutions: 2000,
  pendingSignals: 2000,
  pendingCancelRequests: 2000,
  maxMessageBytes: 64 * MiB,
});

/** Each limit's key in Temporal's dynamic config (stampede's own where Temporal has none), for docs and /metrics. */
export const LIMIT_KEYS: Readonly<Record<keyof EngineLimits, string>> = {
  blobSizeWarnBytes: 'limit.blobSize.warn',
  blobSizeErrorBytes: 'limit.blobSize.error',
  historySizeSuggestContinueAsNewBytes: 'limit.historySize.suggestContinueAsNew',
  historySizeWarnBytes: 'limit.historySize.warn',
  historySizeErrorBytes: 'limit.historySize.error',
  historyCountSuggestContinueAsNew: 'limit.historyCount.suggestContinueAsNew',
  historyCountWarn: 'limit.historyCount.warn',
  historyCountError: 'limit.historyCount.error',
  pendingActivities: 'limit.numPendingActivities.error',
  pendingTimers: 'stampede.limit.numPendingTimers.error',
  pendingChildExecutions: 'limit.numPendingChildExecutions.error',
  pendingSignals: 'limit.numPendingSignals.error',
  pendingCancelRequests: 'limit.numPendingCancelRequests.error',
  maxMessageBytes: 'stampede.grpc.maxMessageBytes',
};

/** Each limit with its Temporal key, in declaration order (for /metrics and docs). */
export function limitEntries(l: EngineLimits): { name: keyof EngineLimits; key: string; value: number }[] {
  return (Object.keys(LIMIT_KEYS) as (keyof EngineLimits)[]).map((name) => ({
    name,
    key: LIMIT_KEYS[name],
    value: l[name],
  }));
}

/** Every problem with a set of limits (positive integers, warn below error). */
export function validateLimits(l: EngineLimits): string[] {
  const problems: string[] = [];
  for (const { key, value } of limitEntries(l)) {
    if (!Number.isSafeInteger(value) || value < 1) problems.push(`${key} must be a positive integer, got ${value}`);
  }
  const order = (a: keyof EngineLimits, b: keyof EngineLimits): void => {
    if (l[a] > l[b]) problems.push(`${LIMIT_KEYS[a]} (${l[a]}) must not exceed ${LIMIT_KEYS[b]} (${l[b]})`);
  };
  order('blobSizeWarnBytes', 'blobSizeErrorBytes');
  order('historySizeWarnBytes', 'historySizeErrorBytes');
  order('historyCountWarn', 'historyCountError');
  return problems;
}

/** What the limits counted: warnings below the error limits, runs terminated, workflow tasks failed (for /metrics). */
export class LimitCounters {
  blobSizeWarnings = 0;
  historySizeWarnings = 0;
  historyCountWarnings = 0;
  historyLimitTerminations = 0;
  pendingLimitFailures = 0;
}

const Cause = enums.WorkflowTaskFailedCause;
const Reason = enums.SuggestContinueAsNewReason;

/** The per-workflow pending limits, each with Temporal's failure cause and description. */
export const PENDING_LIMITS = {
  activities: {
    limit: 'pendingActivities',
    cause: Cause.WORKFLOW_TASK_FAILED_CAUSE_PENDING_ACTIVITIES_LIMIT_EXCEEDED,
    describe: 'pending activities',
  },
  timers: {
    limit: 'pendingTimers',
    cause: Cause.WORKFLOW_TASK_FAILED_CAUSE_BAD_START_TIMER_ATTRIBUTES,
    describe: 'pending timers',
  },
  childExecutions: {
    limit: 'pendingChildExecutions',
    cause: Cause.WORKFLOW_TASK_FAILED_CAUSE_PENDING_CHILD_WORKFLOWS_LIMIT_EXCEEDED,
    describe: 'pending child workflow executions',
  },
  signals: {
    limit: 'pendingSignals',
    cause: Cause.WORKFLOW_TASK_FAILED_CAUSE_PENDING_SIGNALS_LIMIT_EXCEEDED,
    describe: 'pending signals to external workflows',
  },
  cancelRequests: {
    limit: 'pendingCancelRequests',
    cause: Cause.WORKFLOW_TASK_FAILED_CAUSE_PENDING_REQUEST_CANCEL_LIMIT_EXCEEDED,
    describe: 'pending requests to cancel external workflows',
  },
} as const satisfies Record<string, { limit: keyof EngineLimits; cause: number; describe: string }>;

export type PendingKind = keyof typeof PENDING_LIMITS;

/** Temporal's names of the causes (the Go enum's String()), which prefix the failure message. */
function causeName(cause: number): string {
  const name = Cause[cause] ?? '';
  return name
    .replace(/^WORKFLOW_TASK_FAILED_CAUSE_/, '')
    .toLowerCase()
    .replace(/(^|_)([a-z])/g, (_m, _s: string, c: string) => c.toUpperCase());
}

/**
 * The hook a command runs before it adds a pending item of `kind`: undefined while `pending` (what the run holds,
 * plus what earlier commands of the same completion added) is below the limit, else the cause and message the
 * workflow task fails with — Temporal's `checkCountConstraint` (a command is refused once the count has reached
 * the limit).
 */
export function pendingLimitProblem(
  kind: PendingKind,
  pending: number,
  limits: EngineLimits,
): { cause: number; message: string } | undefined {
  const p = PENDING_LIMITS[kind];
  const limit = limits[p.limit];
  if (pending < limit) return undefined;
  return {
    cause: p.cause,
    message: `${causeName(p.cause)}: the number of ${p.describe}, ${pending}, has reached the per-workflow limit of ${limit}`,
  };
}

/**
 * Whether the next workflow task should suggest continue-as-new, and why (Temporal's getHistorySizeInfo, called as
 * WorkflowTaskStarted is added: `nextEventId` is that event's id, `historySizeBytes` what is persisted so far).
 */
export function continueAsNewSuggestion(
  nextEventId: number,
  historySizeBytes: number,
  limits: EngineLimits,
): { suggest: boolean; reasons: number[] } {
  const reasons: number[] = [];
  if (historySizeBytes >= limits.historySizeSuggestContinueAsNewBytes)
    reasons.push(Reason.SUGGEST_CONTINUE_AS_NEW_REASON_HISTORY_SIZE_TOO_LARGE);
  if (nextEventId >= limits.historyCountSuggestContinueAsNew)
    reasons.push(Reason.SUGGEST_CONTINUE_AS_NEW_REASON_TOO_MANY_HISTORY_EVENTS);
  return { suggest: reasons.length > 0, reasons };
}

/** Temporal's termination reasons (common/util.go) and the InvalidArgument message of the call that hit them. */
export const HISTORY_LIMIT_REASON = {
  size: 'Workflow history size exceeds limit.',
  count: 'Workflow history count exceeds limit.',
} as const;

/**
 * A running run's history against the limits, as Temporal checks before persisting an update: past an error limit
 * it must be terminated (size first, as Temporal checks it first); past a warn limit it is counted.
 */
export function historyLimitCheck(
  eventCount: number,
  historySizeBytes: number,
  limits: EngineLimits,
): { terminate?: keyof typeof HISTORY_LIMIT_REASON; warnSize: boolean; warnCount: boolean } {
  const out = {
    warnSize: historySizeBytes > limits.historySizeWarnBytes,
    warnCount: eventCount > limits.historyCountWarn,
  };
  if (historySizeBytes > limits.historySizeErrorBytes) return { ...out, terminate: 'size' };
  if (eventCount > limits.historyCountError) return { ...out, terminate: 'count' };
  return out;
}
