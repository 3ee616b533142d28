import { describe, expect, it } from 'vitest';
import { seeded } from '../../../test/pass-run.js';
import { entropyThreshold, Histogram, percentileRange, RangeObserver } from './calibrators.js';

/** |Laplace| samples (heavy-ish tail) plus a handful of far outliers. */
function heavyTailed(count: number): Float32Array {
  const random = seeded(3);
  const values = Float32Array.from({ length: count }, () => -Math.log(1 - random()) * (random() < 0.5 ? -1 : 1));
  for (let i = 0; i < 20; i++) values[i * 997] = 60 + i;
  return values;
}

function observe(values: Float32Array, chunks = 4): { range: RangeObserver; values: Float32Array } {
  const range = new RangeObserver();
  const step = Math.ceil(values.length / chunks);
  for (let i = 0; i < values.length; i += step) range.observe(values.subarray(i, i + step));
  return { range, values };
}

describe(RangeObserver.name, () => {
  it('keeps the running min and max across batches', () => {
    const { range } = observe(Float32Array.of(3, -2, 8, 0.5, -7, 1));
    expect([range.min, range.max, range.count]).toEqual([-7, 8, 6]);
  });
});

describe(percentileRange.name, () => {
  it('finds the 0.01th and 99.99th percentiles of a known array within a bin', () => {
    const values = Float32Array.from({ length: 100_000 }, (_, i) => i);
    const histogram = new Histogram(0, 99_999, 2048);
    for (let i = 0; i < values.length; i += 10_000) histogram.observe(values.subarray(i, i + 10_000));
    const [lo, hi] = percentileRange(histogram, 99.99, { min: 0, max: 99_999 });
    expect(Math.abs(hi - 99_990)).toBeLessThanOrEqual(histogram.binWidth);
    expect(Math.abs(lo - 10)).toBeLessThanOrEqual(histogram.binWidth);
    const [, median] = percentileRange(histogram, 50, { min: 0, max: 99_999 });
    expect(Math.abs(median - 50_000)).toBeLessThanOrEqual(histogram.binWidth);
  });

  it('clips outliers of a heavy tail', () => {
    const { range, values } = observe(heavyTailed(200_000));
    const histogram = new Histogram(range.min, range.max, 2048);
    histogram.observe(values);
    const [lo, hi] = percentileRange(histogram, 99.9, range);
    expect(hi).toBeLessThan(10);
    expect(lo).toBeGreaterThan(-10);
  });
});

describe(entropyThreshold.name, () => {
  it('clips a heavy-tailed distribution well below its maximum', () => {
    const { range, values } = observe(heavyTailed(200_000));
    const histogram = new Histogram(0, Math.max(-range.min, range.max), 2048, true);
    histogram.observe(values);
    const threshold = entropyThreshold(histogram, 128);
    expect(threshold).toBeLessThan(range.max / 2);
    // Laplace(1): 99.9% of |x| lies below 6.9; the threshold keeps the bulk.
    expect(threshold).toBeGreaterThan(4);
  });

  it('keeps (nearly) the maximum of a bounded, dense distribution', () => {
    const random = seeded(11);
    const values = Float32Array.from({ length: 100_000 }, () => random() * 6);
    const histogram = new Histogram(0, 6, 2048, true);
    histogram.observe(values);
    expect(entropyThreshold(histogram, 256)).toBeGreaterThan(5.5);
  });

  it('is not dragged down by a spike of exact zeros (ReLU outputs)', () => {
    const random = seeded(5);
    const values = Float32Array.from({ length: 100_000 }, (_, i) => (i % 2 === 0 ? 0 : random() * 6));
    const histogram = new Histogram(0, 6, 2048, true);
    histogram.observe(values);
    expect(entropyThreshold(histogram, 256)).toBeGreaterThan(5);
  });
});

describe(Histogram.name, () => {
  it('counts values into fixed bins, clamping strays into the edge bins', () => {
    const sut = new Histogram(0, 4, 4);
    sut.observe(Float32Array.of(-1, 0.5, 1.5, 2.5, 3.5, 9, NaN));
    expect(Array.from(sut.counts)).toEqual([2, 1, 1, 2]);
    expect(sut.total).toBe(6);
    expect(sut.quantile(0.5)).toBeCloseTo(2, 5);
  });
});
