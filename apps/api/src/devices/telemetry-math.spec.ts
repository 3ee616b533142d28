import { describe, expect, it } from 'vitest';
import { histogramQuantile, parseDurationS } from './telemetry-math.js';

describe(histogramQuantile.name, () => {
  it('is null for an empty histogram', () => {
    expect(histogramQuantile(0.5, new Array(11).fill(0))).toBeNull();
  });

  it('interpolates inside the bucket holding the rank', () => {
    // 100 samples, all in (5, 10] ms.
    const h = [0, 0, 0, 100, 0, 0, 0, 0, 0, 0, 0];
    expect(histogramQuantile(0.5, h)).toBe(7.5);
    expect(histogramQuantile(0.95, h)).toBe(9.75);
  });

  it('walks across buckets, and answers the last finite bound in the unbounded one', () => {
    // 90 samples ≤ 1 ms, 10 above 1 s.
    const h = [90, 0, 0, 0, 0, 0, 0, 0, 0, 0, 10];
    expect(histogramQuantile(0.5, h)).toBeCloseTo(0.556, 3);
    expect(histogramQuantile(0.95, h)).toBe(1000);
  });
});

describe(parseDurationS.name, () => {
  it.each([
    ['90s', 90],
    ['5m', 300],
    ['1h', 3600],
    ['7d', 604_800],
  ])('%s = %i s', (text, s) => expect(parseDurationS(text)).toBe(s));
});
