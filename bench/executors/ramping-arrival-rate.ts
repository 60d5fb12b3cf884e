/**
 * ramping-arrival-rate: the arrival rate moves linearly between stage targets (k6's stages). Warm-up runs at
 * the starting rate. The intended start of iteration k inverts the cumulative count
 * n(t) = r0 t + (r1 - r0) t^2 / 2T within each stage.
 */
import type { OpenSchedule } from './schedule.js';

export interface Stage {
  durationMs: number;
  targetPerSec: number;
}

export interface RampingArrivalRateConfig {
  startRatePerSec: number;
  stages: Stage[];
  warmupMs: number;
  iterations: number | undefined;
}

/** "30s:100,1m:500" -> stages, or the problem. */
export function parseStages(text: string, parseDuration: (s: string) => number | undefined): Stage[] | string {
  const stages: Stage[] = [];
  for (const part of text
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)) {
    const [d, r] = part.split(':');
    const durationMs = d === undefined ? undefined : parseDuration(d);
    const target = r === undefined ? NaN : Number(r);
    if (durationMs === undefined || !(durationMs > 0) || !Number.isFinite(target) || target < 0) {
      return `invalid stage "${part}": expected <duration>:<rate per second>, e.g. 30s:100`;
    }
    stages.push({ durationMs, targetPerSec: target });
  }
  return stages.length > 0 ? stages : 'stages must list at least one <duration>:<rate>';
}

interface Segment {
  startMs: number;
  durationMs: number;
  r0: number;
  r1: number;
  /** Iterations before this segment. */
  before: number;
  /** Iterations within it (fractional). */
  count: number;
}

export function planRampingArrivalRate(c: RampingArrivalRateConfig): OpenSchedule | string[] {
  const problems: string[] = [];
  if (!(c.startRatePerSec >= 0)) problems.push(`start rate must be >= 0, got ${c.startRatePerSec}`);
  if (c.stages.length === 0) problems.push('ramping-arrival-rate needs --stages');
  if (c.stages.every((s) => s.targetPerSec === 0) && c.startRatePerSec === 0)
    problems.push('every stage has rate 0: nothing would run');
  if (problems.length > 0) return problems;

  const segments: Segment[] = [];
  let t = 0;
  let before = 0;
  const warmRate = c.startRatePerSec > 0 ? c.startRatePerSec : (c.stages[0]?.targetPerSec ?? 0);
  if (c.warmupMs > 0) {
    const count = (warmRate * c.warmupMs) / 1000;
    segments.push({ startMs: 0, durationMs: c.warmupMs, r0: warmRate, r1: warmRate, before, count });
    t += c.warmupMs;
    before += count;
  }
  let r0 = c.startRatePerSec;
  for (const s of c.stages) {
    const count = ((r0 + s.targetPerSec) / 2) * (s.durationMs / 1000);
    segments.push({ startMs: t, durationMs: s.durationMs, r0, r1: s.targetPerSec, before, count });
    t += s.durationMs;
    before += count;
    r0 = s.targetPerSec;
  }
  const total = Math.min(Math.floor(before + 1e-9), c.iterations ?? Infinity);
  const offsetMs = (k: number): number | undefined => {
    if (k >= total) return undefined;
    // Iteration k starts when the cumulative count reaches k (the first at t = 0).
    const seg = segments.find((s) => k < s.before + s.count) ?? segments[segments.length - 1];
    if (!seg) return undefined;
    const c2 = k - seg.before;
    const T = seg.durationMs / 1000;
    const a = (seg.r1 - seg.r0) / (2 * T);
    let ts: number;
    if (Math.abs(a) < 1e-12) ts = seg.r0 > 0 ? c2 / seg.r0 : 0;
    else ts = (-seg.r0 + Math.sqrt(Math.max(0, seg.r0 * seg.r0 + 4 * a * c2))) / (2 * a);
    return seg.startMs + Math.min(ts * 1000, seg.durationMs);
  };
  return { model: 'open', offsetMs, totalIterations: total, endMs: t };
}
