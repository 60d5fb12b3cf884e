/**
 * The samples of an engine cluster's members added up into one: every counter is cumulative per member, so the
 * sum's differences are the cluster's (transactions, statements, CPU of every member). `atMs` is the latest member's.
 */
import type { EngineSample } from '../../engine/index.js';

type StatementCounts = EngineSample['statements'][string];

function addCounts(
  a: Record<string, number> | undefined,
  b: Record<string, number> | undefined,
): Record<string, number> | undefined {
  if (!a && !b) return undefined;
  const out: Record<string, number> = { ...a };
  for (const [k, n] of Object.entries(b ?? {})) out[k] = (out[k] ?? 0) + n;
  return out;
}

function addStatements(a: StatementCounts | undefined, b: StatementCounts): StatementCounts {
  if (!a) return { ...b, ...(b.outcomes ? { outcomes: { ...b.outcomes } } : {}) };
  const outcomes = addCounts(a.outcomes, b.outcomes);
  const opt = (x: number | undefined, y: number | undefined): number | undefined =>
    x === undefined && y === undefined ? undefined : (x ?? 0) + (y ?? 0);
  const throttled = opt(a.throttled, b.throttled);
  const batchTooLarge = opt(a.batchTooLarge, b.batchTooLarge);
  const serverWarnings = opt(a.serverWarnings, b.serverWarnings);
  return {
    count: a.count + b.count,
    ...(outcomes ? { outcomes } : {}),
    ...(throttled !== undefined ? { throttled } : {}),
    ...(batchTooLarge !== undefined ? { batchTooLarge } : {}),
    ...(serverWarnings !== undefined ? { serverWarnings } : {}),
  };
}

export function sumSamples(samples: readonly EngineSample[]): EngineSample | undefined {
  const [first, ...rest] = samples;
  if (!first) return undefined;
  const out: EngineSample = { ...first, statements: {} };
  for (const [name, s] of Object.entries(first.statements)) out.statements[name] = addStatements(undefined, s);
  for (const s of rest) {
    out.atMs = Math.max(out.atMs, s.atMs);
    out.rpcs += s.rpcs;
    out.transactions += s.transactions;
    out.conflicts += s.conflicts;
    out.lockWaits += s.lockWaits ?? 0;
    out.bufferedEvents += s.bufferedEvents ?? 0;
    out.transferBacklog += s.transferBacklog;
    out.timerBacklog += s.timerBacklog;
    out.matchingBacklog += s.matchingBacklog;
    out.cpuUserUs += s.cpuUserUs;
    out.cpuSystemUs += s.cpuSystemUs;
    out.rssBytes += s.rssBytes;
    for (const [name, st] of Object.entries(s.statements))
      out.statements[name] = addStatements(out.statements[name], st);
  }
  return out;
}
