/**
 * The store's availability as the engine sees it. A call that finds the store unreachable (an error marked
 * `outage`: no host answered, the connection dropped, the node is starting) opens an outage; from then on the store
 * is probed with a cheap read until it answers, and the outage closes with one `recovered` notice.
 *
 * Why it matters: a store that went away may come back without writes it had acknowledged (a node restarted from an
 * unsynced commit log, a restore), and what the engine caches — mutable state, shard range ids, queue ack levels,
 * task-queue leases, visibility — may then be ahead of it. On `recovered` the engine re-reads all of it (it reloads
 * its shards, as Temporal does when it re-acquires one) instead of trusting memory.
 *
 * Only the probe closes an outage: a call that was already in flight when the store went away may still succeed
 * after the first failure, and must not count as the store being back.
 */
import { StoreError } from './errors.js';

export interface Outage {
  /** When the first failing call was seen (epoch ms). */
  sinceMs: number;
  /** Calls that failed with an outage error while it lasted. */
  failures: number;
  /** The first such error's message. */
  firstError: string;
}

export interface HealthOptions {
  /** Real ms between probes while the store is down. */
  probeIntervalMs: number;
}

export class StoreHealth {
  private outage: Outage | undefined;
  private probeTimer: NodeJS.Timeout | undefined;
  private readonly listeners: ((outage: Outage, downForMs: number) => void)[] = [];
  private readonly downListeners: ((outage: Outage) => void)[] = [];
  private stopped = false;
  /** Outages that began and ended (for /metrics and result.json). */
  recoveries = 0;

  constructor(
    private readonly ping: () => Promise<void>,
    private readonly opts: HealthOptions = { probeIntervalMs: 500 },
  ) {}

  get down(): Outage | undefined {
    return this.outage;
  }

  /** Called when an outage begins. */
  onDown(fn: (outage: Outage) => void): void {
    this.downListeners.push(fn);
  }

  /** Called when the store is back after an outage, once per outage. */
  onRecovered(fn: (outage: Outage, downForMs: number) => void): void {
    this.listeners.push(fn);
  }

  /** Every failed store call passes through here; only outage errors count. */
  failed(err: unknown): void {
    if (this.stopped || !(err instanceof StoreError) || !err.outage) return;
    if (this.outage) {
      this.outage.failures += 1;
      return;
    }
    this.outage = { sinceMs: Date.now(), failures: 1, firstError: err.message };
    for (const fn of this.downListeners) fn(this.outage);
    this.scheduleProbe();
  }

  private scheduleProbe(): void {
    if (this.stopped) return;
    this.probeTimer = setTimeout(() => void this.probe(), this.opts.probeIntervalMs);
    this.probeTimer.unref();
  }

  private async probe(): Promise<void> {
    try {
      await this.ping();
    } catch {
      this.scheduleProbe();
      return;
    }
    const outage = this.outage;
    this.outage = undefined;
    if (!outage || this.stopped) return;
    this.recoveries += 1;
    for (const fn of this.listeners) fn(outage, Date.now() - outage.sinceMs);
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.probeTimer);
  }
}
