/** A capacity step as the search records it, over constructed measurements (for the bottleneck and sizing tests). */
import type { CapacityStep, CapacityStepMeasurements } from '../../result/schema.js';

/**
 * Step `index` at `ratePerSec`: 5 transactions per workflow, a Cassandra store with one shard and a 10 ms write path
 * unless `p` says otherwise (the shard utilisation follows from the rate, the shards and the write path).
 */
export function step(
  index: number,
  ratePerSec: number,
  verdict: CapacityStep['verdict'],
  p: Partial<NonNullable<CapacityStepMeasurements['persistence']>> = {},
  extra: Partial<CapacityStepMeasurements> = {},
): CapacityStep {
  const txPerSec = ratePerSec * 5;
  const shardPathUs = p.shardPathUs ?? 10_000;
  const shards = p.shards ?? 1;
  return {
    index,
    stage: 'ramp',
    ratePerSec,
    verdict,
    reasons: verdict === 'fail' ? ['p99(workflow)<1s: 3s'] : [],
    checks: [{ kind: 'slo', name: 'p99(workflow)<1s', pass: verdict !== 'fail', unit: 'us', detail: '' }],
    achievedPerSec: ratePerSec,
    latency: {},
    measurements: {
      measuredMs: 5000,
      generator: {
        maxElu: 0.2,
        busyIntervals: 0,
        intervals: 5,
        scheduleLagP99Us: 1000,
        dropped: 0,
        processCpuCores: 0.3,
      },
      engine: { transactionsPerSec: txPerSec, transactionsPerWorkflow: 5, backlogEnd: 0, backlogGrowthPerSec: 0 },
      persistence: {
        store: 'cassandra',
        shards,
        shardIoConcurrency: 1,
        shardPathUs,
        storeUs: shardPathUs,
        injectedUs: 0,
        statements: {},
        shardUtilisation: ((txPerSec / shards) * shardPathUs) / 1e6,
        lwtPerSec: txPerSec * 1.1,
        lwtPerWorkflow: 5.5,
        lwtNotAppliedShare: 0,
        conflictsPerTransaction: 0,
        ...p,
      },
      ...extra,
    },
    runId: `s${index}`,
    dir: `steps/${index}`,
    startedAt: '',
    warmupMs: 1000,
    durationMs: 5000,
    wallMs: 8000,
  };
}
