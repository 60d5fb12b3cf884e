/**
 * Request validation shared by handlers, with Temporal's messages. Every failure is an INVALID_ARGUMENT.
 *
 * The limits live here, in one place, with Temporal's defaults (temporalio/temporal
 * `common/dynamicconfig/constants.go`); the per-payload blob limit is an engine option (`fe.limits`), as it was
 * before. Lengths are counted in UTF-8 bytes, as Temporal's Go `len(string)` does.
 */
import { InvalidArgumentError } from '../errors.js';
import { api, enums, root, toNumber, type IDuration, type IPayloads, type temporal } from '../proto.js';

const LIMITS = {
  /** `limit.maxIDLength`: workflow id, workflow type, task queue, request id, identity, signal name, ... */
  maxIdLength: 1000,
  /** `limit.memoSize.error`: the encoded size of one memo (start, continue-as-new, modify properties). */
  memoSizeBytes: 2 * 1024 * 1024,
  /** `frontend.searchAttributesNumberOfKeysLimit`. */
  searchAttributesMaxKeys: 100,
  /** `frontend.searchAttributesSizeOfValueLimit`: the data of one search attribute value. */
  searchAttributeValueBytes: 2 * 1024,
  /** `frontend.searchAttributesTotalSizeLimit`: the encoded size of the whole search attribute map. */
  searchAttributesTotalBytes: 40 * 1024,
  /**
   * Durations are capped here, as Temporal's `timestamp.ValidateAndCapProtoDuration` caps them (100 years):
   * longer ones mean "forever" and would only overflow timers.
   */
  maxDurationMs: 100 * 365 * 24 * 3600_000,
} as const;

export function requireField<T>(value: T | null | undefined | '', message: string): T {
  if (value === null || value === undefined || value === '') throw new InvalidArgumentError(message);
  return value;
}

function byteLength(s: string): number {
  // Cheap for the common case: a string of n UTF-16 units has at most 3n UTF-8 bytes.
  return s.length * 3 <= LIMITS.maxIdLength ? s.length : Buffer.byteLength(s, 'utf8');
}

/**
 * An optional id-like string (identity, request id, ...): at most `limit.maxIDLength` bytes. Returns it, or ''.
 * Temporal: "Identity length exceeds limit.", "RequestId length exceeds limit.", ...
 */
export function checkLength(value: string | null | undefined, what: string): string {
  const v = value ?? '';
  if (v.length > 0 && byteLength(v) > LIMITS.maxIdLength) {
    throw new InvalidArgumentError(
      `${what} length exceeds limit (${Buffer.byteLength(v, 'utf8')} bytes, limit.maxIDLength is ${LIMITS.maxIdLength}).`,
    );
  }
  return v;
}

/** A required id-like string: set, and at most `limit.maxIDLength` bytes. */
export function checkId(value: string | null | undefined, what: string): string {
  return checkLength(requireField(value, `${what} is not set on request.`), what);
}

export function requireNamespace(ns: string | null | undefined): string {
  return checkLength(requireField(ns, 'Namespace not set on request.'), 'Namespace');
}

export function checkIdentity(identity: string | null | undefined): string {
  return checkLength(identity, 'Identity');
}

// ---------------------------------------------------------------------------------------------------------------
// Enums: protobuf enums are open, so a client can send any int32. Refuse values the API does not define.

/** The values a protobufjs enum object defines (it maps names to numbers and numbers to names). */
function enumValues(e: object): ReadonlySet<number> {
  return new Set(Object.values(e).filter((v): v is number => typeof v === 'number'));
}

const REUSE_POLICIES = enumValues(enums.WorkflowIdReusePolicy);
const CONFLICT_POLICIES = enumValues(enums.WorkflowIdConflictPolicy);
const TASK_QUEUE_KINDS = enumValues(enums.TaskQueueKind);

