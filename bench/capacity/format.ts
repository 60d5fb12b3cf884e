/** Console output of a capacity search: one line per step, then the verdict, the bottleneck and the sizing. */
import type { CapacityResult, CapacityStep, ResultV1 } from '../../result/schema.js';
import { formatDuration, formatMicros } from '../../result/units.js';

function rate(v: number): string {
  return `${Number(v.toPrecision(4))}/s`;
}

export function formatStepLine(s: CapacityStep): string {
  const parts = [
    `step ${String(s.index).padStart(2)}`,
    s.stage.padEnd(10),
    rate(s.ratePerSec).padStart(9),
    `achieved ${rate(s.achievedPerSec)}`,
  ];
  if (s.completedPerSec !== undefined) parts.push(`closed ${rate(s.completedPerSec)}`);
  for (const [name, l] of Object.entries(s.latency)) parts.push(`p99 ${name} ${l.n > 0 ? formatMicros(l.p99Us) : '-'}`);
  const p = s.measurements.persistence;
  if (p) parts.push(`shard util ${p.shardUtilisation.toFixed(2)}`);
  const verdict = s.verdict.toUpperCase();
  parts.push(s.reasons.length ? `${verdict}: ${s.reasons.join('; ')}` : verdict);
  return parts.join('  ');
}

function describeTarget(r: ResultV1): string {
  const shards = r.engine?.numShards;
  return r.target.kind === 'embedded'
    ? `embedded engine (${r.target.store}${shards ? `, ${shards} shard${shards === 1 ? '' : 's'}` : ''})`
    : `${r.target.address}${r.engine ? ` (${r.engine.store}, ${r.engine.numShards} shards)` : ''}`;
}

export function formatCapacitySummary(r: ResultV1, c: CapacityResult, outDir: string): string {
  const lines: string[] = [''];
  const accepted =
    c.acceptedRatePerSec > 0
      ? `${rate(c.acceptedRatePerSec)} accepted${c.confirmed ? ` (confirmed by a ${formatDuration(c.search.holdMs)} hold)` : ' (not confirmed by a hold)'}`
      : 'no rate accepted';
  lines.push(`capacity: ${r.scenario.name} on ${describeTarget(r)}: ${accepted}`);
  lines.push(`  ${c.status}: ${c.stopReason}`);
  lines.push(
    `  ${c.steps.length} step(s) in ${formatDuration(c.wallMs)}; each ${formatDuration(c.search.warmupMs)} warm-up (excluded) + ${formatDuration(c.search.stepDurationMs)} measured; SLOs ${c.slos.join(', ')}`,
  );
  lines.push(`bottleneck (${c.bottleneck.kind}): ${c.bottleneck.summary}`);
  for (const f of c.bottleneck.findings.slice(1)) lines.push(`  also (${f.kind}): ${f.evidence}`);
  const z = c.sizing;
  if (z) {
    lines.push(`sizing (from step ${z.step} at ${rate(z.ratePerSec)}):`);
    for (const f of z.formula) lines.push(`  ${f}`);
    if (z.target)
      lines.push(
        `  => for ${rate(z.target.ratePerSec)}: ${z.target.shards} history shard(s)${z.target.members !== undefined ? `, ${z.target.members} engine member(s)` : ''}${z.target.nodes !== undefined ? `, ${z.target.nodesUpperBound ? 'at most ' : ''}${z.target.nodes} store node(s)` : ''}`,
      );
    else lines.push('  (give --target-rate R for the shards and nodes R needs)');
    lines.push('  assumptions:');
    for (const a of z.assumptions) lines.push(`  - ${a}`);
  }
  for (const n of c.notes) lines.push(`  note: ${n}`);
  lines.push(`verdict: ${r.verdict.toUpperCase()}`);
  lines.push(
    `results: ${outDir}/result.json${r.files.report ? `, ${outDir}/${r.files.report}` : ''}, steps in ${outDir}/steps/`,
  );
  return lines.join('\n');
}
