/**
 * Cron schedules for `cronSchedule` workflows, with Temporal's semantics (server `common/backoff/cron.go`): the
 * standard five fields or a descriptor (`@hourly`, `@daily`, ...), an optional `CRON_TZ=<zone>` prefix, evaluated
 * in UTC otherwise. Parsing is cron-parser's; what is Temporal's is which times count and how a backoff rounds.
 */
import { CronExpressionParser } from 'cron-parser';

export interface CronSchedule {
  /** The first matching time strictly after `afterMs` (epoch ms). */
  next(afterMs: number): number;
}

/** Parses a cron schedule, or returns why it is invalid. */
export function parseCron(spec: string): CronSchedule | string {
  let expr = spec.trim();
  let tz = 'UTC';
  const m = /^(?:CRON_TZ|TZ)=(\S+)\s+(.*)$/.exec(expr);
  if (m) {
    tz = m[1] ?? 'UTC';
    expr = m[2] ?? '';
  }
  // robfig's ParseStandard takes five fields (no seconds) or a descriptor.
  if (!expr.startsWith('@') && expr.split(/\s+/).length !== 5)
    return `expected exactly 5 fields, found ${expr.split(/\s+/).length}: ${expr}`;
  try {
    CronExpressionParser.parse(expr, { tz, currentDate: new Date(0) }).next();
  } catch (err) {
    return err instanceof Error ? err.message : String(err);
  }
  return {
    next(afterMs) {
      return CronExpressionParser.parse(expr, { tz, currentDate: new Date(afterMs) })
        .next()
        .getTime();
    },
  };
}

/**
 * The wait until the next run (Temporal's GetBackoffForNextSchedule): the first scheduled time after `startMs`,
 * skipping every slot before `nowMs` (missed slots are not caught up), rounded up to whole seconds.
 */
export function cronBackoffMs(schedule: CronSchedule, startMs: number, nowMs: number): number {
  let next = schedule.next(startMs);
  for (let i = 0; next < nowMs && i < 100_000; i++) next = schedule.next(next);
  return Math.ceil((next - nowMs) / 1000) * 1000;
}
