/**
 * A schedule's spec: canonicalized as Temporal stores it (calendar strings and cron strings become structured
 * calendars or intervals; `spec.go canonicalizeSpec`), validated with its messages ("Invalid schedule spec: …"),
 * and compiled to `nextTime`: the next nominal time after a moment, and that time with the spec's jitter.
 *
 * Times are UTC: a spec naming another time zone is refused (this engine has no time-zone database wired in).
 */
import { InvalidArgumentError } from '../errors.js';
import { durationFromMs, msFromDuration, type ITimestamp, type temporal, type Wire } from '../proto.js';
import {
  CompiledCalendar,
  cleanStructured,
  FIELDS,
  makeRanges,
  structuredFromStrings,
  structuredProblems,
} from './calendar.js';

type Spec = Wire<temporal.api.schedule.v1.IScheduleSpec>;
type Structured = temporal.api.schedule.v1.IStructuredCalendarSpec;

const DESCRIPTORS: ReadonlyMap<string, string> = new Map([
  ['@yearly', '0 0 1 1 *'],
  ['@annually', '0 0 1 1 *'],
  ['@monthly', '0 0 1 * *'],
  ['@weekly', '0 0 * * 0'],
  ['@daily', '0 0 * * *'],
  ['@midnight', '0 0 * * *'],
  ['@hourly', '0 * * * *'],
]);

const GO_UNITS_MS: ReadonlyMap<string, number> = new Map([
  ['ns', 1e-6],
  ['us', 1e-3],
  ['µs', 1e-3],
  ['ms', 1],
  ['s', 1000],
  ['m', 60_000],
  ['h', 3_600_000],
  ['d', 86_400_000],
]);

/** A Go duration (`90s`, `1h30m`, `1.5h`, plus `d` for days as Temporal accepts) in ms, or undefined. */
function goDurationMs(text: string): number | undefined {
  const parts = [...text.matchAll(/(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h|d)/g)];
  if (parts.length === 0 || parts.map((p) => p[0]).join('') !== text) return undefined;
  return parts.reduce((sum, p) => sum + Number(p[1]) * (GO_UNITS_MS.get(p[2] ?? '') ?? 0), 0);
}

/** One cron string (Temporal's `parseCronString`) as a structured calendar or an interval. */
function parseCronString(
  raw: string,
  errors: string[],
): { calendar?: Structured; interval?: Wire<temporal.api.schedule.v1.IIntervalSpec>; tz: string } {
  let s = raw.trim();
  let tz = '';
  const tzMatch = /^(?:CRON_)?TZ=(\S+)\s*(.*)$/.exec(s);
  if (tzMatch) {
    tz = tzMatch[1] ?? '';
    s = tzMatch[2] ?? '';
    if (s === '') {
      errors.push('CronString has time zone but missing fields');
      return { tz };
    }
  }
  let comment = '';
  const hash = s.indexOf('#');
  if (hash >= 0) {
    comment = s.slice(hash + 1).trim();
    s = s.slice(0, hash).trim();
  }
  if (s.startsWith('@every')) {
    const rest = s.slice('@every'.length).trim();
    if (rest === '') {
      errors.push('CronString does not have interval after @every');
      return { tz };
    }
    const [every = '', phase = ''] = rest.split('/');
    const everyMs = goDurationMs(every);
    const phaseMs = phase === '' ? 0 : goDurationMs(phase);
    if (everyMs === undefined || phaseMs === undefined) {
      errors.push(`CronString has invalid interval: ${rest}`);
      return { tz };
    }
    return { interval: { interval: durationFromMs(everyMs), phase: durationFromMs(phaseMs) }, tz };
  }
  s = DESCRIPTORS.get(s.toLowerCase()) ?? s;
  const fields = s.split(/\s+/).filter(Boolean);
  let strings: Record<string, string>;
  if (fields.length === 5) {
    const [minute, hour, dayOfMonth, month, dayOfWeek] = fields;
    strings = { second: '0', minute, hour, dayOfMonth, month, dayOfWeek, year: '*' } as Record<string, string>;
  } else if (fields.length === 6) {
    const [minute, hour, dayOfMonth, month, dayOfWeek, year] = fields;
    strings = { second: '0', minute, hour, dayOfMonth, month, dayOfWeek, year } as Record<string, string>;
  } else if (fields.length === 7) {
    const [second, minute, hour, dayOfMonth, month, dayOfWeek, year] = fields;
    strings = { second, minute, hour, dayOfMonth, month, dayOfWeek, year } as Record<string, string>;
  } else {
    errors.push('CronString does not have 5-7 fields');
    return { tz };
  }
  const calendar: Structured = { comment };
  for (const f of FIELDS) calendar[f.key] = makeRanges(f, strings[f.key] ?? '', errors);
  return { calendar, tz };
}

