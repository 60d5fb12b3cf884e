import { describe, expect, it } from 'vitest';
import type { CapacityStep } from '../../result/schema.js';
import { step } from './steps.fixture.js';
import { findBottleneck } from './bottleneck.js';
import { projectSizing } from './sizing.js';

describe('bottleneck and sizing', () => {
  // One shard, 10 ms write path, 5 transactions per workflow: the shard carries 100 transactions/s = 20 workflows/s.
  const steps = [step(1, 10, 'pass'), step(2, 16, 'pass'), step(3, 20, 'fail')];

  it('reads shard serialization from utilisation ≈ 1 at the lowest failing rate', () => {
    const b = findBottleneck(steps, 16);
    expect(b.kind).toBe('shard-serialization');
    expect(b.step).toBe(3);
    expect(b.summary).toContain('utilisation 1.00');
  });

  it("names the store's rate limit when throttled statements stopped the search, before the shards it also filled", () => {
    const throttledSteps = [step(1, 10, 'pass'), step(2, 20, 'fail', { throttledShare: 0.12, throttledPerSec: 90 })];
    const b = findBottleneck(throttledSteps, 10);
    expect(b.kind).toBe('store-rate-limit');
    expect(b.summary).toContain('12 % of statements (90/s) were throttled');
    expect(b.findings.map((f) => f.kind)).toContain('shard-serialization');
  });

  it('projects shards and nodes with the utilisation measured where the SLO held', () => {
    const b = findBottleneck(steps, 16);
    const { sizing } = projectSizing(steps[1] as CapacityStep, b, {
      targetRatePerSec: 1000,
      storeNodes: 1,
      planningUtilisation: undefined,
    });
    if (!sizing) throw new Error('no sizing');
    expect(sizing.planningUtilisationSource).toBe('measured');
    expect(sizing.planningUtilisation).toBeCloseTo(0.8);
    expect(sizing.perShardRatePerSec).toBeCloseTo(16); // 0.8 / (5 × 10 ms)
    expect(sizing.target?.shards).toBe(63); // ceil(1000 / 16)
    // 88 LWT/s carried by a node that was not the bottleneck: an upper bound of ceil(1000 × 5.5 / 88) nodes.
    expect(sizing.target?.nodes).toBe(63);
    expect(sizing.target?.nodesUpperBound).toBe(true);
    expect(sizing.formula.join('\n')).toContain('shards(1000/s) = ceil(R × T × S ÷ (U* × io))');
  });

  it('plans at the default utilisation when the shard path never limited the search', () => {
    const wide = [
      step(1, 10, 'pass', { shards: 16 }),
      step(2, 20, 'fail', { shards: 16, storeUs: 40_000, shardPathUs: 40_000 }),
    ];
    const b = findBottleneck(wide, 10);
    expect(b.kind).toBe('persistence'); // the store's latency quadrupled, the shards were far from full
    const { sizing } = projectSizing(wide[0] as CapacityStep, b, {
      targetRatePerSec: undefined,
      storeNodes: 3,
      planningUtilisation: undefined,
    });
    expect(sizing?.planningUtilisationSource).toBe('default');
    expect(sizing?.lwtPerSecPerNode).toBeCloseTo(55 / 3);
  });

  it('projects engine members from the CPU per transaction measured per member, and reads engine CPU per member', () => {
    // Two members used 3.6 cores between them at 20/s × 5 transactions: 1.8 cores each, 36 ms per transaction.
    const engine = (cpuCores: number, transactionsPerSec: number) => ({
      transactionsPerSec,
      transactionsPerWorkflow: 5,
      backlogEnd: 0,
      backlogGrowthPerSec: 0,
      cpuCores,
      members: 2,
      cpuMsPerTransaction: (cpuCores * 1000) / transactionsPerSec,
    });
    const cluster = [
      step(1, 10, 'pass', { shards: 64 }, { engine: engine(0.9, 50) }),
      step(2, 20, 'fail', { shards: 64 }, { engine: engine(3.6, 100) }),
    ];
    const b = findBottleneck(cluster, 10);
    expect(b.kind).toBe('engine-cpu');
    expect(b.summary).toContain('the 2 engine members used 3.60 cores, 1.80 each');
    const { sizing } = projectSizing(cluster[0] as CapacityStep, b, {
      targetRatePerSec: 100,
      storeNodes: 1,
      planningUtilisation: undefined,
    });
    expect(sizing?.engineCpuMsPerTransaction).toBeCloseTo(18);
    expect(sizing?.engineMembers).toBe(2);
    // ceil(100/s × 5 × 18 ms ÷ (0.7 × 1000 ms)) = ceil(12.86) = 13 members.
    expect(sizing?.target?.members).toBe(13);
    expect(sizing?.formula.join('\n')).toContain('members(100/s) = ceil(R × T × C ÷ (U_cpu × 1000))');
    expect(sizing?.assumptions.join('\n')).not.toContain('engine CPU scales out with engine processes');
  });

  it('projects no members when the engine reported no CPU', () => {
    const { sizing } = projectSizing(steps[1] as CapacityStep, findBottleneck(steps, 16), {
      targetRatePerSec: 1000,
      storeNodes: 1,
      planningUtilisation: undefined,
    });
    expect(sizing?.target?.members).toBeUndefined();
    expect(sizing?.assumptions.join('\n')).toContain('no member count is projected');
  });

  it('says so when no rate failed', () => {
    expect(findBottleneck([step(1, 10, 'pass')], 10).kind).toBe('not-reached');
  });
});
