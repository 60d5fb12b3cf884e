/** Long-poll waiters for new events of a run (GetWorkflowExecutionHistory with waitNewEvent). */
export class HistoryWaiters {
  private readonly waiters = new Map<string, Set<() => void>>();

  /** Resolves true on a new event, false on timeout or abort. */
  wait(cacheKey: string, timeoutMs: number, signal: AbortSignal): Promise<boolean> {
    if (signal.aborted || timeoutMs <= 0) return Promise.resolve(false);
    return new Promise((resolve) => {
      let set = this.waiters.get(cacheKey);
      if (!set) {
        set = new Set();
        this.waiters.set(cacheKey, set);
      }
      const done = (result: boolean): void => {
        clearTimeout(timer);
        signal.removeEventListener('abort', onAbort);
        const s = this.waiters.get(cacheKey);
        s?.delete(wake);
        if (s?.size === 0) this.waiters.delete(cacheKey);
        resolve(result);
      };
      const wake = (): void => done(true);
      const onAbort = (): void => done(false);
      const timer = setTimeout(() => done(false), timeoutMs);
      signal.addEventListener('abort', onAbort, { once: true });
      set.add(wake);
    });
  }

  notify(cacheKey: string): void {
    const set = this.waiters.get(cacheKey);
    if (!set) return;
    for (const wake of [...set]) wake();
  }

  get size(): number {
    let n = 0;
    for (const s of this.waiters.values()) n += s.size;
    return n;
  }
}
