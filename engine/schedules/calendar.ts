/**
 * Calendar specs as Temporal's scheduler reads them (`service/worker/scheduler/calendar.go`): the string form
 * (`"9-17/2"`, `"mon-fri"`, `"*"`) canonicalized to ranges, ranges validated, and a structured calendar compiled
 * to per-field sets that match a UTC time. Unlike cron, day-of-month AND day-of-week must both match.
 */
import type { temporal } from '../proto.js';

type Range = temporal.api.schedule.v1.IRange;
type Structured = temporal.api.schedule.v1.IStructuredCalendarSpec;

export interface Field {
  name: 'Second' | 'Minute' | 'Hour' | 'DayOfMonth' | 'Month' | 'Year' | 'DayOfWeek';
  key: 'second' | 'minute' | 'hour' | 'dayOfMonth' | 'month' | 'year' | 'dayOfWeek';
  min: number;
  max: number;
  /** What an empty string field means. */
  empty: string;
}

export const FIELDS: readonly Field[] = [
  { name: 'Second', key: 'second', min: 0, max: 59, empty: '0' },
  { name: 'Minute', key: 'minute', min: 0, max: 59, empty: '0' },
  { name: 'Hour', key: 'hour', min: 0, max: 23, empty: '0' },
  { name: 'DayOfMonth', key: 'dayOfMonth', min: 1, max: 31, empty: '*' },
  { name: 'Month', key: 'month', min: 1, max: 12, empty: '*' },
  { name: 'Year', key: 'year', min: 2000, max: 2100, empty: '*' },
  { name: 'DayOfWeek', key: 'dayOfWeek', min: 0, max: 6, empty: '*' },
];

const MONTHS = [
  'january',
  'february',
  'march',
  'april',
  'may',
  'june',
  'july',
  'august',
  'september',
  'october',
  'november',
  'december',
];
const DAYS = ['sunday', 'monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday'];

function named(f: Field, text: string): number | undefined {
  const t = text.toLowerCase();
  if (f.key === 'month' && t.length >= 3) {
    const i = MONTHS.findIndex((m) => m.startsWith(t));
    return i >= 0 ? i + 1 : undefined;
  }
  if (f.key === 'dayOfWeek' && t.length >= 2) {
    const i = DAYS.findIndex((d) => d.startsWith(t));
    return i >= 0 ? i : undefined;
  }
  return undefined;
}

function value(f: Field, text: string, errors: string[]): number {
  const n = /^\d+$/.test(text) ? Number(text) : named(f, text);
  // Day of week 7 is Sunday, as in cron.
  const max = f.key === 'dayOfWeek' ? 7 : f.max;
  if (n === undefined || n < f.min || n > max) {
    errors.push(`${f.name} is not in range [${f.min}-${f.max}]`);
    return f.min;
  }
  return n;
}

/** A string field (`*`, `1,5-9/2`, `*` stepped by 15, `mon-fri`) as ranges; problems appended to `errors`. */
export function makeRanges(f: Field, text: string, errors: string[]): Range[] {
  const s = text.trim() === '' ? f.empty : text.trim();
  // Year `*` is "any year": Temporal keeps it as an empty list.
  if (f.key === 'year' && s === '*') return [];
  const out: Range[] = [];
  for (const part of s.split(',')) {
    const slash = part.split('/');
    if (slash.length > 2) {
      errors.push(`${f.name} has too many slashes`);
      continue;
    }
    let step = 0;
    if (slash.length === 2) {
      if (slash[1] === '') {
        errors.push(`${f.name} missing step value`);
        continue;
      }
      step = /^\d+$/.test(slash[1] ?? '') ? Number(slash[1]) : -1;
      if (step < 1) {
        errors.push(`${f.name} has invalid Step`);
        continue;
      }
    }
    const body = slash[0] ?? '';
    let start: number;
    let end: number;
    if (body === '*') {
      start = f.min;
      end = f.max;
    } else {
      const dash = body.split('-');
      if (dash.length > 2) {
        errors.push(`${f.name} has too many dashes`);
        continue;
      }
      start = value(f, dash[0] ?? '', errors);
      end = dash.length === 2 ? value(f, dash[1] ?? '', errors) : slash.length === 2 ? f.max : start;
    }
    if (f.key === 'dayOfWeek' && start === 7 && end === 7) start = end = 0;
    else if (f.key === 'dayOfWeek' && end === 7) {
      end = 6;
      out.push({ start: 0 });
    }
    out.push(compact(start, end, step === 1 ? 0 : step));
  }
  return out;
}

