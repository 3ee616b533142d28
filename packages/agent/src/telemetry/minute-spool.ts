import { z } from 'zod';
import { readJsonOrNull, writeFileAtomic } from '../state/atomic-file.js';

/** The API takes at most this many records per batch (telemetry buckets, shadow items). */
const BATCH = 1000;

export interface MinuteSpoolOptions<T extends { bucketStart: string }> {
  /** The on-disk spool used while the server is unreachable (`<state>/telemetry.json`, `<state>/shadow.json`). */
  file: string;
  /** How a spooled record looks: records that do not parse (an older agent's file) are dropped. */
  schema: z.ZodType<T>;
  /** The spool file's array of records: `{ v: 1, dropped, [field]: [...] }`. */
  field: string;
  /** Most records kept on disk; the oldest (by `bucketStart`) are dropped first, and counted. */
  maxRecords: number;
  send: (records: T[]) => Promise<void>;
}

/**
 * Per-minute records on their way to the API: {@link flush} sends fresh records plus whatever an earlier failed
 * flush left on disk, in batches of 1000; what cannot be sent goes (back) to the spool file, bounded.
 */
export class MinuteSpool<T extends { bucketStart: string }> {
  private dropped = 0;
  private readonly spoolSchema: z.ZodType<{ v: 1; dropped: number; records: T[] }>;

  constructor(private readonly opts: MinuteSpoolOptions<T>) {
    this.spoolSchema = z
      .object({ v: z.literal(1), dropped: z.number().int().nonnegative(), [opts.field]: z.array(opts.schema) })
      .transform((f) => ({ v: 1 as const, dropped: f.dropped, records: f[opts.field] as T[] })) as unknown as z.ZodType<{ v: 1; dropped: number; records: T[] }>;
  }

  async read(): Promise<{ v: 1; dropped: number; records: T[] }> {
    const raw = await readJsonOrNull(this.opts.file).catch(() => null);
    const parsed = this.spoolSchema.safeParse(raw);
    return parsed.success ? parsed.data : { v: 1, dropped: this.dropped, records: [] };
  }

  private write(dropped: number, records: T[]): Promise<void> {
    return writeFileAtomic(this.opts.file, JSON.stringify({ v: 1, dropped, [this.opts.field]: records }));
  }

  /** Sends `fresh` and the spooled records; returns whether everything was sent. */
  async flush(fresh: T[]): Promise<boolean> {
    const spool = await this.read();
    const all = [...spool.records, ...fresh];
    if (all.length === 0) return true;
    let sent = 0;
    try {
      for (; sent < all.length; sent += BATCH) await this.opts.send(all.slice(sent, sent + BATCH));
      if (spool.records.length > 0) await this.write(spool.dropped, []);
      return true;
    } catch {
      const rest = all.slice(sent).sort((a, b) => (a.bucketStart < b.bucketStart ? -1 : a.bucketStart > b.bucketStart ? 1 : 0));
      const over = Math.max(0, rest.length - this.opts.maxRecords);
      this.dropped = spool.dropped + over;
      await this.write(this.dropped, rest.slice(over));
      return false;
    }
  }
}