/** The canonical spec Temporal stores, or INVALID_ARGUMENT "Invalid schedule spec: …". */
export function canonicalizeSpec(spec: Spec | null | undefined): Spec {
  const s = spec ?? {};
  const errors: string[] = [];
  const structured: Structured[] = [...(s.structuredCalendar ?? [])];
  const intervals = [...(s.interval ?? [])];
  for (const c of s.calendar ?? []) structured.push(structuredFromStrings(c, errors));
  const excluded: Structured[] = [...(s.excludeStructuredCalendar ?? [])];
  for (const c of s.excludeCalendar ?? []) excluded.push(structuredFromStrings(c, errors));
  let timezone = s.timezoneName ?? '';
  const zones = new Set<string>();
  for (const cron of s.cronString ?? []) {
    const parsed = parseCronString(cron, errors);
    zones.add(parsed.tz);
    if (parsed.calendar) structured.push(parsed.calendar);
    if (parsed.interval) intervals.push(parsed.interval);
  }
  if (zones.size > 1) errors.push('conflicting timezone names');
  const cronZone = [...zones][0] ?? '';
  if (cronZone !== '') {
    if (timezone !== '' && timezone !== cronZone) errors.push('conflicting timezone names');
    timezone = cronZone;
  }
  if (errors.length > 0) throw invalidSpec(errors.join(', '));
  for (const c of [...structured, ...excluded]) {
    const problems = structuredProblems(c);
    if (problems.length > 0) throw invalidSpec(`invalid calendar spec: ${problems.join(', ')}`);
  }
  for (const i of intervals) {
    const every = msFromDuration(i.interval);
    const phase = msFromDuration(i.phase);
    if (every < 1000) throw invalidSpec('interval is too small');
    if (phase < 0) throw invalidSpec('phase is negative');
    if (phase >= every) throw invalidSpec('phase cannot be greater than Interval');
  }
  if (timezone !== '' && timezone.toUpperCase() !== 'UTC')
    throw invalidSpec(`time zone ${timezone} is not supported by the stampede reference engine (only UTC)`);
  const out: Spec = { structuredCalendar: structured, interval: intervals, excludeStructuredCalendar: excluded };
  if (s.startTime) out.startTime = s.startTime;
  if (s.endTime) out.endTime = s.endTime;
  if (s.jitter) out.jitter = s.jitter;
  if (timezone) out.timezoneName = timezone;
  return out;
}

function invalidSpec(message: string): InvalidArgumentError {
  return new InvalidArgumentError(`Invalid schedule spec: ${message}`);
}

/** The spec as Describe and List return it: Temporal's CleanSpec on every range. */
export function cleanSpec(spec: Spec): Spec {
  return {
    ...spec,
    structuredCalendar: (spec.structuredCalendar ?? []).map(cleanStructured),
    excludeStructuredCalendar: (spec.excludeStructuredCalendar ?? []).map(cleanStructured),
  };
}

export interface NextTime {
  nominalMs: number;
  /** The nominal time plus jitter: when the action is taken. */
  nextMs: number;
}

function timestampMs(t: ITimestamp | null | undefined): number | undefined {
  return t ? msFromDuration(t) : undefined;
}

/** A canonical spec compiled for `nextTime` (Temporal's `CompiledSpec.GetNextTime`). */
export class CompiledSpec {
  private readonly calendars: CompiledCalendar[];
  private readonly excludes: CompiledCalendar[];
  private readonly intervals: { everyS: number; phaseS: number }[];
  private readonly startMs: number | undefined;
  private readonly endMs: number | undefined;
  private readonly jitterMs: number;

  constructor(
    spec: Spec,
    /** Seeds the jitter (Temporal: `<namespaceId>-<scheduleId>`). */
    private readonly seed: string,
  ) {
    this.calendars = (spec.structuredCalendar ?? []).map((c) => new CompiledCalendar(c));
    this.excludes = (spec.excludeStructuredCalendar ?? []).map((c) => new CompiledCalendar(c));
    this.intervals = (spec.interval ?? []).map((i) => ({
      everyS: Math.floor((timestampMs(i.interval) ?? 0) / 1000),
      phaseS: Math.floor((timestampMs(i.phase) ?? 0) / 1000),
    }));
    this.startMs = timestampMs(spec.startTime);
    this.endMs = timestampMs(spec.endTime);
    this.jitterMs = timestampMs(spec.jitter) ?? 0;
  }

  private rawNext(afterMs: number): number | undefined {
    let best: number | undefined;
    for (const c of this.calendars) {
      const t = c.next(afterMs);
      if (t !== undefined && (best === undefined || t < best)) best = t;
    }
    const ts = Math.floor(afterMs / 1000);
    for (const { everyS, phaseS } of this.intervals) {
      // Intervals are anchored to the Unix epoch plus the phase, not to the schedule's creation.
      const t = (Math.floor((ts - phaseS) / everyS) + 1) * everyS + phaseS;
      if (best === undefined || t * 1000 < best) best = t * 1000;
    }
    return best;
  }

  /** The next time strictly after `afterMs`, or undefined when the spec has no more. */
  nextTime(afterMs: number): NextTime | undefined {
    let after = this.startMs !== undefined ? Math.max(afterMs, this.startMs - 1000) : afterMs;
    let nominal: number | undefined;
    for (;;) {
      nominal = this.rawNext(after);
      if (nominal === undefined || (this.endMs !== undefined && nominal > this.endMs)) return undefined;
      if (new Date(nominal).getUTCFullYear() > 2100) return undefined;
      if (!this.excludes.some((e) => e.matches(nominal as number))) break;
      after = nominal;
    }
    let maxJitter = this.jitterMs;
    if (maxJitter > 0) {
      const following = this.rawNext(nominal);
      if (following !== undefined) maxJitter = Math.min(maxJitter, following - nominal);
    }
    return { nominalMs: nominal, nextMs: nominal + Math.floor(unitHash(`${nominal}-${this.seed}`) * maxJitter) };
  }
}

/** A deterministic value in [0, 1) from a string (FNV-1a): the same nominal time always gets the same jitter. */
function unitHash(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h / 2 ** 32;
}
