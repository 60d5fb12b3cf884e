/**
 * Capacity on PostgreSQL, over constructed measurements: the waits per transaction read from the step's statement
 * classes (measure.ts), the single primary's bottlenecks named with their numbers (a saturated pool, row-lock waits,
 * COMMIT latency), and the sizing that projects no store nodes for a single primary.
 */
import { describe, expect, it } from 'vitest';
import type { CapacityStep, CapacityStepMeasurements } from '../../result/schema.js';
import { findBottleneck } from './bottleneck.js';
import { sqlWaits } from './measure.js';
import { projectSizing } from './sizing.js';
import { step as capacityStep } from './steps.fixture.js';

type Persistence = NonNullable<CapacityStepMeasurements['persistence']>;

/** A step on PostgreSQL: 16 shards (far from full), a 4 ms write path, 5 transactions per workflow. */
function step(index: number, ratePerSec: number, verdict: CapacityStep['verdict'], p: Partial<Persistence> = {}) {
  return capacityStep(index, ratePerSec, verdict, {
    store: 'postgres',
    shards: 16,
    shardPathUs: 4000,
    lwtPerWorkflow: 5,
    poolWaitUs: 100,
    lockWaitUs: 200,
    commitUs: 300,
    ...p,
  });
}

describe('PostgreSQL waits per transaction', () => {
  it('reads the pool, row-lock and COMMIT time per transaction from the statement classes', () => {
    const statements = {
      'pool.acquire': { sumUs: 50_000 },
      'shard.lock_read': { sumUs: 30_000 },
      'current.lock': { sumUs: 10_000 },
      'execution.lock': { sumUs: 20_000 },
      'matching.queue.lock': { sumUs: 40_000 },
      'tx.commit': { sumUs: 100_000 },
      // Not waits: a write and the transaction itself.
      'execution.write': { sumUs: 999_000 },
      'execution.update': { sumUs: 999_000 },
    };
    expect(sqlWaits(statements, 100)).toEqual({ poolWaitUs: 500, lockWaitUs: 1000, commitUs: 1000 });
  });

  it('has none for a store without a pool, or a step without transactions', () => {
    expect(sqlWaits({ 'history.append': { sumUs: 1000 }, 'execution.update': { sumUs: 1000 } }, 10)).toEqual({});
    expect(sqlWaits({ 'pool.acquire': { sumUs: 1000 } }, 0)).toEqual({});
  });
});

describe('PostgreSQL bottlenecks', () => {
  const base = step(1, 20, 'pass');

  it.each<[string, Partial<Persistence>, RegExp]>([
    [
      'a saturated connection pool',
      { poolWaitUs: 2500 },
      /waited 2\.50 ?ms each for a pooled connection, of a 4\.00 ?ms write path: the postgres connection pool is the limit — raise --postgres-pool-size/,
    ],
    [
      'row-lock waits',
      { lockWaitUs: 1500 },
      /spent 1\.50 ?ms each in row-lock statements .* of a 4\.00 ?ms write path: lock waits on the single primary/,
    ],
    [
      'COMMIT latency',
      { commitUs: 2000 },
      /spent 2\.00 ?ms each in COMMIT, of a 4\.00 ?ms write path: the single primary's WAL flush \(commit latency\) is the limit/,
    ],
  ])('names %s as the bottleneck, with its numbers', (_, p, evidence) => {
    const b = findBottleneck([base, step(2, 40, 'fail', p)], 20);
    expect(b.kind).toBe('persistence');
    expect(b.step).toBe(2);
    expect(b.summary).toMatch(evidence);
    expect(b.findings).toHaveLength(1);
  });

  it('names none of them below a quarter of the write path (the SLO alone failed)', () => {
    const b = findBottleneck([base, step(2, 40, 'fail', { poolWaitUs: 900, lockWaitUs: 900, commitUs: 900 })], 20);
    expect(b.kind).toBe('slo-only');
    expect(b.findings).toEqual([]);
  });

  it('keeps every wait that passed its mark, the pool first', () => {
    const b = findBottleneck([base, step(2, 40, 'fail', { poolWaitUs: 1200, lockWaitUs: 1100, commitUs: 1000 })], 20);
    expect(b.findings.map((f) => f.evidence.match(/pooled connection|row-lock|COMMIT/)?.[0])).toEqual([
      'pooled connection',
      'row-lock',
      'COMMIT',
    ]);
  });
});

describe('sizing on a single primary', () => {
  it('projects shards but no store nodes, and states what the primary committed and its waits', () => {
    const accepted = step(1, 20, 'pass');
    const b = findBottleneck([accepted, step(2, 40, 'fail', { commitUs: 2000 })], 20);
    const { sizing } = projectSizing(accepted, b, { targetRatePerSec: 100, storeNodes: 3, planningUtilisation: 0.7 });
    if (!sizing) throw new Error('no sizing');
    // 0.7 / (5 × 4 ms) = 35 workflows/s per shard; 100/s needs ceil(100 / 35) = 3 shards.
    expect(sizing.perShardRatePerSec).toBeCloseTo(35);
    expect(sizing.target?.shards).toBe(3);
    expect(sizing.target?.nodes).toBeUndefined();
    expect(sizing.lwtPerSecPerNode).toBeUndefined();
    const text = sizing.assumptions.join('\n');
    expect(text).toContain('PostgreSQL is a single primary');
    expect(text).toMatch(
      /committed 100 transactions\/s at 20\/s \(per transaction: pool wait 100 ?µs, row-lock 200 ?µs, COMMIT 300 ?µs\), and it was the bottleneck/,
    );
    expect(sizing.formula.join('\n')).toContain('primary(100/s) = R × T = 100 × 5 = 500 transactions/s');
  });

  it('still projects nodes for Cassandra from the same measurements', () => {
    const accepted = step(1, 20, 'pass', {
      store: 'cassandra',
      poolWaitUs: undefined,
      lockWaitUs: undefined,
      commitUs: undefined,
    });
    const b = findBottleneck([accepted, step(2, 40, 'fail', { store: 'cassandra' })], 20);
    const { sizing } = projectSizing(accepted, b, { targetRatePerSec: 100, storeNodes: 3, planningUtilisation: 0.7 });
    expect(sizing?.target?.nodes).toBeGreaterThan(0);
    expect(sizing?.assumptions.join('\n')).not.toContain('single primary');
  });
});
