import { describe, expect, it } from 'vitest';
import { HISTOGRAM_SIZE } from './devices.js';
import { histogramQuantile } from './histogram.js';

/** Counts over LATENCY_BUCKETS_MS with `n` samples in each given bucket. */
const histogram = (buckets: Record<number, number>) => {
  const h = new Array<number>(HISTOGRAM_SIZE).fill(0);
  for (const [i, n] of Object.entries(buckets)) h[Number(i)] = n;
  return h;
};

describe(histogramQuantile.name, () => {
  it('is null for an empty histogram', () => {
    expect(histogramQuantile(0.5, histogram({}))).toBeNull();
  });

  it('interpolates inside the bucket holding the rank', () => {
    // 100 samples, all in (5, 10] ms.
    const h = histogram({ 3: 100 });
    expect(histogramQuantile(0.5, h)).toBe(7.5);
    expect(histogramQuantile(0.95, h)).toBe(9.75);
  });

  it('interpolates from 0 in the first bucket and rounds to 3 decimals', () => {
    // 90 samples ≤ 1 ms, 10 above 1 s: rank 50 lies 50/90 of the way through the first bucket.
    const h = histogram({ 0: 90, 10: 10 });
    expect(histogramQuantile(0.5, h)).toBe(0.556);
  });

  it('answers the last finite bound in the unbounded bucket', () => {
    expect(histogramQuantile(0.95, histogram({ 0: 90, 10: 10 }))).toBe(1000);
    expect(histogramQuantile(0.5, histogram({ 10: 1 }))).toBe(1000);
  });

  it('walks across buckets, skipping empty ones', () => {
    // 50 in (1, 2], 50 in (10, 20]: p75 is half-way through the second populated bucket.
    expect(histogramQuantile(0.75, histogram({ 1: 50, 4: 50 }))).toBe(15);
  });
});