function checkEnum(value: number | null | undefined, values: ReadonlySet<number>, what: string): number {
  const v = value ?? 0;
  if (!values.has(v)) throw new InvalidArgumentError(`Invalid ${what}: unknown value ${v}.`);
  return v;
}

export function checkReusePolicy(value: number | null | undefined): number {
  return checkEnum(value, REUSE_POLICIES, 'WorkflowIdReusePolicy');
}

export function checkConflictPolicy(value: number | null | undefined): number {
  return checkEnum(value, CONFLICT_POLICIES, 'WorkflowIdConflictPolicy');
}

/**
 * A task queue a request names: set, at most `limit.maxIDLength` bytes, of a known kind (Temporal's
 * `tqid.NormalizeAndValidate`: "taskQueue length exceeds limit"). Returns the name and the kind (unspecified is
 * normal).
 */
export function checkTaskQueue(
  tq: temporal.api.taskqueue.v1.ITaskQueue | null | undefined,
  what = 'TaskQueue',
): { name: string; kind: number } {
  const name = checkId(tq?.name, what);
  const kind = checkEnum(tq?.kind, TASK_QUEUE_KINDS, `${what}.Kind`);
  return { name, kind: kind || enums.TaskQueueKind.TASK_QUEUE_KIND_NORMAL };
}

// ---------------------------------------------------------------------------------------------------------------
// Durations: seconds >= 0 and nanos in [0, 999999999], as google.protobuf.Duration defines them for a
// non-negative duration (Temporal refuses negative durations and mismatched signs everywhere it reads one).

const MAX_NANOS = 999_999_999;
const NEGATIVE = 'negative duration';

/** Why a duration is not valid, or undefined when it is. */
function durationProblem(d: IDuration): string | undefined {
  const seconds = toNumber(d.seconds);
  const nanos = d.nanos ?? 0;
  if (!Number.isInteger(nanos) || nanos < 0 || nanos > MAX_NANOS) return `nanos ${nanos} is outside [0, ${MAX_NANOS}]`;
  if (!Number.isFinite(seconds) || seconds < 0) return NEGATIVE;
  return undefined;
}

/**
 * A request duration in ms (absent means 0), capped at 100 years. A negative one is "Invalid <what>." (the
 * engine's message since its first version); out-of-range nanos say so.
 */
export function checkDuration(d: IDuration | null | undefined, what: string): number {
  if (!d) return 0;
  const problem = durationProblem(d);
  if (problem === NEGATIVE) throw new InvalidArgumentError(`Invalid ${what}.`);
  if (problem !== undefined) throw new InvalidArgumentError(`Invalid ${what}: ${problem}.`);
  const ms = toNumber(d.seconds) * 1000 + Math.floor((d.nanos ?? 0) / 1e6);
  return Math.min(ms, LIMITS.maxDurationMs);
}

interface ReflectField {
  name: string;
  repeated: boolean;
  map: boolean;
  resolvedType: unknown;
}
interface ReflectType {
  fullName: string;
  fieldsArray: ReflectField[];
  /** Resolves the type's fields (a field's `resolvedType` is null until its type is resolved). */
  resolveAll(): unknown;
}
/** protobufjs reflection, typed structurally (two protobufjs majors are installed). */
const reflection = root as unknown as { lookupType(name: string): ReflectType };
const DURATION = '.google.protobuf.Duration';

function messageType(f: ReflectField): ReflectType | undefined {
  const t = f.resolvedType;
  return t && typeof t === 'object' && 'fieldsArray' in t ? (t as ReflectType) : undefined;
}

/**
 * Per message type: its fields that are, or can lead to, a Duration (other fields are never walked). Keyed by the
 * reflection object itself: its `fullName` is a getter that rebuilds the dotted path on every read, which cost a few
 * microseconds per request when the walk looked types up by name.
 */
const durationFields = new Map<ReflectType, ReflectField[]>();
/** The Duration type object(s) met while indexing (compared by identity on the hot path, for the same reason). */
const durationTypes = new Set<ReflectType>();

