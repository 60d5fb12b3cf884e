/**
 * Temporal's search-attribute catalogue (`sadefs/constants.go`): the system attributes every execution has (stored
 * as columns), the predefined `Temporal*`/`Build*` ones (in the attribute map, a few settable by users), and the
 * types custom attributes may have. Also the payload codec: what a client sends (JSON, scalars possibly wrapped in
 * a one-element array) decoded to a typed value, and the `metadata.type` Temporal adds on the way out.
 */
import { enums, type temporal } from '../proto.js';

export type SearchAttributeType = 'Text' | 'Keyword' | 'Int' | 'Double' | 'Bool' | 'Datetime' | 'KeywordList';

/** A decoded value: strings (Keyword, Text), numbers (Int, Double; Datetime as epoch ms), booleans, string lists. */
export type SearchAttributeValue = string | number | boolean | string[];

const IVT = enums.IndexedValueType;

const TYPE_BY_INDEXED: ReadonlyMap<number, SearchAttributeType> = new Map([
  [IVT.INDEXED_VALUE_TYPE_TEXT, 'Text'],
  [IVT.INDEXED_VALUE_TYPE_KEYWORD, 'Keyword'],
  [IVT.INDEXED_VALUE_TYPE_INT, 'Int'],
  [IVT.INDEXED_VALUE_TYPE_DOUBLE, 'Double'],
  [IVT.INDEXED_VALUE_TYPE_BOOL, 'Bool'],
  [IVT.INDEXED_VALUE_TYPE_DATETIME, 'Datetime'],
  [IVT.INDEXED_VALUE_TYPE_KEYWORD_LIST, 'KeywordList'],
]);
const INDEXED_BY_TYPE: ReadonlyMap<SearchAttributeType, number> = new Map([...TYPE_BY_INDEXED].map(([k, v]) => [v, k]));

export function typeOfIndexed(v: number): SearchAttributeType | undefined {
  return TYPE_BY_INDEXED.get(v);
}

export function indexedOfType(t: SearchAttributeType): number {
  return INDEXED_BY_TYPE.get(t) ?? IVT.INDEXED_VALUE_TYPE_UNSPECIFIED;
}

/** Stored as columns; never settable. Map, not object: names come from clients. */
export const SYSTEM_ATTRIBUTES: ReadonlyMap<string, SearchAttributeType> = new Map<string, SearchAttributeType>([
  ['WorkflowId', 'Keyword'],
  ['RunId', 'Keyword'],
  ['WorkflowType', 'Keyword'],
  ['StartTime', 'Datetime'],
  ['ExecutionTime', 'Datetime'],
  ['CloseTime', 'Datetime'],
  ['ExecutionStatus', 'Keyword'],
  ['TaskQueue', 'Keyword'],
  ['HistoryLength', 'Int'],
  ['HistorySizeBytes', 'Int'],
  ['ExecutionDuration', 'Int'],
  ['StateTransitionCount', 'Int'],
  ['ParentWorkflowId', 'Keyword'],
  ['ParentRunId', 'Keyword'],
  ['RootWorkflowId', 'Keyword'],
  ['RootRunId', 'Keyword'],
]);

/** Kept in the attribute map; `settable` ones a client may set (Temporal's whitelist). */
export const PREDEFINED_ATTRIBUTES: ReadonlyMap<string, { type: SearchAttributeType; settable: boolean }> = new Map([
  ['TemporalChangeVersion', { type: 'KeywordList', settable: true }],
  ['BinaryChecksums', { type: 'KeywordList', settable: true }],
  ['BuildIds', { type: 'KeywordList', settable: true }],
  ['BatcherNamespace', { type: 'Keyword', settable: true }],
  ['BatcherUser', { type: 'Keyword', settable: true }],
  ['TemporalScheduledStartTime', { type: 'Datetime', settable: true }],
  ['TemporalScheduledById', { type: 'Keyword', settable: true }],
  ['TemporalSchedulePaused', { type: 'Bool', settable: true }],
  ['TemporalNamespaceDivision', { type: 'Keyword', settable: true }],
  ['TemporalPauseInfo', { type: 'KeywordList', settable: true }],
  ['TemporalReportedProblems', { type: 'KeywordList', settable: true }],
  ['TemporalWorkerDeploymentVersion', { type: 'Keyword', settable: false }],
  ['TemporalWorkflowVersioningBehavior', { type: 'Keyword', settable: false }],
  ['TemporalWorkerDeployment', { type: 'Keyword', settable: false }],
  ['TemporalUsedWorkerDeploymentVersions', { type: 'KeywordList', settable: false }],
  ['TemporalExternalPayloadCount', { type: 'Int', settable: false }],
  ['TemporalExternalPayloadSizeBytes', { type: 'Int', settable: false }],
] satisfies [string, { type: SearchAttributeType; settable: boolean }][]);

/**
 * What Temporal's CLI dev server registers in `default` at start-up (samples and the SDK's tests rely on them);
 * this engine does the same for a `default` namespace it creates.
 */
