import { describe, expect, it } from 'vitest';
import { paretoFront } from './pareto.js';

describe(paretoFront.name, () => {
  it('keeps exactly the non-dominated trade-offs', () => {
    const points = [
      { id: 'fp32', bytes: 100, latencyMs: 10, quality: 0.98 },
      { id: 'fp16', bytes: 50, latencyMs: 12, quality: 0.98 },
      { id: 'int8', bytes: 25, latencyMs: 8, quality: 0.97 },
      { id: 'worse-int8', bytes: 26, latencyMs: 9, quality: 0.96 },
      { id: 'twin', bytes: 25, latencyMs: 8, quality: 0.97 },
    ];
    expect(paretoFront(points)).toEqual(['fp32', 'fp16', 'int8', 'twin']);
  });

  it('returns a single best point alone', () => {
    expect(paretoFront([{ id: 'a', bytes: 1, latencyMs: 1, quality: 1 }, { id: 'b', bytes: 2, latencyMs: 2, quality: 0.5 }])).toEqual(['a']);
  });
});
