/**
 * Runs queued tasks with bounded concurrency. A task that throws is retried with exponential backoff (real
 * time, capped) until it completes or is dropped; it stays pending meanwhile, holding back the ack level.
 */
export type TaskOutcome = 'done' | 'drop';

export interface TaskRunnerDeps<T> {
  concurrency: number;
  execute(task: T): Promise<TaskOutcome>;
  done(task: T): void;
  onError(task: T, err: unknown): void;
  /** First retry delay, ms. */
  retryBaseMs?: number;
  retryMaxMs?: number;
}

export class TaskRunner<T> {
  private readonly queue: T[] = [];
  private head = 0;
  private running = 0;
  private readonly attempts = new Map<T, number>();
  private idleWaiters: (() => void)[] = [];
  private stopped = false;

  constructor(private readonly deps: TaskRunnerDeps<T>) {}

  submit(task: T): void {
    if (this.stopped) return;
    this.queue.push(task);
    this.pump();
  }

  get active(): number {
    return this.running;
  }

  get backlog(): number {
    return this.queue.length - this.head;
  }

  private pump(): void {
    while (this.running < this.deps.concurrency && this.head < this.queue.length) {
      const task = this.queue[this.head++] as T;
      if (this.head > 1024 && this.head * 2 > this.queue.length) {
        this.queue.splice(0, this.head);
        this.head = 0;
      }
      this.running += 1;
      void this.run(task);
    }
    if (this.running === 0 && this.head >= this.queue.length) {
      const waiters = this.idleWaiters;
      this.idleWaiters = [];
      for (const w of waiters) w();
    }
  }

  private async run(task: T): Promise<void> {
    try {
      await this.deps.execute(task);
      this.attempts.delete(task);
      this.deps.done(task);
    } catch (err) {
      this.deps.onError(task, err);
      const n = (this.attempts.get(task) ?? 0) + 1;
      this.attempts.set(task, n);
      const delay = Math.min((this.deps.retryBaseMs ?? 50) * 2 ** (n - 1), this.deps.retryMaxMs ?? 5_000);
      if (!this.stopped) {
        setTimeout(() => this.submit(task), delay).unref();
      }
    } finally {
      this.running -= 1;
      this.pump();
    }
  }

  /** Stops accepting work and resolves once nothing is running. */
  drain(): Promise<void> {
    this.stopped = true;
    this.queue.length = 0;
    this.head = 0;
    if (this.running === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }
}
