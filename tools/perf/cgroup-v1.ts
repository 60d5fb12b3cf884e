/**
 * A CPU quota for one process through cgroup v1's CFS bandwidth control (/sys/fs/cgroup/cpu/<name>): what lets a
 * 2-core machine hold each engine member to the same CPU share, so that throughput ratios show scaling rather than
 * the members' competition for the cores. Needs root and a cgroup v1 `cpu` hierarchy; `unavailable()` says why not.
 * A group is removed after moving its processes back to the root group (a group with members cannot be removed).
 */
import { existsSync, mkdirSync, readFileSync, rmdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const ROOT = '/sys/fs/cgroup/cpu';
const PERIOD_US = 100_000;

/** Why quotas cannot be set here, or undefined when they can. */
export function cgroupV1Unavailable(): string | undefined {
  if (!existsSync(join(ROOT, 'cpu.cfs_quota_us'))) return `no cgroup v1 cpu hierarchy at ${ROOT}`;
  if (process.getuid?.() !== 0) return 'not root (cgroup v1 groups need root to create)';
  return undefined;
}

export class CpuQuotaGroup {
  readonly dir: string;

  constructor(
    readonly name: string,
    readonly cores: number,
  ) {
    this.dir = join(ROOT, name);
    if (!existsSync(this.dir)) mkdirSync(this.dir);
    writeFileSync(join(this.dir, 'cpu.cfs_period_us'), String(PERIOD_US));
    writeFileSync(join(this.dir, 'cpu.cfs_quota_us'), String(Math.round(cores * PERIOD_US)));
  }

  /** Moves a process (all its threads) into the group. */
  add(pid: number): void {
    writeFileSync(join(this.dir, 'cgroup.procs'), String(pid));
  }

  /** Periods the group ran out of quota in, and how long it was held back (cpu.stat). */
  throttling(): { periods: number; throttledPeriods: number; throttledMs: number } {
    const stat = Object.fromEntries(
      readFileSync(join(this.dir, 'cpu.stat'), 'utf8')
        .trim()
        .split('\n')
        .map((l) => l.split(' '))
        .map(([k, v]) => [k ?? '', Number(v)]),
    );
    return {
      periods: stat.nr_periods ?? 0,
      throttledPeriods: stat.nr_throttled ?? 0,
      throttledMs: (stat.throttled_time ?? 0) / 1e6,
    };
  }

  /** Moves whatever is left back to the root group, then removes the group. */
  remove(): void {
    if (!existsSync(this.dir)) return;
    const pids = readFileSync(join(this.dir, 'cgroup.procs'), 'utf8').split('\n').filter(Boolean);
    for (const pid of pids) {
      try {
        writeFileSync(join(ROOT, 'cgroup.procs'), pid);
      } catch {
        // exited meanwhile
      }
    }
    rmdirSync(this.dir);
  }
}
