/**
 * The committed history of recently active runs, in memory, so that a workflow task's poll response is built
 * without reading the run's history back from the store and decoding it again (the store stays the truth: a run
 * that is not cached, or whose cached events do not start at event 1 and join without a gap, is read as before).
 * Filled from commits only, in commit order under the run's lock, so it never holds an event that was not written;
 * a closed run leaves at once, and a long history is not cached at all.
 */
import { toNumber, type IHistoryEvent } from '../proto.js';
import { LruMap } from '../util/lru.js';

export class RunHistoryCache {
  private readonly runs: LruMap<string, IHistoryEvent[]>;
  hits = 0;
  misses = 0;

  constructor(
    maxRuns: number,
    private readonly maxEventsPerRun = 512,
  ) {
    this.runs = new LruMap(maxRuns);
  }

  /** Events a commit wrote to the run's history (a batch that follows the cached ones, or the run's first). */
  committed(runKey: string, events: readonly IHistoryEvent[], closed: boolean): void {
    const first = events[0];
    if (closed) {
      this.runs.delete(runKey);
      return;
    }
    if (!first) return;
    const firstId = toNumber(first.eventId);
    const cached = this.runs.peek(runKey);
    if (firstId === 1) {
      this.runs.set(runKey, [...events]);
      return;
    }
    const last = cached?.[cached.length - 1];
    if (
      !cached ||
      !last ||
      toNumber(last.eventId) + 1 !== firstId ||
      cached.length + events.length > this.maxEventsPerRun
    ) {
      this.runs.delete(runKey);
      return;
    }
    cached.push(...events);
  }

  /** Events `minEventId` up to (excluding) `maxEventId`, when all of them are cached. */
  range(runKey: string, minEventId: number, maxEventId: number): IHistoryEvent[] | undefined {
    const cached = this.runs.get(runKey);
    // Cached histories start at event 1, so event id n sits at index n - 1.
    if (!cached || minEventId < 1 || cached.length < maxEventId - 1) {
      this.misses += 1;
      return undefined;
    }
    this.hits += 1;
    return cached.slice(minEventId - 1, maxEventId - 1);
  }

  drop(runKey: string): void {
    this.runs.delete(runKey);
  }

  /** Forgets every run (the store may hold less than was cached: see HistoryService.reloadShard). */
  clear(): void {
    this.runs.clear();
  }

  get size(): number {
    return this.runs.size;
  }
}
