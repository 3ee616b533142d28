import { LATENCY_BUCKETS_MS } from '@edgefleet/contracts';

/**
 * A quantile (0..1) from counts over LATENCY_BUCKETS_MS, interpolated linearly inside the bucket that holds it
 * (as Prometheus' histogram_quantile does); in the unbounded bucket the last finite bound is returned. Null when empty.
 */
export function histogramQuantile(q: number, counts: readonly number[]): number | null {
  const total = counts.reduce((a, b) => a + b, 0);
  if (total === 0) return null;
  const rank = q * total;
  let below = 0;
  for (let i = 0; i < counts.length; i++) {
    const c = counts[i] ?? 0;
    if (c > 0 && below + c >= rank) {
      const upper = LATENCY_BUCKETS_MS[i] ?? Number.POSITIVE_INFINITY;
      const lower = i === 0 ? 0 : LATENCY_BUCKETS_MS[i - 1]!;
      if (!Number.isFinite(upper)) return lower;
      return round(lower + ((upper - lower) * (rank - below)) / c);
    }
    below += c;
  }
  return LATENCY_BUCKETS_MS[LATENCY_BUCKETS_MS.length - 2]!;
}

const round = (x: number) => Math.round(x * 1000) / 1000;

/** `90s`, `5m`, `1h`, `7d` → seconds. */
export function parseDurationS(text: string): number {
  const m = /^(\d+)([smhd])$/.exec(text);
  if (!m) throw new Error(`bad duration ${text}`);
  return Number(m[1]) * { s: 1, m: 60, h: 3600, d: 86_400 }[m[2] as 's' | 'm' | 'h' | 'd'];
}
