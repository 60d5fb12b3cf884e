/** The engine's statistics as the admin surface reports them: everything (EngineStats) and the cheap sample. */
import type { EngineServices } from '../services.js';
import type { EngineSample, EngineStats } from './stats-types.js';

export function engineStats(s: EngineServices): EngineStats {
  const mem = process.memoryUsage();
  const cpu = process.cpuUsage();
  return {
    version: 1,
    engineId: s.id,
    store: s.stores.backend,
    ...(s.stores.releaseVersion ? { storeVersion: s.stores.releaseVersion } : {}),
    ...(s.stores.batchThresholds ? { batchThresholds: s.stores.batchThresholds } : {}),
    ...(s.stores.paxosVariant ? { paxosVariant: s.stores.paxosVariant } : {}),
    numShards: s.options.numShards,
    shardIOConcurrency: s.options.shardIOConcurrency,
    timeScale: s.clock.timeScale,
    uptimeMs: Date.now() - s.startedAt,
    rpc: s.rpcStats.snapshot(),
    history: s.history.stats(),
    matching: s.matching.stats(),
    visibilityRecords: s.visibility.size(),
    persistence: s.persistence.metrics.snapshot(),
    ...(s.cluster ? { cluster: s.cluster.stats() } : {}),
    process: { rssBytes: mem.rss, heapUsedBytes: mem.heapUsed, cpuUserUs: cpu.user, cpuSystemUs: cpu.system },
  };
}

/** Cumulative counters and gauges, cheap enough to read every interval of a run. */
export function engineSample(s: EngineServices): EngineSample {
  const h = s.history.stats();
  const cpu = process.cpuUsage();
  return {
    atMs: Date.now(),
    rpcs: s.rpcStats.count(),
    transactions: h.transactionsCommitted,
    conflicts: h.conflicts,
    lockWaits: h.lockWaits,
    bufferedEvents: h.bufferedEvents,
    statements: s.persistence.metrics.counts(),
    transferBacklog: h.transferBacklog,
    timerBacklog: h.timerBacklog,
    matchingBacklog: s.matching.stats().backlog,
    cpuUserUs: cpu.user,
    cpuSystemUs: cpu.system,
    rssBytes: process.memoryUsage.rss(),
  };
}
