/**
 * Judging one capacity step: every SLO, evaluated exactly as `stampede gate --threshold` evaluates it against the
 * step's result, and the stability checks that tell a sustainable rate from one the system only survived for the
 * length of the step: the generator kept the schedule, nothing was dropped, the queue of open workflows (or the
 * engine's task backlog) did not grow, and every workflow closed within the drain timeout.
 */
import { percentileOf } from '../../reports/gate/gate.js';
import { evaluateThreshold, type Threshold } from '../../reports/gate/threshold.js';
import type { CapacityCheck, CapacityStepMeasurements, ResultV1 } from '../../result/schema.js';
import { formatMicros } from '../../result/units.js';

export interface StabilityLimits {
  /** Schedule lag p99 above this means the generator could not start iterations on time. */
  maxScheduleLagUs: number;
  /** Growth of the open-workflow queue allowed, as a share of the arrival rate. */
  maxBacklogGrowth: number;
  /** Share of measured intervals in which a generator thread may be > 90 % busy. */
  maxBusyIntervals: number;
  /** Iterations started must reach this share of the offered rate. */
  minAchieved: number;
}

export const DEFAULT_LIMITS: StabilityLimits = {
  maxScheduleLagUs: 500_000,
  maxBacklogGrowth: 0.1,
  maxBusyIntervals: 0.25,
  minAchieved: 0.95,
};

/** Workflows of slack in the backlog check: over a short step, arrivals and closes are lumpy by a few. */
const BACKLOG_SLACK = 3;

function rate(v: number): string {
  return `${Number(v.toPrecision(3))}/s`;
}

export function judgeStep(
  r: ResultV1,
  m: CapacityStepMeasurements,
  ratePerSec: number,
  slos: Threshold[],
  limits: StabilityLimits,
  achievedPerSec: number,
): { checks: CapacityCheck[]; reasons: string[] } {
  const checks: CapacityCheck[] = [];
  for (const t of slos) {
    const o = evaluateThreshold(t, r, percentileOf);
    checks.push({
      kind: 'slo',
      name: t.source,
      pass: o.pass,
      ...(o.actual !== undefined ? { actual: o.actual } : {}),
      ...(o.limit !== undefined ? { limit: o.limit } : {}),
      unit: o.unit,
      detail: o.detail,
    });
  }
  const seconds = m.measuredMs / 1000;
  const stability = (c: Omit<CapacityCheck, 'kind'>): void => {
    checks.push({ kind: 'stability', ...c });
  };

  // One iteration of slack: over a few seconds the schedule's count can be one short of rate × time.
  const minAchieved = Math.max(0, limits.minAchieved * ratePerSec - 1 / Math.max(1, seconds));
  stability({
    name: 'rate achieved',
    pass: achievedPerSec >= minAchieved,
    actual: achievedPerSec,
    limit: minAchieved,
    unit: 'per-second',
    detail: `${rate(achievedPerSec)} started of ${rate(ratePerSec)} offered`,
  });
  stability({
    name: 'no dropped iterations',
    pass: m.generator.dropped === 0,
    actual: m.generator.dropped,
    limit: 0,
    unit: 'count',
    detail: `${m.generator.dropped} iterations dropped at the in-flight cap`,
  });
  stability({
    name: 'schedule lag',
    pass: m.generator.scheduleLagP99Us <= limits.maxScheduleLagUs,
    actual: m.generator.scheduleLagP99Us,
    limit: limits.maxScheduleLagUs,
    unit: 'us',
    detail: `iterations started up to ${formatMicros(m.generator.scheduleLagP99Us)} late (p99)`,
  });
  const busyShare = m.generator.intervals > 0 ? m.generator.busyIntervals / m.generator.intervals : 0;
  stability({
    name: 'generator not saturated',
    pass: busyShare <= limits.maxBusyIntervals,
    actual: busyShare,
    limit: limits.maxBusyIntervals,
    unit: 'share',
    detail: `a generator thread was > 90 % busy in ${m.generator.busyIntervals} of ${m.generator.intervals} intervals`,
  });
  if (m.openWorkflows) {
    const growth = m.openWorkflows.growthPerSec;
    const limit = limits.maxBacklogGrowth * ratePerSec + BACKLOG_SLACK / Math.max(1, seconds);
    stability({
      name: 'backlog not growing',
      pass: growth <= limit,
      actual: growth,
      limit,
      unit: 'per-second',
      detail: `open workflows ${m.openWorkflows.start} -> ${m.openWorkflows.end}, trend ${growth >= 0 ? '+' : ''}${rate(growth)}`,
    });
  } else if (m.engine) {
    const growth = m.engine.backlogGrowthPerSec;
    const limit = limits.maxBacklogGrowth * Math.max(1, m.engine.transactionsPerSec) + BACKLOG_SLACK / seconds;
    stability({
      name: 'backlog not growing',
      pass: growth <= limit,
      actual: growth,
      limit,
      unit: 'per-second',
      detail: `engine task backlog ${m.engine.backlogEnd} at the end, trend ${growth >= 0 ? '+' : ''}${rate(growth)}`,
    });
  }
  const v = r.verification;
  if (v.status !== 'unavailable') {
    stability({
      name: 'all workflows accounted for',
      pass: v.lost === 0 && v.stuck === 0,
      actual: v.lost + v.stuck,
      limit: 0,
      unit: 'count',
      detail:
        v.lost + v.stuck === 0
          ? `${v.started} started, all accounted for`
          : `${v.stuck} still running after the ${formatMicros(Number(r.options.drainTimeoutMs) * 1000)} drain, ${v.lost} lost, of ${v.started}`,
    });
  }
  if (v.problems > 0)
    stability({
      name: 'histories well-formed',
      pass: false,
      actual: v.problems,
      limit: 0,
      unit: 'count',
      detail: `${v.problems} problem(s) in the histories read back: ${v.notes.slice(0, 2).join('; ')}`,
    });

  const reasons = checks.filter((c) => !c.pass).map(reasonOf);
  return { checks, reasons };
}

function value(v: number | undefined, unit: CapacityCheck['unit']): string {
  if (v === undefined || !Number.isFinite(v)) return '-';
  switch (unit) {
    case 'us':
      return formatMicros(v);
    case 'percent':
      return `${Number(v.toPrecision(3))}%`;
    case 'per-second':
      return rate(v);
    case 'share':
      return `${Math.round(v * 100)}%`;
    case 'count':
      return String(v);
  }
}

function reasonOf(c: CapacityCheck): string {
  if (c.kind === 'slo') {
    return c.actual === undefined ? `${c.name}: ${c.detail}` : `${c.name}: ${value(c.actual, c.unit)} (${c.detail})`;
  }
  return `${c.name}: ${c.detail}${c.limit !== undefined && c.actual !== undefined ? ` (limit ${value(c.limit, c.unit)})` : ''}`;
}