/** Fills `durationFields` for every type reachable from `rootType` (a fixed point: types can be recursive). */
function indexDurationFields(rootType: ReflectType): void {
  const all = new Set<ReflectType>();
  const todo = [rootType];
  for (let t = todo.pop(); t; t = todo.pop()) {
    if (all.has(t) || durationFields.has(t)) continue;
    t.resolveAll();
    all.add(t);
    if (t.fullName === DURATION) durationTypes.add(t);
    for (const f of t.fieldsArray) {
      const m = messageType(f);
      if (m) todo.push(m);
    }
  }
  const found = new Set<ReflectType>();
  const leads = (m: ReflectType | undefined): boolean =>
    m !== undefined && (durationTypes.has(m) || found.has(m) || (durationFields.get(m)?.length ?? 0) > 0);
  for (let changed = true; changed;) {
    changed = false;
    for (const t of all) {
      if (!found.has(t) && t.fieldsArray.some((f) => leads(messageType(f)))) {
        found.add(t);
        changed = true;
      }
    }
  }
  for (const t of all)
    durationFields.set(
      t,
      t.fieldsArray.filter((f) => leads(messageType(f))),
    );
}

function fieldsLeadingToDurations(type: ReflectType): ReflectField[] {
  let fields = durationFields.get(type);
  if (!fields) {
    indexDurationFields(type);
    fields = durationFields.get(type) ?? [];
  }
  return fields;
}

const types = new Map<string, ReflectType>();

function lookupType(typeName: string): ReflectType {
  let t = types.get(typeName);
  if (!t) {
    t = reflection.lookupType(typeName);
    types.set(typeName, t);
  }
  return t;
}

/**
 * Every google.protobuf.Duration anywhere in `message` (of protobuf type `typeName`) must be well formed: the
 * history code converts command and retry-policy durations itself, so they are checked here, at the boundary.
 * `where` names the message in the error ("Invalid commands[0].startTimerCommandAttributes.startToFireTimeout").
 */
