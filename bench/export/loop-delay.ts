/**
 * The event loop's delay in this process (perf_hooks.monitorEventLoopDelay,
 * 1 ms resolution): how late a 1 ms timer fired, i.e. about the longest
 * stretch of synchronous work; beside it the garbage collector's pauses
 * (PerformanceObserver 'gc' entries), one cause of such stretches.
 * Reset before a measured phase, read after it.
 */
import { monitorEventLoopDelay, PerformanceObserver } from 'node:perf_hooks';

export interface LoopDelayStats {
  /** Longest delay seen, ms. */
  maxMs: number;
  /** 99th percentile of the delays, ms. */
  p99Ms: number;
  /** Mean delay, ms. */
  meanMs: number;
  /** Delay samples taken. */
  samples: number;
  /** Longest garbage-collection pause, ms. */
  gcMaxMs: number;
  /** All garbage-collection pauses together, ms. */
  gcTotalMs: number;
}

export class LoopDelay {
  private readonly histogram = monitorEventLoopDelay({ resolution: 1 });
  private gcMaxMs = 0;
  private gcTotalMs = 0;

  constructor() {
    this.histogram.enable();
    new PerformanceObserver((list) => {
      for (const e of list.getEntries()) {
        this.gcMaxMs = Math.max(this.gcMaxMs, e.duration);
        this.gcTotalMs += e.duration;
      }
    }).observe({ entryTypes: ['gc'] });
  }

  reset(): void {
    this.histogram.reset();
    this.gcMaxMs = 0;
    this.gcTotalMs = 0;
  }

  /** Stats since the last reset (nanoseconds from the histogram, reported in ms). */
  read(): LoopDelayStats {
    const h = this.histogram;
    const gc = { gcMaxMs: this.gcMaxMs, gcTotalMs: this.gcTotalMs };
    if (!h.count) return { maxMs: 0, p99Ms: 0, meanMs: 0, samples: 0, ...gc };
    return { maxMs: h.max / 1e6, p99Ms: h.percentile(99) / 1e6, meanMs: h.mean / 1e6, samples: h.count, ...gc };
  }
}