export const DEV_SERVER_DEFAULT_ATTRIBUTES: Readonly<Record<string, number>> = {
  CustomKeywordField: IVT.INDEXED_VALUE_TYPE_KEYWORD,
  CustomStringField: IVT.INDEXED_VALUE_TYPE_TEXT,
  CustomTextField: IVT.INDEXED_VALUE_TYPE_TEXT,
  CustomIntField: IVT.INDEXED_VALUE_TYPE_INT,
  CustomDatetimeField: IVT.INDEXED_VALUE_TYPE_DATETIME,
  CustomDoubleField: IVT.INDEXED_VALUE_TYPE_DOUBLE,
  CustomBoolField: IVT.INDEXED_VALUE_TYPE_BOOL,
};

/** Names a custom attribute may not take (Temporal `IsReserved`). */
export function isReserved(name: string): boolean {
  return (
    SYSTEM_ATTRIBUTES.has(name) ||
    PREDEFINED_ATTRIBUTES.has(name) ||
    ['NamespaceId', 'Memo', 'MemoEncoding', 'VisibilityTaskKey'].includes(name) ||
    name.startsWith('Temporal')
  );
}

/** The type of a non-system attribute of a namespace, given its custom attributes (name -> IndexedValueType). */
export function attributeType(name: string, custom: Readonly<Record<string, number>>): SearchAttributeType | undefined {
  const predefined = PREDEFINED_ATTRIBUTES.get(name);
  if (predefined) return predefined.type;
  return Object.hasOwn(custom, name) ? typeOfIndexed(custom[name] ?? 0) : undefined;
}

/** The JSON a payload carries, or undefined when it carries none (binary, or empty data = "unset"). */
export function payloadJson(p: temporal.api.common.v1.IPayload): unknown {
  const data = p.data;
  if (!data || data.length === 0) return undefined;
  try {
    return JSON.parse(Buffer.from(data).toString('utf8')) as unknown;
  } catch {
    return undefined;
  }
}

/** A payload that removes the attribute on upsert: no data, JSON null or an empty array. */
export function isUnsetPayload(p: temporal.api.common.v1.IPayload): boolean {
  const v = payloadJson(p);
  return v === undefined || v === null || (Array.isArray(v) && v.length === 0);
}

/**
 * A decoded JSON value as `type`, or undefined when it is not one. Scalars may come as a one-element array
 * (the TS client's untyped attributes always do).
 */
export function typedValue(json: unknown, type: SearchAttributeType): SearchAttributeValue | undefined {
  if (type === 'KeywordList') {
    if (typeof json === 'string') return [json];
    if (Array.isArray(json) && json.every((x) => typeof x === 'string')) return json;
    return undefined;
  }
  const v = Array.isArray(json) ? (json.length === 1 ? (json[0] as unknown) : undefined) : json;
  switch (type) {
    case 'Keyword':
    case 'Text':
      return typeof v === 'string' ? v : undefined;
    case 'Int':
      return typeof v === 'number' && Number.isInteger(v) ? v : undefined;
    case 'Double':
      return typeof v === 'number' ? v : undefined;
    case 'Bool':
      return typeof v === 'boolean' ? v : undefined;
    case 'Datetime':
      return typeof v === 'string' ? parseDatetimeMs(v) : undefined;
  }
}

const RFC3339 = /^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(\.\d{1,9})?([Zz]|[+-]\d{2}:\d{2})$/;

/** RFC 3339 (Go's RFC3339Nano, a bare date refused) to epoch ms, with microseconds kept as the fraction. */
export function parseDatetimeMs(text: string): number | undefined {
  const m = RFC3339.exec(text);
  if (!m) return undefined;
  const whole = Date.parse(`${m[1]}-${m[2]}-${m[3]}T${m[4]}:${m[5]}:${m[6]}${m[8]?.toUpperCase() ?? 'Z'}`);
  if (Number.isNaN(whole)) return undefined;
  const fraction = m[7] ? Number(`0${m[7]}`) : 0;
  return whole + Math.round(fraction * 1e6) / 1e3;
}

/** The payload of `value` as Temporal writes attributes out: JSON with `encoding` and `type` metadata. */
export function typedPayload(value: SearchAttributeValue, type: SearchAttributeType): temporal.api.common.v1.IPayload {
  const json = type === 'Datetime' && typeof value === 'number' ? new Date(value).toISOString() : value;
  return {
    metadata: { encoding: Buffer.from('json/plain'), type: Buffer.from(type) },
    data: Buffer.from(JSON.stringify(json)),
  };
}

/** `p` with `metadata.type` set to `type` (kept if the client set one). */
export function withTypeMetadata<P extends PayloadLike>(p: P, type: SearchAttributeType): P {
  if (p.metadata?.type) return p;
  return { ...p, metadata: { ...(p.metadata ?? {}), type: Buffer.from(type) } };
}

/** The part of a Payload read here (Wire and decoded payloads differ only in fields not touched). */
interface PayloadLike {
  metadata?: { [k: string]: Uint8Array } | null;
  data?: Uint8Array | null;
}

/**
 * Attributes as Temporal returns them (Describe, List, schedules): each payload typed through `metadata.type`;
 * custom attributes the namespace no longer has (removed) are left out, as Temporal leaves out unmapped fields.
 */
export function typedForOutput<P extends PayloadLike>(
  fields: Readonly<Record<string, P>>,
  custom: Readonly<Record<string, number>>,
): Record<string, P> {
  const out: Record<string, P> = {};
  for (const [name, payload] of Object.entries(fields)) {
    const type = attributeType(name, custom);
    if (type) out[name] = withTypeMetadata(payload, type);
  }
  return out;
}
