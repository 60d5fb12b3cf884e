/**
 * Due tasks waiting for an execution slot, served round-robin across workflow runs: a herd of timers of one
 * workflow must not hold every slot of its shard while other workflows' timers (and the RPCs sharing the shard)
 * wait behind all of it. Each run keeps its tasks in fire order; `take` serves one task of each run in turn, so a
 * lone herd still drains at full speed and anyone else waits at most one task per run ahead of it. O(1) per task.
 */
export class RoundRobin<T> {
  /** Runs in service order (a Map keeps insertion order: a served run moves to the back). */
  private readonly runs = new Map<string, T[]>();
  private count = 0;

  get size(): number {
    return this.count;
  }

  push(key: string, task: T): void {
    const q = this.runs.get(key);
    if (q) q.push(task);
    else this.runs.set(key, [task]);
    this.count += 1;
  }

  /** The next task, one run after another; undefined when empty. */
  take(): T | undefined {
    for (const [key, q] of this.runs) {
      const task = q.shift();
      this.runs.delete(key);
      if (q.length > 0) this.runs.set(key, q);
      if (task !== undefined) {
        this.count -= 1;
        return task;
      }
    }
    return undefined;
  }

  clear(): void {
    this.runs.clear();
    this.count = 0;
  }
}
