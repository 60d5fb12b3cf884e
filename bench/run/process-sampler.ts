/** This process's CPU (all threads, in cores over the last sample) and resident memory, sampled per interval. */
import { nowMs } from '../recorder/wall-clock.js';

export class ProcessSampler {
  private lastCpu = process.cpuUsage();
  private lastAt = nowMs();
  /** Highest resident set size sampled, bytes. */
  peakRssBytes = 0;

  sample(): { cpuCores: number; rssBytes: number } {
    const cpu = process.cpuUsage();
    const at = nowMs();
    const used = cpu.user - this.lastCpu.user + cpu.system - this.lastCpu.system;
    const cores = used / 1000 / Math.max(1, at - this.lastAt);
    this.lastCpu = cpu;
    this.lastAt = at;
    const rss = process.memoryUsage.rss();
    this.peakRssBytes = Math.max(this.peakRssBytes, rss);
    return { cpuCores: cores, rssBytes: rss };
  }
}
