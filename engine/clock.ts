/**
 * Engine time. Everything durable (user timers, run/execution timeouts, retry backoff, retention, event
 * timestamps) runs on a virtual clock that may run `timeScale` times faster than real time, so a 30-day sleep
 * can be exercised in 30 seconds. Timeouts that bound real work (task start-to-close, schedule-to-start,
 * heartbeat) are real durations: callers convert them with {@link virtualDelayMs} so that one ordered queue
 * serves both.
 */
export interface TimerHandle {
  cancel(): void;
}

export interface Clock {
  /** Virtual time, epoch milliseconds. */
  now(): number;
  /** Virtual milliseconds that pass per real millisecond (1 = real time). */
  readonly timeScale: number;
  /** Runs `fn` once virtual time reaches `atMs` (soon if it already has; never before `schedule` returns). */
  schedule(atMs: number, fn: () => void): TimerHandle;
}

const MAX_TIMEOUT_MS = 2 ** 31 - 1;

/** Wall-clock time, optionally compressed: virtual = start + (real - start) * timeScale. */
export class ScaledClock implements Clock {
  private readonly anchorPerfMs = performance.now();
  private readonly anchorVirtualMs: number;

  constructor(
    readonly timeScale = 1,
    startMs = Date.now(),
  ) {
    if (!(timeScale > 0) || !Number.isFinite(timeScale))
      throw new RangeError(`timeScale must be > 0, got ${timeScale}`);
    this.anchorVirtualMs = startMs;
  }

  now(): number {
    return this.anchorVirtualMs + (performance.now() - this.anchorPerfMs) * this.timeScale;
  }

  schedule(atMs: number, fn: () => void): TimerHandle {
    let handle: NodeJS.Timeout | undefined;
    let cancelled = false;
    const arm = (): void => {
      if (cancelled) return;
      const realDelay = (atMs - this.now()) / this.timeScale;
      if (realDelay <= 0) {
        handle = undefined;
        fn();
        return;
      }
      handle = setTimeout(arm, Math.min(Math.ceil(realDelay), MAX_TIMEOUT_MS));
      handle.unref();
    };
    // Never call back before schedule() returns, even when already due: callers record the handle first.
    queueMicrotask(arm);
    return {
      cancel: () => {
        cancelled = true;
        if (handle) clearTimeout(handle);
      },
    };
  }
}

interface ManualEntry {
  atMs: number;
  seq: number;
  fn: () => void;
  cancelled: boolean;
}

/** A clock for tests: time moves only when `advance` is called, which fires due timers synchronously, in order. */
export class ManualClock implements Clock {
  readonly timeScale: number;
  private current: number;
  private seq = 0;
  private entries: ManualEntry[] = [];

  constructor(startMs = Date.UTC(2026, 0, 1), timeScale = 1) {
    this.current = startMs;
    this.timeScale = timeScale;
  }

  now(): number {
    return this.current;
  }

  schedule(atMs: number, fn: () => void): TimerHandle {
    const entry: ManualEntry = { atMs, seq: this.seq++, fn, cancelled: false };
    if (atMs <= this.current) {
      queueMicrotask(() => {
        if (!entry.cancelled) fn();
      });
    } else {
      this.entries.push(entry);
    }
    return { cancel: () => void (entry.cancelled = true) };
  }

  /** Moves time forward by `ms`, firing every timer that falls due on the way at its own time. */
  advance(ms: number): void {
    const target = this.current + ms;
    for (;;) {
      const due = this.entries
        .filter((e) => !e.cancelled && e.atMs <= target)
        .sort((a, b) => a.atMs - b.atMs || a.seq - b.seq)[0];
      if (!due) break;
      this.entries = this.entries.filter((e) => e !== due);
      this.current = Math.max(this.current, due.atMs);
      due.fn();
    }
    this.current = target;
    this.entries = this.entries.filter((e) => !e.cancelled);
  }

  /** Number of timers waiting (for tests). */
  get pending(): number {
    return this.entries.filter((e) => !e.cancelled).length;
  }
}