function compact(start: number, end: number, step: number): Range {
  const r: Range = { start };
  if (end !== start) r.end = end;
  if (step > 1) r.step = step;
  return r;
}

export function structuredFromStrings(c: temporal.api.schedule.v1.ICalendarSpec, errors: string[]): Structured {
  const out: Structured = { comment: c.comment ?? '' };
  for (const f of FIELDS) out[f.key] = makeRanges(f, c[f.key] ?? '', errors);
  return out;
}

/** Problems with a structured calendar (Temporal's `validateStructuredCalendar`). */
export function structuredProblems(c: Structured): string[] {
  const errors: string[] = [];
  for (const f of FIELDS) {
    for (const r of c[f.key] ?? []) {
      const start = r.start ?? 0;
      const end = r.end ?? 0;
      if (start < f.min || start > f.max) errors.push(`${f.name} Start is not in range [${f.min}-${f.max}]`);
      if (end !== 0 && (end < start || end > f.max))
        errors.push(`${f.name} End is before Start or not in range [${f.min}-${f.max}]`);
      if ((r.step ?? 0) < 0) errors.push(`${f.name} has invalid Step`);
    }
  }
  if ((c.comment ?? '').length > 200) errors.push('comment is too long');
  return errors;
}

/** Temporal's CleanSpec on a range list: end < start becomes start, step 0 becomes 1. */
export function cleanRanges(ranges: Range[] | null | undefined): Range[] {
  return (ranges ?? []).map((r) => {
    const start = r.start ?? 0;
    return { start, end: Math.max(r.end ?? 0, start), step: Math.max(r.step ?? 0, 1) };
  });
}

export function cleanStructured(c: Structured): Structured {
  const out: Structured = { comment: c.comment ?? '' };
  for (const f of FIELDS) out[f.key] = cleanRanges(c[f.key]);
  return out;
}

/** A structured calendar as sets of allowed values per field (undefined = any, for an empty year list). */
export class CompiledCalendar {
  private readonly sets: Map<Field['key'], number[] | undefined>;

  constructor(c: Structured) {
    this.sets = new Map();
    for (const f of FIELDS) {
      const ranges = c[f.key] ?? [];
      if (ranges.length === 0) {
        this.sets.set(f.key, f.key === 'year' ? undefined : []);
        continue;
      }
      const values = new Set<number>();
      for (const r of ranges) {
        const start = r.start ?? 0;
        const end = Math.max(r.end ?? 0, start);
        const step = Math.max(r.step ?? 0, 1);
        for (let v = start; v <= end; v += step) values.add(v);
      }
      this.sets.set(
        f.key,
        [...values].sort((a, b) => a - b),
      );
    }
  }

  private has(key: Field['key'], v: number): boolean {
    const set = this.sets.get(key);
    return set === undefined || set.includes(v);
  }

  matches(ms: number): boolean {
    const d = new Date(ms);
    return (
      this.dayMatches(d) &&
      this.has('hour', d.getUTCHours()) &&
      this.has('minute', d.getUTCMinutes()) &&
      this.has('second', d.getUTCSeconds())
    );
  }

  private dayMatches(d: Date): boolean {
    return (
      this.has('year', d.getUTCFullYear()) &&
      this.has('month', d.getUTCMonth() + 1) &&
      this.has('dayOfMonth', d.getUTCDate()) &&
      this.has('dayOfWeek', d.getUTCDay())
    );
  }

  /** The first matching second strictly after `afterMs` (UTC), or undefined past 2100. */
  next(afterMs: number): number | undefined {
    const first = Math.floor(afterMs / 1000) * 1000 + 1000;
    const start = new Date(first);
    let day = Date.UTC(start.getUTCFullYear(), start.getUTCMonth(), start.getUTCDate());
    const limit = Date.UTC(2101, 0, 1);
    const hours = this.sets.get('hour') ?? [];
    const minutes = this.sets.get('minute') ?? [];
    const seconds = this.sets.get('second') ?? [];
    for (; day < limit; day += 86_400_000) {
      if (!this.dayMatches(new Date(day))) continue;
      for (const h of hours)
        for (const m of minutes)
          for (const s of seconds) {
            const t = day + ((h * 60 + m) * 60 + s) * 1000;
            if (t >= first) return t;
          }
    }
    return undefined;
  }
}
