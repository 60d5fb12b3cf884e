import { describe, expect, it } from 'vitest';
import { cronBackoffMs, parseCron } from './cron.js';

const T0 = Date.UTC(2026, 0, 1, 12, 0, 30); // 12:00:30 UTC

describe('cron schedules (Temporal semantics)', () => {
  it('takes the standard five fields and descriptors, refuses others with the reason', () => {
    expect(typeof parseCron('*/5 * * * *')).toBe('object');
    expect(typeof parseCron('@hourly')).toBe('object');
    expect(typeof parseCron('CRON_TZ=America/New_York 0 9 * * *')).toBe('object');
    expect(parseCron('* * *')).toMatch(/expected exactly 5 fields/);
    expect(parseCron('0 0 * * * *')).toMatch(/expected exactly 5 fields/);
    expect(typeof parseCron('61 * * * *')).toBe('string');
  });

  it('waits until the next matching time, rounded up to whole seconds', () => {
    const every = parseCron('* * * * *');
    if (typeof every === 'string') throw new Error(every);
    expect(cronBackoffMs(every, T0, T0)).toBe(30_000);
    expect(cronBackoffMs(every, T0, T0 + 200)).toBe(30_000); // 29.8 s rounds up
  });

  it('skips slots missed while the run was running, without catching them up', () => {
    const hourly = parseCron('0 * * * *');
    if (typeof hourly === 'string') throw new Error(hourly);
    // Scheduled at 12:00:30, closed at 14:10: the next slot is 15:00, not 13:00.
    const closed = Date.UTC(2026, 0, 1, 14, 10, 0);
    expect(cronBackoffMs(hourly, T0, closed)).toBe(50 * 60_000);
  });

  it('evaluates a CRON_TZ schedule in its zone', () => {
    const nine = parseCron('CRON_TZ=America/New_York 0 9 * * *');
    if (typeof nine === 'string') throw new Error(nine);
    // 09:00 in New York in January is 14:00 UTC.
    expect(nine.next(Date.UTC(2026, 0, 1, 13, 0, 0))).toBe(Date.UTC(2026, 0, 1, 14, 0, 0));
  });
});
