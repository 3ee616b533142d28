import { HISTOGRAM_SIZE, LATENCY_BUCKETS_MS } from '@edgefleet/contracts';
import { z } from 'zod';
import { readJsonOrNull, writeFileAtomic } from '../state/atomic-file.js';

export interface TelemetryBucket {
  versionId: string;
  bucketStart: string;
  count: number;
  errors: number;
  histogram: number[];
}

const Spool = z.object({
  v: z.literal(1),
  dropped: z.number().int().nonnegative(),
  buckets: z.array(z.object({ versionId: z.string(), bucketStart: z.string(), count: z.number(), errors: z.number(), histogram: z.array(z.number()) })),
});

const MINUTE_MS = 60_000;
/** The API takes at most this many buckets per batch. */
const BATCH = 1000;

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
  private readonly maxBuckets: number;
  private dropped = 0;

  constructor(private readonly opts: TelemetryBufferOptions) {
    this.maxBuckets = opts.maxBuckets ?? 7 * 24 * 60;
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
    const spool = await this.readSpool();
    return { spooled: spool.buckets.length, dropped: spool.dropped, live: this.live.size };
  }

  private async readSpool() {
    const raw = await readJsonOrNull(this.opts.file).catch(() => null);
    const parsed = Spool.safeParse(raw);
    return parsed.success ? parsed.data : { v: 1 as const, dropped: this.dropped, buckets: [] as TelemetryBucket[] };
  }

  /**
   * Sends what was recorded (the API adds up batches for the same minute) plus anything spooled earlier. When the
   * send fails, everything goes to the spool, oldest dropped beyond `maxBuckets`. Returns whether it was sent.
   */
  async flush(): Promise<boolean> {
    const spool = await this.readSpool();
    const fresh = [...this.live.values()].filter((b) => b.count > 0);
    this.live.clear();
    const all = [...spool.buckets, ...fresh];
    if (all.length === 0) return true;
    let sent = 0;
    try {
      for (; sent < all.length; sent += BATCH) await this.opts.send(all.slice(sent, sent + BATCH));
      if (spool.buckets.length > 0) await writeFileAtomic(this.opts.file, JSON.stringify({ v: 1, dropped: spool.dropped, buckets: [] }));
      return true;
    } catch {
      const rest = all.slice(sent).sort((a, b) => (a.bucketStart < b.bucketStart ? -1 : a.bucketStart > b.bucketStart ? 1 : 0));
      const over = Math.max(0, rest.length - this.maxBuckets);
      this.dropped = spool.dropped + over;
      const kept = rest.slice(over);
      await writeFileAtomic(this.opts.file, JSON.stringify({ v: 1, dropped: this.dropped, buckets: kept }));
      return false;
    }
  }
}
