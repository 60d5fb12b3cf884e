/**
 * Samples the engine's counters once per interval (cumulative statement counts and LWT outcomes, queue depths)
 * so the report can draw them over time. For an embedded engine the sample is a synchronous call; for a target
 * it comes over the admin surface, and a target without one (a real Temporal) simply has no engine data.
 */
import type { Engine, EngineSample, EngineStats } from '../../engine/index.js';
import type { EngineAdminClient } from '../client/admin.js';

export class EngineSampler {
  private last: EngineSample | undefined;
  private timer: NodeJS.Timeout | undefined;
  private unavailable = false;

  constructor(
    private readonly engine: Engine | undefined,
    private readonly admin: EngineAdminClient | undefined,
    intervalMs: number,
  ) {
    if (admin) {
      this.timer = setInterval(() => {
        if (this.unavailable) return;
        admin.sample().then(
          (s) => (this.last = s),
          () => (this.unavailable = true),
        );
      }, intervalMs);
      this.timer.unref();
    }
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
      this.admin.close();
    }
  }
}
