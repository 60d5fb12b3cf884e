/**
 * Where the capacity ran out, read from the measurements of the step that limited the search (the lowest failing
 * rate above the accepted one), compared with the lowest-rate step that passed. Every finding that fires is kept
 * with its numbers; the first in this order is the summary:
 *
 *   generator            the load generator could not keep the schedule: the capacity found is a lower bound
 *   store-rate-limit     ≥ 1 % of statements were throttled by the store (Astra's rate limit, an overloaded node)
 *   shard-serialization  transactions/s per shard × mean shard write-path time ≈ 1: the per-shard path is full
 *   persistence          the write path's statement latency rose ≥ 2× over the low-rate step: the store is loaded
 *   persistence (SQL)    a SQL store's transactions spent ≥ 25 % of their time waiting for a pooled connection,
 *                        in row-lock statements (shard rows are share-locked by every transaction of the shard) or
 *                        in COMMIT (the single primary's WAL flush)
 *   lwt-contention       conditional writes not applied / conflicts retried above 1 %
 *   engine-cpu           the engine's event loop (embedded: the main thread; a cluster: its members on average) ≥ 85 % busy
 *   workers              tasks waited for a poller (schedule-to-start p99 ≥ 25 % of workflow e2e p99, ≥ 100 ms):
 *                        the synthetic workers' poll slots, not the engine, were full
 *   host-cpu             the machine's CPUs ≥ 90 % busy (engine, generator and anything else on it)
 */
import type { Bottleneck, BottleneckKind, CapacityStep } from '../../result/schema.js';
import { formatMicros } from '../../result/units.js';

export const SHARD_SATURATED = 0.8;
const LATENCY_RISE = 2;
const CONTENTION = 0.01;
const THROTTLED = 0.01;
const SQL_WAIT_SHARE = 0.25;
const ENGINE_BUSY = 0.85;
const HOST_BUSY = 0.9;
const WORKER_WAIT_MIN_US = 100_000;
const WORKER_WAIT_SHARE = 0.25;

function pct(v: number): string {
  return `${Math.round(v * 100)} %`;
}

function findings(
  step: CapacityStep,
  baseline: CapacityStep | undefined,
): { kind: BottleneckKind; evidence: string }[] {
  const m = step.measurements;
  const out: { kind: BottleneckKind; evidence: string }[] = [];
  const at = `at ${step.ratePerSec}/s (step ${step.index})`;
  const gen = step.checks.filter(
    (c) =>
      !c.pass &&
      ['rate achieved', 'schedule lag', 'generator not saturated', 'no dropped iterations'].includes(c.name) &&
      c.kind === 'stability',
  );
  if (gen.length > 0)
    out.push({
      kind: 'generator',
      evidence: `${at} the generator did not keep the schedule: ${gen.map((c) => c.detail).join('; ')} (busiest thread ${pct(m.generator.maxElu)} busy); the capacity found is a lower bound — add --starters/--pollers or generator machines`,
    });
  const p = m.persistence;
  if (p && (p.throttledShare ?? 0) >= THROTTLED)
    out.push({
      kind: 'store-rate-limit',
      evidence: `${at} ${pct(p.throttledShare ?? 0)} of statements (${Math.round(p.throttledPerSec ?? 0)}/s) were throttled by the ${p.store} store's rate limit (overloaded / "Rate limit reached"): the database's operations-per-second limit, not the engine, sets this capacity — raise the limit (Astra: ask support) or lower statements per workflow`,
    });
  if (p && p.shardUtilisation >= SHARD_SATURATED)
    out.push({
      kind: 'shard-serialization',
      evidence: `${at} each of the ${p.shards} shard(s) carried ${Number(((m.engine?.transactionsPerSec ?? 0) / p.shards).toPrecision(3))} transactions/s × ${formatMicros(p.shardPathUs)} write path (history insert + conditional batch${p.injectedUs ? `, ${formatMicros(p.injectedUs)} injected per statement` : ''}) = utilisation ${p.shardUtilisation.toFixed(2)}: the per-shard serialized path is full${p.shardIoConcurrency > 1 ? ` (shard IO concurrency ${p.shardIoConcurrency})` : ''}`,
    });
  const bp = baseline?.measurements.persistence;
  if (p && bp && bp.shardPathUs > 0) {
    const own = (x: typeof p): number => x.storeUs;
    const rise = own(bp) > 0 ? own(p) / own(bp) : 0;
    if (rise >= LATENCY_RISE && own(p) >= 1000)
      out.push({
        kind: 'persistence',
        evidence: `${at} the store's write-path latency per transaction was ${formatMicros(own(p))}, ${rise.toFixed(1)}× the ${formatMicros(own(bp))} at ${baseline?.ratePerSec}/s, with ${Math.round(p.lwtPerSec)} conditional writes/s: the ${p.store} store is loaded`,
      });
  }
  if (p && p.poolWaitUs !== undefined && p.shardPathUs > 0 && p.poolWaitUs >= SQL_WAIT_SHARE * p.shardPathUs)
    out.push({
      kind: 'persistence',
      evidence: `${at} transactions waited ${formatMicros(p.poolWaitUs)} each for a pooled connection, of a ${formatMicros(p.shardPathUs)} write path: the ${p.store} connection pool is the limit — raise --postgres-pool-size (and the server's max_connections)`,
    });
  if (p && p.lockWaitUs !== undefined && p.shardPathUs > 0 && p.lockWaitUs >= SQL_WAIT_SHARE * p.shardPathUs)
    out.push({
      kind: 'persistence',
      evidence: `${at} transactions spent ${formatMicros(p.lockWaitUs)} each in row-lock statements (shard, current and execution rows, FOR SHARE / FOR UPDATE), of a ${formatMicros(p.shardPathUs)} write path: lock waits on the single primary`,
    });
  if (p && p.commitUs !== undefined && p.shardPathUs > 0 && p.commitUs >= SQL_WAIT_SHARE * p.shardPathUs)
    out.push({
      kind: 'persistence',
      evidence: `${at} transactions spent ${formatMicros(p.commitUs)} each in COMMIT, of a ${formatMicros(p.shardPathUs)} write path: the single primary's WAL flush (commit latency) is the limit — faster storage for its WAL, or group commit (commit_delay)`,
    });
  if (p && (p.lwtNotAppliedShare >= CONTENTION || p.conflictsPerTransaction >= CONTENTION))
    out.push({
      kind: 'lwt-contention',
      evidence: `${at} ${pct(p.lwtNotAppliedShare)} of conditional writes were not applied and ${pct(p.conflictsPerTransaction)} of transactions retried a conflict`,
    });
  const e = m.engine;
  if (e?.mainThreadElu !== undefined && e.mainThreadElu >= ENGINE_BUSY)
    out.push({
      kind: 'engine-cpu',
      evidence: `${at} the embedded engine's event loop (the main thread) was ${pct(e.mainThreadElu)} busy: the engine is CPU-bound on one core`,
    });
  const members = Math.max(1, e?.members ?? 1);
  if (e?.cpuCores !== undefined && e.cpuCores / members >= ENGINE_BUSY)
    out.push({
      kind: 'engine-cpu',
      evidence:
        members > 1
          ? `${at} the ${members} engine members used ${e.cpuCores.toFixed(2)} cores, ${(e.cpuCores / members).toFixed(2)} each (a Node.js engine runs its event loop on one): add members (stampede engine --members)`
          : `${at} the engine process used ${e.cpuCores.toFixed(2)} cores (a Node.js engine runs its event loop on one): add engine members (stampede engine --members, --cluster)`,
    });
  const w = m.workers;
  const waited = Math.max(w?.workflowTaskScheduleToStartP99Us ?? 0, w?.activityScheduleToStartP99Us ?? 0);
  if (w && waited >= WORKER_WAIT_MIN_US && waited >= WORKER_WAIT_SHARE * (w.workflowE2eP99Us ?? 0))
    out.push({
      kind: 'workers',
      evidence: `${at} tasks waited ${formatMicros(waited)} (p99 schedule-to-start${w.workflowE2eP99Us ? `, of ${formatMicros(w.workflowE2eP99Us)} workflow p99` : ''}) for one of ${w.pollSlots.workflow} workflow / ${w.pollSlots.activity} activity poll slots: the workers were full — raise --workflow-pollers/--activity-pollers or --pollers`,
    });
  if (m.host && m.host.cpuBusy >= HOST_BUSY)
    out.push({
      kind: 'host-cpu',
      evidence: `${at} the machine's ${m.host.cpus} CPUs were ${pct(m.host.cpuBusy)} busy (this process used ${m.generator.processCpuCores.toFixed(2)} cores; engine, generator and other processes share them)`,
    });
  return out;
}

