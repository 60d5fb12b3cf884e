/**
 * Failures logged as a rate-limited summary: the first failure of a class in an interval is logged in full (what it
 * is), the rest only counted, and when the interval ends one line gives the counts per class. During a store outage
 * every call fails the same way; one line per failed call wrote ~0.5 MB of identical lines a minute and buried the
 * one line that mattered ("store unreachable"). Classes are bounded too: past `maxClasses` in an interval, failures
 * count under "other".
 */

export interface ErrorLogOptions {
  /** Real ms per summary interval. @default 10000 */
  intervalMs: number;
  /** Distinct classes tracked per interval. @default 64 */
  maxClasses: number;
}

export const ERROR_LOG_DEFAULTS: ErrorLogOptions = { intervalMs: 10_000, maxClasses: 64 };

/** The class of an error for counting: its stable code when it has one, else its name. */
export function errorClassOf(err: unknown): string {
  if (err instanceof Error) {
    const code = (err as { code?: unknown }).code;
    return typeof code === 'string' || typeof code === 'number' ? `${err.name} ${String(code)}` : err.name;
  }
  return typeof err;
}

export class ErrorLog {
  private counts = new Map<string, number>();
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;
  /** Failures reported, all classes, since the log began (for tests and stats). */
  total = 0;

  constructor(
    private readonly log: (line: string) => void,
    private readonly opts: ErrorLogOptions = ERROR_LOG_DEFAULTS,
  ) {}

  /** One failure of `errorClass`; `detail` is logged only if it is the class's first in this interval. */
  report(errorClass: string, detail: string): void {
    this.total += 1;
    if (this.stopped) return;
    const cls = this.counts.has(errorClass) || this.counts.size < this.opts.maxClasses ? errorClass : 'other';
    const seen = this.counts.get(cls);
    this.counts.set(cls, (seen ?? 0) + 1);
    if (seen === undefined) this.log(`${cls}: ${detail.length > 500 ? `${detail.slice(0, 500)}...` : detail}`);
    this.timer ??= setTimeout(() => this.flush(), this.opts.intervalMs).unref();
  }

  /** Ends the interval: one line with the counts per class, unless each failure was already logged in full. */
  flush(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    const counts = [...this.counts].sort((a, b) => b[1] - a[1]);
    this.counts = new Map();
    if (counts.every(([, n]) => n === 1)) return;
    const total = counts.reduce((s, [, n]) => s + n, 0);
    this.log(
      `${total} failures in the last ${Math.round(this.opts.intervalMs / 1000)} s: ${counts.map(([c, n]) => `${n} × ${c}`).join(', ')}`,
    );
  }

  stop(): void {
    this.flush();
    this.stopped = true;
  }
}