export function checkDurations(typeName: string, message: object | null | undefined, where = ''): void {
  if (!message) return;
  // Paths are only spelled out for an error: each item keeps its parent and its step (field name, index or key).
  interface Item {
    type: ReflectType;
    value: Record<string, unknown>;
    parent: Item | undefined;
    field: string;
    index: string | number | undefined;
  }
  const pathOf = (item: Item | undefined): string => {
    if (!item) return where;
    const parent = pathOf(item.parent);
    const step = item.index === undefined ? item.field : `${item.field}[${item.index}]`;
    return parent ? `${parent}.${step}` : step;
  };
  const check = (
    parent: Item | undefined,
    t: ReflectType,
    field: string,
    index: string | number | undefined,
    x: unknown,
    stack: Item[],
  ): void => {
    if (x === null || x === undefined || typeof x !== 'object') return;
    const item: Item = { type: t, value: x as Record<string, unknown>, parent, field, index };
    if (durationTypes.has(t)) {
      const problem = durationProblem(x);
      if (problem !== undefined) throw new InvalidArgumentError(`Invalid ${pathOf(item)}: ${problem}.`);
    } else {
      stack.push(item);
    }
  };
  const root: Item = {
    type: lookupType(typeName),
    value: message as Record<string, unknown>,
    parent: undefined,
    field: '',
    index: undefined,
  };
  const stack: Item[] = [root];
  for (let item = stack.pop(); item; item = stack.pop()) {
    const parent = item === root ? undefined : item;
    for (const f of fieldsLeadingToDurations(item.type)) {
      const v = item.value[f.name];
      if (v === null || v === undefined) continue;
      const t = messageType(f)!;
      if (f.map) {
        const entries = v as Record<string, unknown>;
        for (const k of Object.keys(entries)) check(parent, t, f.name, k, entries[k], stack);
      } else if (f.repeated) {
        const xs = v as unknown[];
        for (let i = 0; i < xs.length; i++) check(parent, t, f.name, i, xs[i], stack);
      } else {
        check(parent, t, f.name, undefined, v, stack);
      }
    }
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Sizes.

/** The blob limits (engine/limits.ts): refused over the error limit, counted over the warn limit. */
export interface BlobLimits {
  blobSizeErrorBytes: number;
  blobSizeWarnBytes: number;
  counters?: { blobSizeWarnings: number };
}

export function checkPayloads(payloads: IPayloads | null | undefined, limits: BlobLimits, what = 'Blob'): void {
  if (!payloads?.payloads) return;
  let size = 0;
  for (const p of payloads.payloads) size += p.data?.length ?? 0;
  if (size > limits.blobSizeErrorBytes) throw new InvalidArgumentError(`${what} data size exceeds limit.`);
  if (size > limits.blobSizeWarnBytes && limits.counters) limits.counters.blobSizeWarnings += 1;
}

/** A map of Payloads (a marker's details): each entry against the blob limit, as Temporal checks it. */
export function checkPayloadsMap(
  map: Record<string, IPayloads> | null | undefined,
  limits: BlobLimits,
  what = 'Blob',
): void {
  for (const payloads of Object.values(map ?? {})) checkPayloads(payloads, limits, what);
}

/**
 * A memo: its encoded size at most `limit.memoSize.error` (Temporal: "Memo size exceeds limit.", measured as
 * the proto size of the Memo message).
 */
export function checkMemo(memo: temporal.api.common.v1.IMemo | null | undefined, what = 'Memo'): void {
  if (!memo?.fields) return;
  const size = api.common.v1.Memo.encode(memo).finish().byteLength;
  if (size > LIMITS.memoSizeBytes) {
    throw new InvalidArgumentError(
      `${what} size exceeds limit (${size} bytes, limit.memoSize.error is ${LIMITS.memoSizeBytes}).`,
    );
  }
}

/**
 * Search attributes, as Temporal's `searchattribute.Validator` checks their size: at most 100 keys, each value's
 * data at most 2 KiB, the encoded map at most 40 KiB (with Temporal's messages).
 */
export function checkSearchAttributes(sa: temporal.api.common.v1.ISearchAttributes | null | undefined): void {
  const fields = sa?.indexedFields;
  if (!fields) return;
  const entries = Object.entries(fields);
  if (entries.length > LIMITS.searchAttributesMaxKeys) {
    throw new InvalidArgumentError(
      `number of search attributes ${entries.length} exceeds limit ${LIMITS.searchAttributesMaxKeys}`,
    );
  }
  for (const [name, payload] of entries) {
    const size = payload?.data?.length ?? 0;
    if (size > LIMITS.searchAttributeValueBytes) {
      throw new InvalidArgumentError(
        `search attribute ${name} value size ${size} exceeds size limit ${LIMITS.searchAttributeValueBytes}`,
      );
    }
  }
  const total = api.common.v1.SearchAttributes.encode(sa).finish().byteLength;
  if (total > LIMITS.searchAttributesTotalBytes) {
    throw new InvalidArgumentError(
      `total size of search attributes ${total} exceeds size limit ${LIMITS.searchAttributesTotalBytes}`,
    );
  }
}

/**
 * A header (start, signal, query, activity, continue-as-new): Temporal records its size but bounds it only by the
 * message size; here it is held to the payload blob limit, as the event it lands in is.
 */
export function checkHeader(header: temporal.api.common.v1.IHeader | null | undefined, limits: BlobLimits): void {
  if (!header?.fields) return;
  const size = api.common.v1.Header.encode(header).finish().byteLength;
  if (size > limits.blobSizeErrorBytes) {
    throw new InvalidArgumentError(
      `Header size exceeds limit (${size} bytes, limit.blobSize.error is ${limits.blobSizeErrorBytes}).`,
    );
  }
}
