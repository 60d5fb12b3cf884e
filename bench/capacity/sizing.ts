/**
 * Sizing projection from one capacity run. Each history shard serializes its LWT-bearing writes, so a shard can
 * carry at most io / S transactions per second, where S is the measured mean time one transaction holds the shard's
 * write path (history insert + conditional batch) and io the shard IO concurrency. With T transactions per
 * workflow and the utilisation U at which the SLO still held:
 *
 *   per-shard rate = U × io / (T × S)                 workflows per second one shard carries at the SLO
 *   shards(R)      = ceil(R × T × S / (U × io))
 *   nodes(R)       = ceil(R × LWT per workflow / LWT per second per node)
 *   members(R)     = ceil(R × T × C / (U_cpu × 1000))  engine members, each one Node.js event loop (one core), where
 *                    C is the engine CPU in ms per transaction measured per member and U_cpu the share of a core
 *                    a member is planned to use
 *
 * The node count uses the conditional-write rate one store node carried at the accepted rate: a capacity when the
 * store was the bottleneck, otherwise only what the node was asked to do, so the count is an upper bound.
 *
 * PostgreSQL is one primary: its writes do not spread over nodes, so no node count is projected. What it carried
 * instead is stated — transactions per second and, per transaction, the pool, row-lock and COMMIT waits — and a
 * target rate is expressed as the transactions per second that one primary would have to commit.
 */
import type { Bottleneck, CapacitySizing, CapacityStep } from '../../result/schema.js';
import { formatMicros } from '../../result/units.js';
import { SHARD_SATURATED } from './bottleneck.js';

/** Per-shard utilisation planned for when the run did not measure one (the shard path never limited it). */
const DEFAULT_PLANNING_UTILISATION = 0.7;
/** The share of its one core an engine member is planned to use (headroom for GC, bursts and hand-offs). */
const MEMBER_CPU_PLANNING = 0.7;

export interface SizingOptions {
  targetRatePerSec: number | undefined;
  storeNodes: number;
  /** From --shard-utilisation; else measured when the shard path limited the run, else the default. */
  planningUtilisation: number | undefined;
}

function n3(v: number): string {
  return String(Number(v.toPrecision(3)));
}

