import { describe, expect, it } from 'vitest';
import type { EngineSample } from '../../engine/index.js';
import { sumSamples } from './sum-samples.js';

function sample(k: number, atMs: number): EngineSample {
  return {
    atMs,
    rpcs: 10 * k,
    transactions: 5 * k,
    conflicts: k,
    lockWaits: k,
    bufferedEvents: 0,
    statements: {
      'execution.update': { count: 4 * k, outcomes: { applied: 4 * k } },
      ...(k === 2 ? { 'task.read': { count: 7, throttled: 1 } } : {}),
    },
    transferBacklog: k,
    timerBacklog: 0,
    matchingBacklog: k,
    cpuUserUs: 1000 * k,
    cpuSystemUs: 100 * k,
    rssBytes: 1e6,
  };
}

describe('sumSamples', () => {
  it("adds a cluster's members' counters, statement by statement, at the latest member's time", () => {
    const s = sumSamples([sample(1, 100), sample(2, 150)]);
    expect(s).toMatchObject({
      atMs: 150,
      rpcs: 30,
      transactions: 15,
      conflicts: 3,
      transferBacklog: 3,
      cpuUserUs: 3000,
      cpuSystemUs: 300,
      rssBytes: 2e6,
      statements: {
        'execution.update': { count: 12, outcomes: { applied: 12 } },
        'task.read': { count: 7, throttled: 1 },
      },
    });
  });
  it('is one sample unchanged, and nothing for none', () => {
    expect(sumSamples([sample(1, 100)])).toEqual(sample(1, 100));
    expect(sumSamples([])).toBeUndefined();
  });
});