export function findBottleneck(steps: CapacityStep[], acceptedPerSec: number): Bottleneck {
  const judged = steps.filter((s) => s.verdict !== 'interrupted');
  const passed = judged.filter((s) => s.verdict === 'pass');
  const baseline = [...passed].sort((a, b) => a.ratePerSec - b.ratePerSec)[0];
  const failing = judged
    .filter((s) => s.verdict === 'fail' && s.ratePerSec >= acceptedPerSec)
    .sort((a, b) => a.ratePerSec - b.ratePerSec || b.index - a.index);
  const limiting = failing[0];
  if (!limiting) {
    return {
      kind: 'not-reached',
      summary:
        judged.length === 0
          ? 'no step finished: nothing to read a bottleneck from'
          : `no rate failed: the search stopped before the system ran out (highest rate tried ${Math.max(...judged.map((s) => s.ratePerSec))}/s)`,
      findings: [],
    };
  }
  const found = findings(limiting, baseline === limiting ? undefined : baseline);
  // The step at the edge may fail on a hiccup (a latency spike, a busy machine) before the shards fill; the failing
  // steps above it show whether the write path saturated there.
  const above = failing.slice(1).find((s) => (s.measurements.persistence?.shardUtilisation ?? 0) >= SHARD_SATURATED);
  if (above && !found.some((f) => f.kind === 'shard-serialization')) {
    const p = above.measurements.persistence;
    found.push({
      kind: 'shard-serialization',
      evidence: `at ${above.ratePerSec}/s (step ${above.index}), above the limiting step, the shards' serialized write path was full: utilisation ${p?.shardUtilisation.toFixed(2) ?? '?'} (${formatMicros(p?.shardPathUs ?? 0)} per transaction)`,
    });
  }
  if (found.length === 0) {
    const onlySlo = limiting.checks.every((c) => c.pass || c.kind === 'slo');
    return {
      kind: onlySlo ? 'slo-only' : 'undetermined',
      summary: onlySlo
        ? `at ${limiting.ratePerSec}/s (step ${limiting.index}) only the SLOs failed (${limiting.reasons.join('; ')}); no resource measured was saturated: latency, not throughput, sets this capacity`
        : `at ${limiting.ratePerSec}/s (step ${limiting.index}) the system fell behind (${limiting.reasons.join('; ')}) but no measured resource was saturated (shard utilisation, store latency, engine and host CPU all below their marks)`,
      findings: [],
      step: limiting.index,
    };
  }
  const first = found[0] as { kind: BottleneckKind; evidence: string };
  return { kind: first.kind, summary: first.evidence, findings: found, step: limiting.index };
}
