/**
 * The sticky cache of a synthetic worker: the history it has already seen, per run, so that a task from its
 * sticky queue (which carries only the events after the previous workflow task) is completed from memory, the way
 * the SDKs' workflow caches do. Bounded (least recently used runs leave first); a run that is not cached, or whose
 * cached history does not join the task's events, is read in full instead.
 */
import type { HistoryEvent } from '../../scenarios/sdk/decider-task.js';

export function eventIdOf(e: HistoryEvent | undefined): number {
  const v: unknown = e?.eventId;
  if (typeof v === 'number') return v;
  if (v && typeof v === 'object' && 'toNumber' in v) return (v as { toNumber(): number }).toNumber();
  return Number(v ?? 0);
}

export class StickyHistoryCache {
  /** Insertion order is recency order: a hit is deleted and re-inserted. */
  private readonly runs = new Map<string, HistoryEvent[]>();
  hits = 0;
  misses = 0;

  constructor(private readonly maxRuns: number) {}

  /**
   * The run's whole history: the cached events followed by `tail`, when they join without a gap (the task's first
   * event is the one after the cached last); otherwise undefined.
   */
  join(runId: string, tail: readonly HistoryEvent[], firstEventId: number): HistoryEvent[] | undefined {
    const cached = this.runs.get(runId);
    const last = cached?.[cached.length - 1];
    if (!cached || !last || eventIdOf(last) + 1 !== firstEventId) {
      this.misses += 1;
      return undefined;
    }
    this.hits += 1;
    return cached.concat(tail);
  }

  put(runId: string, events: HistoryEvent[]): void {
    this.runs.delete(runId);
    this.runs.set(runId, events);
    if (this.runs.size > this.maxRuns) {
      const oldest = this.runs.keys().next().value;
      if (oldest !== undefined) this.runs.delete(oldest);
    }
  }

  drop(runId: string): void {
    this.runs.delete(runId);
  }

  get size(): number {
    return this.runs.size;
  }
}
