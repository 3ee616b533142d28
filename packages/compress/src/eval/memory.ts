import { memoryUsage, resourceUsage } from 'node:process';

// Often enough to catch arena growth between runs without costing measurable time (~20 µs a read).
const SAMPLE_INTERVAL_MS = 5;

/**
 * Peak growth of the process's resident set over a window. Two sources, the larger wins:
 * - `process.memoryUsage.rss()` sampled at the start, on a timer and whenever `sample()` is called
 *   (after each inference). onnxruntime-node runs inference synchronously on the main thread, so
 *   the timer cannot fire mid-run; the explicit samples after each run catch what the run left
 *   allocated (ORT's CPU arena keeps its high-water mark).
 * - the kernel's lifetime peak, `process.resourceUsage().maxRSS` (KiB), before vs after: catches
 *   transient peaks inside a run, but only when they exceed every earlier peak of the process.
 * The figure is process-wide: anything else the process allocates meanwhile (dataset batches, GC
 * timing) is included. It is an estimate of what creating and running the sessions costs.
 */
export class RssPeakMonitor {
  private readonly baseline = memoryUsage.rss();
  private readonly maxRssBefore = resourceUsage().maxRSS;
  private peak = this.baseline;
  private readonly timer = setInterval(() => this.sample(), SAMPLE_INTERVAL_MS);

  constructor() {
    this.timer.unref();
  }

  sample(): void {
    const rss = memoryUsage.rss();
    if (rss > this.peak) this.peak = rss;
  }

  /** Stops sampling and returns the peak growth in bytes (≥ 0). */
  stop(): number {
    clearInterval(this.timer);
    this.sample();
    const lifetimeGrowth = (resourceUsage().maxRSS - this.maxRssBefore) * 1024;
    return Math.max(0, this.peak - this.baseline, lifetimeGrowth);
  }
}
