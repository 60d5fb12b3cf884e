/**
 * The units of the harness: parsing what users type, durations ("250ms", "10s", "5m", "1h30m", "30d") and rates
 * ("100", "100/s", "6000/m"), and formatting what results hold (durations in ms, latencies in µs).
 */

const DURATION_UNITS: Record<string, number> = {
  us: 0.001,
  µs: 0.001,
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
};

/** Milliseconds, or undefined if `text` is not a duration. A bare number means seconds. */
export function parseDurationMs(text: string | number): number | undefined {
  if (typeof text === 'number') return Number.isFinite(text) && text >= 0 ? text * 1000 : undefined;
  const t = text.trim();
  if (t === '') return undefined;
  if (/^\d+(\.\d+)?$/.test(t)) return Number(t) * 1000;
  const re = /(\d+(?:\.\d+)?)(us|µs|ms|s|m|h|d)/gy;
  let total = 0;
  let pos = 0;
  for (const m of t.matchAll(re)) {
    if (m.index !== pos) return undefined;
    total += Number(m[1]) * (DURATION_UNITS[m[2] as string] as number);
    pos = m.index + m[0].length;
  }
  return pos === t.length && pos > 0 ? total : undefined;
}

export function formatDuration(ms: number): string {
  if (ms === 0) return '0s';
  if (ms < 1) return `${Math.round(ms * 1000)}µs`;
  if (ms < 1000) return `${Number(ms.toFixed(1))}ms`;
  const parts: string[] = [];
  let rest = ms;
  for (const [unit, size] of [
    ['d', 86_400_000],
    ['h', 3_600_000],
    ['m', 60_000],
  ] as const) {
    if (rest >= size) {
      parts.push(`${Math.floor(rest / size)}${unit}`);
      rest %= size;
    }
  }
  if (rest > 0) parts.push(`${Number((rest / 1000).toFixed(3))}s`);
  return parts.join('');
}

/** Per second, or undefined. */
export function parseRatePerSec(text: string | number): number | undefined {
  if (typeof text === 'number') return Number.isFinite(text) ? text : undefined;
  const m = /^\s*(-?\d+(?:\.\d+)?)\s*(?:\/\s*(s|m|h))?\s*$/.exec(text);
  if (!m) return undefined;
  const per = { s: 1, m: 60, h: 3600 }[(m[2] ?? 's') as 's' | 'm' | 'h'];
  return Number(m[1]) / per;
}

/** Microseconds, human-readable: the one latency formatter of progress lines, summaries, gates and reports. */
/** `+1.5 ms (±0.3 ms)`: a clock offset as reports and summaries print it. */
export function formatClockOffset(c: { offsetMs: number; uncertaintyMs: number }): string {
  return `${c.offsetMs >= 0 ? '+' : ''}${c.offsetMs} ms (±${c.uncertaintyMs} ms)`;
}

export function formatMicros(us: number | undefined): string {
  if (us === undefined || !Number.isFinite(us)) return '-';
  if (us < 1000) return `${Math.round(us)}µs`;
  if (us < 1_000_000) return `${(us / 1000).toFixed(us < 10_000 ? 2 : 1)}ms`;
  const sec = us / 1_000_000;
  if (sec < 120) return `${sec.toFixed(2)}s`;
  if (sec < 7200) return `${(sec / 60).toFixed(1)}min`;
  if (sec < 172_800) return `${(sec / 3600).toFixed(1)}h`;
  return `${(sec / 86_400).toFixed(1)}d`;
}