export function projectSizing(
  step: CapacityStep,
  bottleneck: Bottleneck,
  o: SizingOptions,
): { sizing?: CapacitySizing; note?: string } {
  const p = step.measurements.persistence;
  const T = step.measurements.engine?.transactionsPerWorkflow;
  if (!p || T === undefined || !(T > 0) || !(p.shardPathUs > 0))
    return {
      note: 'no sizing projection: the target reported no engine statistics (transactions, statement latencies); the projection needs a stampede engine (embedded or with its admin surface)',
    };
  const S = p.shardPathUs / 1e6;
  const io = Math.max(1, p.shardIoConcurrency);
  const shardLimited = bottleneck.findings.some((f) => f.kind === 'shard-serialization');
  let planning: number;
  let source: CapacitySizing['planningUtilisationSource'];
  if (o.planningUtilisation !== undefined) {
    planning = o.planningUtilisation;
    source = 'flag';
  } else if (shardLimited && p.shardUtilisation > 0) {
    planning = Math.min(1, p.shardUtilisation);
    source = 'measured';
  } else {
    planning = DEFAULT_PLANNING_UTILISATION;
    source = 'default';
  }
  const perShard = (planning * io) / (T * S);
  const memory = p.store === 'memory';
  const singlePrimary = p.store === 'postgres';
  const lwtPerWorkflow = p.lwtPerWorkflow;
  const perNode = memory ? undefined : p.lwtPerSec / Math.max(1, o.storeNodes);
  const nodeSaturated = bottleneck.findings.some((f) => f.kind === 'persistence');

  const pathParts = Object.entries(p.statements)
    .map(([name, s]) => `${name} ${formatMicros(s.meanUs)} × ${s.count}`)
    .join(', ');
  const formula = [
    `T = ${n3(T)} transactions per workflow (engine transactions ÷ workflows started, step ${step.index} at ${step.ratePerSec}/s)`,
    `S = write-path statement time ÷ transactions = ${p.injectedUs > 0 ? `${formatMicros(p.storeUs)} + injected ${formatMicros(p.shardPathUs - p.storeUs)} = ` : ''}${formatMicros(p.shardPathUs)} per transaction (${pathParts})`,
    `U = transactions/s per shard × S ÷ io = ${n3((step.measurements.engine?.transactionsPerSec ?? 0) / p.shards)} × ${formatMicros(p.shardPathUs)} ÷ ${io} = ${p.shardUtilisation.toFixed(2)} at the accepted rate (${p.shards} shard(s), shard IO concurrency ${io})`,
    `planning utilisation U* = ${planning.toFixed(2)} (${source === 'measured' ? 'measured: the SLO held at this utilisation and the next rate saturated the shard path' : source === 'flag' ? '--shard-utilisation' : `default: no step saturated a shard (highest utilisation measured < ${SHARD_SATURATED}), so the per-shard limit was not measured`})`,
    `per-shard rate = U* × io ÷ (T × S) = ${planning.toFixed(2)} × ${io} ÷ (${n3(T)} × ${formatMicros(p.shardPathUs)}) = ${n3(perShard)} workflows/s per shard`,
  ];
  const sizing: CapacitySizing = {
    step: step.index,
    ratePerSec: step.ratePerSec,
    transactionsPerWorkflow: T,
    shardPathUs: p.shardPathUs,
    shards: p.shards,
    utilisation: p.shardUtilisation,
    planningUtilisation: planning,
    planningUtilisationSource: source,
    perShardRatePerSec: perShard,
    formula,
    assumptions: [
      'each shard serializes its LWT-bearing writes (shard IO concurrency as measured), so a shard carries at most io ÷ S transactions per second',
      'workflow ids hash evenly over shards, so every shard carries the same share of transactions',
      'S, the write-path time per transaction, stays as measured at the target rate: the store is not the bottleneck there (the node count below keeps it so)',
      "T is the scenario's, as measured (a different workflow mix has a different T)",
      'the SLO holds at the same per-shard utilisation whatever the shard count (the queueing per shard is the same)',
      'the generator is not the limit',
    ],
  };
  const C = step.measurements.engine?.cpuMsPerTransaction;
  const members = Math.max(1, step.measurements.engine?.members ?? 1);
  if (C !== undefined && C > 0) {
    sizing.engineCpuMsPerTransaction = C;
    sizing.engineMembers = members;
    formula.push(
      `C = engine CPU ÷ transactions = ${n3(C)} ms per transaction per member (${members} member${members === 1 ? '' : 's'}${members > 1 ? ', forwarding between them included' : ''}, step ${step.index})`,
    );
    sizing.assumptions.push(
      `engine members scale out: shards and task queues spread evenly over them, each member runs on one core (one Node.js event loop) and spends C per transaction as measured${members === 1 ? ' (measured on one engine: a cluster adds the forward hop for requests that reach a member not owning their shard, less with --routing owner)' : ''}`,
    );
  } else
    sizing.assumptions.push(
      'engine CPU scales out with engine members (not measured here: the target reported no engine CPU, so no member count is projected)',
    );
  const limitedElsewhere = !shardLimited && bottleneck.kind !== 'not-reached';
  if (limitedElsewhere)
    sizing.assumptions.unshift(
      `this search was limited by ${bottleneck.kind}, not by the shards' write path: the shard count is what the write path needs, and ${bottleneck.kind} has to grow with the rate too`,
    );
  const txPerSec = step.measurements.engine?.transactionsPerSec ?? 0;
  if (singlePrimary) {
    const waits = [
      p.poolWaitUs !== undefined ? `pool wait ${formatMicros(p.poolWaitUs)}` : '',
      p.lockWaitUs !== undefined ? `row-lock ${formatMicros(p.lockWaitUs)}` : '',
      p.commitUs !== undefined ? `COMMIT ${formatMicros(p.commitUs)}` : '',
    ].filter((w) => w !== '');
    sizing.assumptions.push(
      `PostgreSQL is a single primary: its writes do not spread over store nodes, so no node count is projected; it committed ${n3(txPerSec)} transactions/s at ${step.ratePerSec}/s${waits.length ? ` (per transaction: ${waits.join(', ')})` : ''}${nodeSaturated ? ', and it was the bottleneck: a higher rate needs a faster primary (CPU, WAL storage), not more shards' : ''}`,
    );
  }
  if (!memory && !singlePrimary && lwtPerWorkflow !== undefined && perNode !== undefined && perNode > 0) {
    sizing.lwtPerWorkflow = lwtPerWorkflow;
    sizing.lwtPerSecPerNode = perNode;
    sizing.storeNodes = o.storeNodes;
    sizing.nodeSaturated = nodeSaturated;
    sizing.assumptions.push(
      `conditional-write throughput scales linearly with store nodes at the same replication factor, consistency and hardware as measured (${o.storeNodes} node(s)); with a higher replication factor each LWT costs more`,
      nodeSaturated
        ? 'the store was the bottleneck of this run, so the LWT rate per node is its capacity at the SLO'
        : 'the store was not saturated in this run: a node can do more than the LWT rate it carried, so the node count is an upper bound',
    );
  }
  if (o.targetRatePerSec !== undefined) {
    const R = o.targetRatePerSec;
    const shards = Math.max(1, Math.ceil((R * T * S) / (planning * io) - 1e-9));
    sizing.target = { ratePerSec: R, shards };
    formula.push(
      `shards(${R}/s) = ceil(R × T × S ÷ (U* × io)) = ceil(${R} × ${n3(T)} × ${formatMicros(p.shardPathUs)} ÷ (${planning.toFixed(2)} × ${io})) = ${shards}`,
    );
    if (C !== undefined && C > 0) {
      const needed = Math.max(1, Math.ceil((R * T * C) / (MEMBER_CPU_PLANNING * 1000) - 1e-9));
      sizing.target.members = needed;
      formula.push(
        `members(${R}/s) = ceil(R × T × C ÷ (U_cpu × 1000)) = ceil(${R} × ${n3(T)} × ${n3(C)} ms ÷ (${MEMBER_CPU_PLANNING} × 1000 ms)) = ${needed} engine member(s), one core each`,
      );
    }
    if (singlePrimary)
      formula.push(
        `primary(${R}/s) = R × T = ${R} × ${n3(T)} = ${n3(R * T)} transactions/s committed by the one primary (it committed ${n3(txPerSec)}/s at ${step.ratePerSec}/s${nodeSaturated ? ', where it was the bottleneck' : ''})`,
      );
    if (sizing.lwtPerWorkflow !== undefined && sizing.lwtPerSecPerNode !== undefined) {
      const nodes = Math.max(1, Math.ceil((R * sizing.lwtPerWorkflow) / sizing.lwtPerSecPerNode - 1e-9));
      sizing.target.nodes = nodes;
      sizing.target.nodesUpperBound = !nodeSaturated;
      formula.push(
        `nodes(${R}/s) = ceil(R × LWT per workflow ÷ LWT/s per node) = ceil(${R} × ${n3(sizing.lwtPerWorkflow)} ÷ ${n3(sizing.lwtPerSecPerNode)}) = ${nodes}${nodeSaturated ? '' : ' (at most: the node was not saturated)'}`,
      );
    }
  }
  return { sizing };
}
