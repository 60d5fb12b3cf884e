import { describe, expect, it } from 'vitest';
import { durationFromMs, timestampFromMs } from '../proto.js';
import { canonicalizeSpec, cleanSpec, CompiledSpec } from './spec.js';

const at = (iso: string): number => Date.parse(iso);
const iso = (ms: number | undefined): string | undefined => (ms === undefined ? undefined : new Date(ms).toISOString());

function times(spec: Parameters<typeof canonicalizeSpec>[0], fromIso: string, n: number): (string | undefined)[] {
  const compiled = new CompiledSpec(canonicalizeSpec(spec), 'ns-s');
  const out: (string | undefined)[] = [];
  let t = at(fromIso);
  for (let i = 0; i < n; i++) {
    const next = compiled.nextTime(t);
    out.push(iso(next?.nominalMs));
    if (!next) break;
    t = next.nextMs;
  }
  return out;
}

describe('schedule specs, as Temporal compiles them', () => {
  it('turns a cron string into a structured calendar, described with CleanSpec', () => {
    const spec = canonicalizeSpec({ cronString: ['0 12 * * MON-WED,FRI'] });
    expect(cleanSpec(spec).structuredCalendar).toEqual([
      {
        comment: '',
        second: [{ start: 0, end: 0, step: 1 }],
        minute: [{ start: 0, end: 0, step: 1 }],
        hour: [{ start: 12, end: 12, step: 1 }],
        dayOfMonth: [{ start: 1, end: 31, step: 1 }],
        month: [{ start: 1, end: 12, step: 1 }],
        year: [],
        dayOfWeek: [
          { start: 1, end: 3, step: 1 },
          { start: 5, end: 5, step: 1 },
        ],
      },
    ]);
    // 2026-01-01 is a Thursday.
    expect(times({ cronString: ['0 12 * * MON-WED,FRI'] }, '2026-01-01T00:00:00Z', 3)).toEqual([
      '2026-01-02T12:00:00.000Z',
      '2026-01-05T12:00:00.000Z',
      '2026-01-06T12:00:00.000Z',
    ]);
  });

  it('requires day of month AND day of week (unlike cron)', () => {
    // The first Monday that is the 1st of a month after 2026-01-01: June 1st, 2026.
    expect(times({ calendar: [{ dayOfMonth: '1', dayOfWeek: 'mon', hour: '9' }] }, '2026-01-01T00:00:00Z', 1)).toEqual([
      '2026-06-01T09:00:00.000Z',
    ]);
  });

  it('anchors intervals to the epoch plus the phase, and honours start, end and exclusions', () => {
    const hourly = { interval: [{ interval: durationFromMs(3_600_000), phase: durationFromMs(300_000) }] };
    expect(times(hourly, '2026-01-01T10:30:00Z', 2)).toEqual(['2026-01-01T11:05:00.000Z', '2026-01-01T12:05:00.000Z']);
    expect(
      times(
        {
          ...hourly,
          endTime: timestampFromMs(at('2026-01-01T12:00:00Z')),
          excludeCalendar: [{ hour: '11', minute: '5' }],
        },
        '2026-01-01T10:30:00Z',
        2,
      ),
    ).toEqual([undefined]);
    expect(
      times({ ...hourly, startTime: timestampFromMs(at('2026-03-01T00:00:00Z')) }, '2026-01-01T00:00:00Z', 1),
    ).toEqual(['2026-03-01T00:05:00.000Z']);
    expect(times({ cronString: ['@every 90m'] }, '2026-01-01T00:00:00Z', 1)).toEqual(['2026-01-01T01:30:00.000Z']);
  });

  it('jitters deterministically, less than the gap to the next time', () => {
    const spec = canonicalizeSpec({
      interval: [{ interval: durationFromMs(60_000) }],
      jitter: durationFromMs(3_600_000),
    });
    const a = new CompiledSpec(spec, 'ns-a').nextTime(at('2026-01-01T00:00:00Z'));
    const again = new CompiledSpec(spec, 'ns-a').nextTime(at('2026-01-01T00:00:00Z'));
    expect(a).toEqual(again);
    expect(a!.nextMs - a!.nominalMs).toBeGreaterThanOrEqual(0);
    expect(a!.nextMs - a!.nominalMs).toBeLessThan(60_000);
  });

  it.each([
    [{ cronString: ['0 12 * *'] }, 'Invalid schedule spec: CronString does not have 5-7 fields'],
    [{ cronString: ['@every'] }, 'Invalid schedule spec: CronString does not have interval after @every'],
    [{ cronString: ['61 * * * *'] }, 'Invalid schedule spec: Minute is not in range [0-59]'],
    [{ calendar: [{ hour: '1/0' }] }, 'Invalid schedule spec: Hour has invalid Step'],
    [{ interval: [{ interval: durationFromMs(500) }] }, 'Invalid schedule spec: interval is too small'],
    [
      { interval: [{ interval: durationFromMs(60_000), phase: durationFromMs(60_000) }] },
      'Invalid schedule spec: phase cannot be greater than Interval',
    ],
    [
      { structuredCalendar: [{ hour: [{ start: 25 }] }] },
      'Invalid schedule spec: invalid calendar spec: Hour Start is not in range [0-23]',
    ],
  ])('refuses %j', (spec, message) => {
    expect(() => canonicalizeSpec(spec)).toThrow(message);
  });
});
