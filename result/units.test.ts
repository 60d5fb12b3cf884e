import { describe, expect, it } from 'vitest';
import { formatDuration, formatMicros, parseDurationMs, parseRatePerSec } from './units.js';

describe('durations', () => {
  it.each([
    ['250ms', 250],
    ['10s', 10_000],
    ['1h30m', 5_400_000],
    ['30d', 2_592_000_000],
    ['1.5s', 1500],
    ['12', 12_000],
    ['100us', 0.1],
  ])('parses %s', (text, ms) => expect(parseDurationMs(text)).toBe(ms));

  it.each(['', 'ten', '10x', '5s5', '-1s', 's', '1s 2m'])('rejects %j', (text) =>
    expect(parseDurationMs(text)).toBeUndefined(),
  );

  it('formats', () => {
    expect(formatDuration(5_400_000)).toBe('1h30m');
    expect(formatDuration(1500)).toBe('1.5s');
    expect(formatDuration(250)).toBe('250ms');
  });
});

describe('rates', () => {
  it('parses per second, minute, hour', () => {
    expect(parseRatePerSec('100')).toBe(100);
    expect(parseRatePerSec('100/s')).toBe(100);
    expect(parseRatePerSec('6000/m')).toBe(100);
    expect(parseRatePerSec('-5')).toBe(-5);
    expect(parseRatePerSec('fast')).toBeUndefined();
  });
  it('formats micros', () => {
    expect(formatMicros(950)).toBe('950µs');
    expect(formatMicros(12_500)).toBe('12.5ms');
    expect(formatMicros(2_500_000)).toBe('2.50s');
  });
});
