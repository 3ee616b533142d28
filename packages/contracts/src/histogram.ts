import { LATENCY_BUCKETS_MS } from './devices.js';

/**
 * A quantile (0..1) from counts over {@link LATENCY_BUCKETS_MS}, interpolated linearly inside the bucket that holds
 * it (as Prometheus' `histogram_quantile` does), rounded to 3 decimals.
 *
 * @remarks The API's fleet telemetry and the rollout latency gate both use this, so their figures agree.
 * @returns The quantile in ms; in the unbounded bucket, the last finite bound. Null when the histogram is empty.
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
      return round3(lower + ((upper - lower) * (rank - below)) / c);
    }
    below += c;
  }
  return LATENCY_BUCKETS_MS[LATENCY_BUCKETS_MS.length - 2]!;
}

const round3 = (x: number) => Math.round(x * 1000) / 1000;
