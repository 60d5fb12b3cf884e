/**
 * The coordinator (main thread): spawns starter and poller threads, starts them on one t0, merges their
 * intervals, and watches them. A thread that dies before it says 'done' fails the run loudly: everything
 * pending is rejected and the other threads are stopped.
 */
import type { Worker } from 'node:worker_threads';
import { RemoteError, RunFailedError } from '../errors.js';
import type {
  CoordinatorMessage,
  ThreadEffectiveOptions,
  ThreadInit,
  ThreadMessage,
  ThreadRequest,
} from './protocol.js';
import type { ClockBounds } from '../recorder/clock-offset.js';
import { THREAD_ENTRIES } from '../threads/entries.js';
import { spawnThread } from '../threads/spawn.js';

export interface ThreadHandle {
  id: number;
  role: 'starter' | 'poller';
  worker: Worker;
  done: boolean;
  /** Counters over the thread's whole run, once done. */
  totals: Record<string, number>;
  /** The run options as the thread applies them, once ready. */
  effective: ThreadEffectiveOptions | undefined;
  /** Bounds on the engine's clock minus this process's, once done. */
  clockOffset?: ClockBounds | undefined;
}

export interface CoordinatorEvents {
  interval(threadId: number, m: Extract<ThreadMessage, { type: 'interval' }>): void;
  done(threadId: number, lastIndex: number): void;
  log(message: string): void;
}

export class Coordinator {
  readonly threads: ThreadHandle[] = [];
  private failure: RunFailedError | undefined;
  private readonly failureWaiters: ((e: RunFailedError) => void)[] = [];
  private readonly doneWaiters = new Map<number, () => void>();
  private nextRequestId = 1;
  /** Expectations of the run, by workflow id, merged from every thread (scenario verification). */
  readonly expected = new Map<string, Record<string, number>>();
  private readonly pending = new Map<number, { thread: number; resolve(v: unknown): void; reject(e: unknown): void }>();

  constructor(private readonly events: CoordinatorEvents) {}

  spawn(inits: ThreadInit[]): void {
    inits.forEach((init, id) => {
      const worker = spawnThread(THREAD_ENTRIES[init.role], init);
      const handle: ThreadHandle = { id, role: init.role, worker, done: false, totals: {}, effective: undefined };
      this.threads.push(handle);
      worker.on('message', (m: ThreadMessage) => this.onMessage(handle, m));
      worker.on('error', (err) =>
        this.fail(new RunFailedError(`${init.role} thread ${id} crashed: ${err.message}`, { cause: err })),
      );
      worker.on('exit', (code) => {
        if (!handle.done)
          this.fail(new RunFailedError(`${init.role} thread ${id} exited (code ${code}) before finishing its work`));
      });
    });
  }

  private readyCount = 0;
  private readyWaiter: (() => void) | undefined;

  private onMessage(h: ThreadHandle, m: ThreadMessage): void {
    switch (m.type) {
      case 'ready':
        h.effective = m.effective;
        this.readyCount += 1;
        if (this.readyCount === this.threads.length) this.readyWaiter?.();
        break;
      case 'interval':
        this.events.interval(h.id, m);
        break;
      case 'done':
        h.done = true;
        h.totals = m.totals;
        h.clockOffset = m.clockOffset;
        for (const [id, e] of Object.entries(m.expected)) {
          const into = this.expected.get(id) ?? {};
          for (const [k, v] of Object.entries(e)) into[k] = (into[k] ?? 0) + v;
          this.expected.set(id, into);
        }
        this.events.done(h.id, m.lastIndex);
        this.doneWaiters.get(h.id)?.();
        break;
      case 'fatal':
        this.fail(
          new RunFailedError(`${h.role} thread ${h.id} failed`, {
            cause: new RemoteError(m.error, `${h.role} thread ${h.id}`),
          }),
        );
        break;
      case 'log':
        this.events.log(m.message);
        break;
      case 'response': {
        const p = this.pending.get(m.id);
        this.pending.delete(m.id);
        if (!p) break;
        if (m.ok) p.resolve(m.value);
        else p.reject(new RemoteError(m.error, `${h.role} thread ${h.id}`));
        break;
      }
    }
  }

  private fail(err: RunFailedError): void {
    if (this.failure) return;
    this.failure = err;
    // Nothing waits forever on a thread that is gone.
    for (const p of this.pending.values()) p.reject(err);
    this.pending.clear();
    for (const w of this.failureWaiters.splice(0)) w(err);
    for (const t of this.threads) if (!t.done) void t.worker.terminate();
  }

  /** Rejects as soon as any thread fails; races every wait of the run. */
  private failed(): Promise<never> {
    if (this.failure) return Promise.reject(this.failure);
    return new Promise((_, reject) => this.failureWaiters.push(reject));
  }

  guard<T>(p: Promise<T>): Promise<T> {
    return Promise.race([p, this.failed()]);
  }

  async ready(timeoutMs: number): Promise<void> {
    const all = new Promise<void>((resolve) => {
      if (this.readyCount === this.threads.length) resolve();
      else this.readyWaiter = resolve;
    });
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new RunFailedError(`threads not ready after ${timeoutMs} ms (is the target reachable?)`)),
        timeoutMs,
      );
    });
    try {
      await this.guard(Promise.race([all, timeout]));
    } finally {
      clearTimeout(timer);
    }
  }

  /** Asks one thread a question; rejected if the thread fails before answering. */
  request(threadId: number, body: ThreadRequest): Promise<unknown> {
    const t = this.threads[threadId];
    if (this.failure) return Promise.reject(this.failure);
    if (!t || t.done) return Promise.reject(new Error(`thread ${threadId} is not running`));
    const id = this.nextRequestId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { thread: threadId, resolve, reject });
      t.worker.postMessage({ type: 'request', id, body } satisfies CoordinatorMessage);
    });
  }

  /** A counter summed over the threads of a role: live from running threads, final totals from finished ones. */
  async liveTotal(role: 'starter' | 'poller', counter: string): Promise<number> {
    const values = await Promise.all(
      this.threads
        .filter((t) => t.role === role)
        .map(
          async (t) =>
            (t.done ? t.totals : ((await this.request(t.id, { kind: 'counters' })) as Record<string, number>))[
              counter
            ] ?? 0,
        ),
    );
    return values.reduce((a, b) => a + b, 0);
  }

  broadcast(m: CoordinatorMessage, role?: 'starter' | 'poller'): void {
    for (const t of this.threads) if (!t.done && (role === undefined || t.role === role)) t.worker.postMessage(m);
  }

  /** Resolves when every thread of `role` has finished. */
  async finished(role: 'starter' | 'poller'): Promise<void> {
    const pending = this.threads
      .filter((t) => t.role === role && !t.done)
      .map((t) => new Promise<void>((resolve) => this.doneWaiters.set(t.id, resolve)));
    await this.guard(Promise.all(pending));
  }

  /** Sum of a counter over the finished threads of a role. */
  total(role: 'starter' | 'poller', counter: string): number {
    return this.threads.filter((t) => t.role === role).reduce((n, t) => n + (t.totals[counter] ?? 0), 0);
  }

  get failedWith(): RunFailedError | undefined {
    return this.failure;
  }

  async terminateAll(): Promise<void> {
    await Promise.all(this.threads.map((t) => t.worker.terminate()));
  }
}
