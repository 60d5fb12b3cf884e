/**
 * Samples the engine's counters once per interval (cumulative statement counts and LWT outcomes, queue depths)
 * so the report can draw them over time. For an embedded engine the sample is a synchronous call; for a target
 * it comes over the admin surface, and a target without one (a real Temporal) simply has no engine data. An engine
 * cluster is sampled on every member and the samples added up (sum-samples.ts), a member that stops answering counted
 * at its last sample so that the cumulative counters never go back; its statistics (histograms) come from the first.
 */
import type { Engine, EngineSample, EngineStats } from '../../engine/index.js';
import type { EngineAdminClient } from '../client/admin-client.js';
import type { Contention } from '../../result/schema.js';
import { sumSamples } from './sum-samples.js';

export class EngineSampler {
  private last: EngineSample | undefined;
  private first: EngineSample | undefined;
  private timer: NodeJS.Timeout | undefined;
  private unavailable = false;
  /** Each member's latest sample (a cluster's members are sampled apart and added up). */
  private readonly byMember: (EngineSample | undefined)[];
  private readonly admin: EngineAdminClient | undefined;

  constructor(
    private readonly engine: Engine | undefined,
    private readonly admins: EngineAdminClient[],
    intervalMs: number,
  ) {
    this.admin = admins[0];
    this.byMember = admins.map(() => undefined);
    if (admins.length > 0) {
      this.timer = setInterval(() => {
        if (this.unavailable) return;
        void this.sampleMembers().then((s) => {
          if (s) this.last = s;
        });
      }, intervalMs);
      this.timer.unref();
    }
  }

  /** Every member's sample, added up; undefined (and no more sampling) when the first member has no admin surface. */
  private async sampleMembers(): Promise<EngineSample | undefined> {
    const got = await Promise.allSettled(this.admins.map((a) => a.sample()));
    got.forEach((g, i) => {
      if (g.status === 'fulfilled') this.byMember[i] = g.value;
    });
    if (this.byMember[0] === undefined) {
      this.unavailable = true;
      return undefined;
    }
    return sumSamples(this.byMember.flatMap((s) => (s ? [s] : [])));
  }

  /** Takes the baseline that {@link contention} measures from. */
  async baseline(): Promise<void> {
    this.first = this.engine ? this.engine.sample() : await this.sampleMembers();
    this.last = this.first;
  }

  /**
   * What the run needs to know about the target engine before it starts: its virtual-time speed-up (1 for a target
   * without an admin surface, e.g. Temporal) and its store's batch-size thresholds (where the store has batches).
   */
  async targetInfo(): Promise<{ timeScale: number; batchThresholds: EngineStats['batchThresholds'] }> {
    if (this.engine) {
      const stats = await this.engine.stats();
      return { timeScale: this.engine.clock.timeScale, batchThresholds: stats.batchThresholds };
    }
    if (!this.admin || this.unavailable) return { timeScale: 1, batchThresholds: undefined };
    try {
      const stats = await this.admin.stats();
      return { timeScale: stats.timeScale, batchThresholds: stats.batchThresholds };
    } catch {
      return { timeScale: 1, batchThresholds: undefined };
    }
  }

  /** Contention counters since the baseline (undefined when the target has no admin surface). */
  async contention(): Promise<Contention | undefined> {
    const end = this.engine ? this.engine.sample() : this.unavailable ? this.last : await this.sampleMembers();
    return this.first && end ? contentionBetween(this.first, end) : undefined;
  }

  latest(): EngineSample | undefined {
    return this.engine ? this.engine.sample() : this.last;
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
  }

  async finalStats(): Promise<EngineStats | undefined> {
    if (this.engine) return this.engine.stats();
    if (!this.admin) return undefined;
    try {
      return await this.admin.stats();
    } catch {
      return undefined;
    } finally {
      for (const a of this.admins) a.close();
    }
  }
}

function lwtOutcomes(s: EngineSample): Map<string, number> {
  const out = new Map<string, number>();
  for (const st of Object.values(s.statements)) {
    for (const [k, n] of Object.entries(st.outcomes ?? {})) out.set(k, (out.get(k) ?? 0) + n);
  }
  return out;
}

function contentionBetween(a: EngineSample, b: EngineSample): Contention {
  const before = lwtOutcomes(a);
  const lwt: Record<string, number> = {};
  for (const [k, n] of lwtOutcomes(b)) lwt[k] = n - (before.get(k) ?? 0);
  return {
    transactions: b.transactions - a.transactions,
    conflicts: b.conflicts - a.conflicts,
    // Older engines (or a stampede engine of another version) may lack a counter: count it as zero.
    lockWaits: (b.lockWaits ?? 0) - (a.lockWaits ?? 0),
    bufferedEvents: (b.bufferedEvents ?? 0) - (a.bufferedEvents ?? 0),
    lwt,
  };
}
