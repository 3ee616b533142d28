import { HISTOGRAM_SIZE, LATENCY_BUCKETS_MS } from '@edgefleet/contracts';
import { z } from 'zod';
import { MinuteSpool } from './minute-spool.js';

export interface TelemetryBucket {
  versionId: string;
  bucketStart: string;
  count: number;
  errors: number;
  histogram: number[];
}

const Bucket = z.object({ versionId: z.string(), bucketStart: z.string(), count: z.number(), errors: z.number(), histogram: z.array(z.number()) });

const MINUTE_MS = 60_000;

export interface TelemetryBufferOptions {
  /** The on-disk spool used while the server is unreachable (`<state>/telemetry.json`). */
  file: string;
  /** Most buckets kept on disk; the oldest are dropped first (and counted). @defaultValue 10080 (a week of minutes) */
  maxBuckets?: number;
  send: (buckets: TelemetryBucket[]) => Promise<void>;
}

export function histogramIndex(ms: number): number {
  const i = LATENCY_BUCKETS_MS.findIndex((upper) => ms <= upper);
  return i === -1 ? HISTOGRAM_SIZE - 1 : i;
}

/** Per-minute inference counters and latency histograms (the contracts' bucket bounds), flushed to the API. */
export class TelemetryBuffer {
  private readonly live = new Map<string, TelemetryBucket>();
  private readonly spool: MinuteSpool<TelemetryBucket>;

  constructor(opts: TelemetryBufferOptions) {
    this.spool = new MinuteSpool({ file: opts.file, field: 'buckets', schema: Bucket, maxRecords: opts.maxBuckets ?? 7 * 24 * 60, send: opts.send });
  }

  record(versionId: string, latencyMs: number, ok: boolean, now = Date.now()): void {
    const start = new Date(Math.floor(now / MINUTE_MS) * MINUTE_MS).toISOString();
    const key = `${versionId}|${start}`;
    let b = this.live.get(key);
    if (!b) {
      b = { versionId, bucketStart: start, count: 0, errors: 0, histogram: new Array<number>(HISTOGRAM_SIZE).fill(0) };
      this.live.set(key, b);
    }
    b.count++;
    if (!ok) b.errors++;
    b.histogram[histogramIndex(latencyMs)]!++;
  }

  /** Buckets kept on disk, and how many were dropped to honour the bound. */
  async stats(): Promise<{ spooled: number; dropped: number; live: number }> {
    const spool = await this.spool.read();
    return { spooled: spool.records.length, dropped: spool.dropped, live: this.live.size };
  }

  /**
   * Sends what was recorded (the API adds up batches for the same minute) plus anything spooled earlier. When the
   * send fails, everything goes to the spool, oldest dropped beyond `maxBuckets`. Returns whether it was sent.
   */
  async flush(): Promise<boolean> {
    const fresh = [...this.live.values()].filter((b) => b.count > 0);
    this.live.clear();
    return this.spool.flush(fresh);
  }
}
