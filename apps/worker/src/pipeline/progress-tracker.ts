import type { PipelineStep } from '@edgefleet/contracts';

export interface ProgressSnapshot {
  step: PipelineStep;
  progress: number;
}

/**
 * Remembers the latest progress from compress's synchronous callbacks and flushes it (DB row + event) at
 * most every `intervalMs`, together with a check of the run's status for cancellation. Flushes never overlap.
 */
export class ProgressTracker {
  private latest: ProgressSnapshot | null = null;
  private flushed: ProgressSnapshot | null = null;
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<void> = Promise.resolve();
  cancelled = false;

  constructor(
    private readonly intervalMs: number,
    private readonly flush: (p: ProgressSnapshot) => Promise<void>,
    private readonly isCancelled: () => Promise<boolean>,
  ) {}

  start(): void {
    this.timer = setInterval(() => {
      this.running = this.running.then(() => this.tick()).catch(() => undefined);
    }, this.intervalMs);
    this.timer.unref();
  }

  report(p: ProgressSnapshot): void {
    const progress = Math.max(this.latest?.progress ?? 0, p.progress);
    this.latest = { step: p.step, progress };
  }

  private async tick(): Promise<void> {
    if (!this.cancelled && (await this.isCancelled())) this.cancelled = true;
    const latest = this.latest;
    if (this.cancelled || !latest) return;
    if (this.flushed && this.flushed.step === latest.step && this.flushed.progress === latest.progress) return;
    this.flushed = latest;
    await this.flush(latest);
  }

  /** Stops the timer and waits for a flush in flight. */
  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.running;
  }
}
