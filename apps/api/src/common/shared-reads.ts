/**
 * Reads by key that callers share while they are fresh: concurrent reads of a key, and repeated ones within `ttlMs` of
 * the first, get one load. `invalidate` forgets a key at once, so a read started after it loads again; a load already
 * in flight still answers the callers that joined it before, and can no longer answer anyone after. A failed load is
 * not kept.
 */
export class SharedReads<V> {
  private readonly entries = new Map<string, { at: number; value: Promise<V> }>();
  private sweepAbove = 1024;

  constructor(
    private readonly ttlMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  get(key: string, load: () => Promise<V>): Promise<V> {
    const t = this.now();
    const hit = this.entries.get(key);
    if (hit && t - hit.at < this.ttlMs) return hit.value;
    const entry = { at: t, value: load() };
    this.entries.set(key, entry);
    entry.value.catch(() => {
      if (this.entries.get(key) === entry) this.entries.delete(key);
    });
    if (this.entries.size > this.sweepAbove) this.sweep(t);
    return entry.value;
  }

  invalidate(key: string): void {
    this.entries.delete(key);
  }

  get size(): number {
    return this.entries.size;
  }

  /** Drops expired entries; runs when the map has doubled since the last sweep, so memory follows the live keys. */
  private sweep(t: number) {
    for (const [key, e] of this.entries) if (t - e.at >= this.ttlMs) this.entries.delete(key);
    this.sweepAbove = Math.max(1024, this.entries.size * 2);
  }
}
