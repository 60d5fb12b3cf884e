/**
 * How far this generator's clock is from the target engine's, measured the way Cristian's algorithm does: a reply
 * stamped by the engine (a task's `startedTime`) was stamped between our send and our receive, so
 * `engine - receive <= offset <= engine - send`. The tightest such interval over the run bounds the offset; its
 * midpoint is the estimate and its half-width the uncertainty. Segments of a distributed run measure their offsets
 * against the same engine, so `stampede merge` can line their intervals up on one clock and say how far apart the
 * machines' clocks were. Only meaningful when the engine's event times are real time (time scale 1).
 */

/** Bounds on `engine clock - this clock`, µs, from the narrowest sample seen. */
export interface ClockBounds {
  lowUs: number;
  highUs: number;
  samples: number;
}

import type { ClockOffset } from '../../result/schema.js';

export type { ClockOffset };

export class ClockOffsetProbe {
  private best: ClockBounds | undefined;
  private samples = 0;

  /** A reply the engine stamped at `engineUs`, sent at `sentUs` and received at `receivedUs` (this clock). */
  observe(sentUs: number, receivedUs: number, engineUs: number): void {
    if (!(engineUs > 0) || receivedUs < sentUs) return;
    this.samples += 1;
    const lowUs = engineUs - receivedUs;
    const highUs = engineUs - sentUs;
    if (!this.best || highUs - lowUs < this.best.highUs - this.best.lowUs) this.best = { lowUs, highUs, samples: 0 };
  }

  bounds(): ClockBounds | undefined {
    return this.best && { ...this.best, samples: this.samples };
  }
}

/** The narrowest of several threads' bounds, with every thread's samples counted. */
export function narrowest(all: (ClockBounds | undefined)[]): ClockBounds | undefined {
  const present = all.filter((b): b is ClockBounds => b !== undefined);
  if (present.length === 0) return undefined;
  const best = present.reduce((a, b) => (b.highUs - b.lowUs < a.highUs - a.lowUs ? b : a));
  return { ...best, samples: present.reduce((n, b) => n + b.samples, 0) };
}

export function clockOffset(b: ClockBounds): ClockOffset {
  const round = (us: number): number => Math.round(us / 10) / 100;
  return {
    offsetMs: round((b.lowUs + b.highUs) / 2),
    uncertaintyMs: round((b.highUs - b.lowUs) / 2),
    samples: b.samples,
  };
}
