/**
 * The capacity search, as a pure state machine over the outcomes recorded so far: a geometric ramp from --from
 * (×factor per step) up to the first failing rate, then bisection between the highest passing rate and the lowest
 * failing rate above it until they are within the resolution, then a hold at the highest passing rate. A failed
 * hold counts as a failure at that rate and the search resumes below it. If the first rate already fails, the
 * search steps down by the same factor (probe-down) to find a passing rate to bisect from.
 */
import type { CapacityStep } from '../../result/schema.js';

export type Stage = CapacityStep['stage'];

export type Resolution = { kind: 'relative'; share: number } | { kind: 'absolute'; perSec: number };

export interface SearchParams {
  fromPerSec: number;
  /** Upper bound of the ramp (Infinity: none). */
  toPerSec: number;
  factor: number;
  resolution: Resolution;
  /** Holds tried before the search gives up confirming (each failed hold lowers the candidate). */
  maxHolds: number;
  /** Steps down from a failing first rate before the search concludes nothing passes. */
  maxProbeDown: number;
}

export type Next =
  | { kind: 'step'; stage: Stage; ratePerSec: number }
  | {
      kind: 'done';
      acceptedPerSec: number;
      confirmed: boolean;
      status: 'complete' | 'unconfirmed' | 'no-passing-rate' | 'at-limit';
      reason: string;
    };

interface Outcome {
  stage: Stage;
  ratePerSec: number;
  pass: boolean;
}

/** Rates are rounded to 3 significant digits: a step's rate is something a person would type. */
export function roundRate(r: number): number {
  if (!(r > 0)) return r;
  const digits = Math.max(0, 2 - Math.floor(Math.log10(r)));
  const f = 10 ** digits;
  return Math.round(r * f) / f;
}

export function formatResolution(r: Resolution): string {
  return r.kind === 'relative' ? `${Number((r.share * 100).toPrecision(3))}%` : `${r.perSec}/s`;
}

export function describeSearch(p: SearchParams): string {
  return `geometric ramp from ${p.fromPerSec}/s (×${p.factor} per step${Number.isFinite(p.toPerSec) ? `, up to ${p.toPerSec}/s` : ''}) to the first failing rate, then bisection between the highest passing and the lowest failing rate until they are within ${formatResolution(p.resolution)}${p.resolution.kind === 'relative' ? ' of the passing rate' : ''}, then a hold at the highest passing rate to confirm it (a failed hold counts as a failure and the search resumes below it); a failing first rate is stepped down by the same factor`;
}

export class CapacitySearch {
  private readonly outcomes: Outcome[] = [];

  constructor(private readonly p: SearchParams) {}

  record(stage: Stage, ratePerSec: number, pass: boolean): void {
    this.outcomes.push({ stage, ratePerSec, pass });
  }

  /** The latest outcome at each rate decides (a hold, being later and longer, overrides its step). */
  private byRate(): Map<number, Outcome> {
    const m = new Map<number, Outcome>();
    for (const o of this.outcomes) m.set(o.ratePerSec, o);
    return m;
  }

  /** Highest rate whose latest outcome passed (0 if none). */
  highestPass(): number {
    let best = 0;
    for (const o of this.byRate().values()) if (o.pass && o.ratePerSec > best) best = o.ratePerSec;
    return best;
  }

  /** Lowest rate above `above` whose latest outcome failed (Infinity if none). */
  private lowestFailAbove(above: number): number {
    let best = Infinity;
    for (const o of this.byRate().values())
      if (!o.pass && o.ratePerSec > above && o.ratePerSec < best) best = o.ratePerSec;
    return best;
  }

  private withinResolution(low: number, high: number): boolean {
    const r = this.p.resolution;
    return high - low <= (r.kind === 'relative' ? r.share * low : r.perSec) + 1e-9;
  }

  next(): Next {
    const p = this.p;
    if (this.outcomes.length === 0) return { kind: 'step', stage: 'ramp', ratePerSec: roundRate(p.fromPerSec) };
    const low = this.highestPass();
    const holds = this.outcomes.filter((o) => o.stage === 'hold');
    if (low === 0) {
      const lowestTried = Math.min(...this.outcomes.map((o) => o.ratePerSec));
      const probes = this.outcomes.filter((o) => o.stage === 'probe-down').length;
      const down = roundRate(lowestTried / p.factor);
      if (probes >= p.maxProbeDown || !(down > 0) || down >= lowestTried)
        return {
          kind: 'done',
          acceptedPerSec: 0,
          confirmed: false,
          status: 'no-passing-rate',
          reason: `no rate passed: the lowest tried, ${lowestTried}/s, failed`,
        };
      return { kind: 'step', stage: 'probe-down', ratePerSec: down };
    }
    const high = this.lowestFailAbove(low);
    const rampDone = this.outcomes.some((o) => !o.pass) || low >= p.toPerSec;
    if (!rampDone) {
      return { kind: 'step', stage: 'ramp', ratePerSec: Math.min(roundRate(low * p.factor), p.toPerSec) };
    }
    if (Number.isFinite(high) && !this.withinResolution(low, high)) {
      const mid = roundRate((low + high) / 2);
      if (mid > low && mid < high) return { kind: 'step', stage: 'bisect', ratePerSec: mid };
    }
    const latest = this.byRate().get(low);
    if (latest?.stage === 'hold' && latest.pass) {
      const atLimit = !Number.isFinite(high) && low >= p.toPerSec;
      return {
        kind: 'done',
        acceptedPerSec: low,
        confirmed: true,
        status: atLimit ? 'at-limit' : 'complete',
        reason: atLimit
          ? `${low}/s (--to) passed and held: the capacity is at least that; raise --to to search higher`
          : `${low}/s passed and held; ${Number.isFinite(high) ? `${high}/s failed` : 'nothing above it failed'}`,
      };
    }
    if (holds.length >= p.maxHolds)
      return {
        kind: 'done',
        acceptedPerSec: low,
        confirmed: false,
        status: 'unconfirmed',
        reason: `${holds.length} holds failed to confirm a rate; ${low}/s is the highest rate that passed a step`,
      };
    return { kind: 'step', stage: 'hold', ratePerSec: low };
  }
}
