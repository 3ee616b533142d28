import { HISTOGRAM_SIZE } from '@edgefleet/contracts';
import { z } from 'zod';
import { MinuteSpool } from '../telemetry/minute-spool.js';
import { histogramIndex } from '../telemetry/telemetry-buffer.js';

/** One minute of shadow comparisons of a candidate against the served model (contracts `ShadowBatch` item). */
export interface ShadowItem {
  candidateVersionId: string;
  baseVersionId: string;
  bucketStart: string;
  samples: number;
  top1Agree: number;
  cosineSum: number;
  candidateErrors: number;
  candidateHistogram: number[];
}

/** What one shadow run measured. */
export interface ShadowSample {
  candidateVersionId: string;
  baseVersionId: string;
  /** Same top-1 on every output (false when the candidate failed). */
  agree: boolean;
  /** Mean cosine similarity over the outputs (0 when the candidate failed). */
  cosine: number;
  /** The candidate threw or gave a non-finite value. */
  error: boolean;
  latencyMs: number;
}

const Item = z.object({
  candidateVersionId: z.string(),
  baseVersionId: z.string(),
  bucketStart: z.string(),
  samples: z.number(),
  top1Agree: z.number(),
  cosineSum: z.number(),
  candidateErrors: z.number(),
  candidateHistogram: z.array(z.number()),
});

const MINUTE_MS = 60_000;

export interface ShadowReportBufferOptions {
  /** `<state>/shadow.json`: minutes not yet accepted by the API. */
  file: string;
  /** Most items kept on disk, oldest dropped first. @defaultValue 10080 (a week of minutes for one candidate) */
  maxItems?: number;
  send: (items: ShadowItem[]) => Promise<void>;
}

/**
 * Shadow samples aggregated per (candidate, base, minute), sent with the telemetry flush and spooled on disk like
 * telemetry while the server is away. Outlives any one candidate: the last minute of a dropped shadow is still sent.
 */
export class ShadowReportBuffer {
  private readonly live = new Map<string, ShadowItem>();
  private readonly spool: MinuteSpool<ShadowItem>;

  constructor(opts: ShadowReportBufferOptions) {
    this.spool = new MinuteSpool({ file: opts.file, field: 'items', schema: Item, maxRecords: opts.maxItems ?? 7 * 24 * 60, send: opts.send });
  }

  record(s: ShadowSample, now = Date.now()): void {
    const bucketStart = new Date(Math.floor(now / MINUTE_MS) * MINUTE_MS).toISOString();
    const key = `${s.candidateVersionId}|${s.baseVersionId}|${bucketStart}`;
    let item = this.live.get(key);
    if (!item) {
      item = { candidateVersionId: s.candidateVersionId, baseVersionId: s.baseVersionId, bucketStart, samples: 0, top1Agree: 0, cosineSum: 0, candidateErrors: 0, candidateHistogram: new Array<number>(HISTOGRAM_SIZE).fill(0) };
      this.live.set(key, item);
    }
    item.samples++;
    if (s.agree) item.top1Agree++;
    item.cosineSum += s.cosine;
    if (s.error) item.candidateErrors++;
    item.candidateHistogram[histogramIndex(s.latencyMs)]!++;
  }

  async stats(): Promise<{ spooled: number; dropped: number; live: number }> {
    const spool = await this.spool.read();
    return { spooled: spool.records.length, dropped: spool.dropped, live: this.live.size };
  }

  /** Sends what was recorded plus anything spooled; what cannot be sent is spooled (bounded). */
  async flush(): Promise<boolean> {
    const fresh = [...this.live.values()].filter((i) => i.samples > 0);
    this.live.clear();
    return this.spool.flush(fresh);
  }
}
