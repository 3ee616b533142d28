import { describe, expect, it } from 'vitest';
import { AccuracyAccumulator, argmax, cosine, FidelityAccumulator, percentile, topK } from './metrics.js';

describe(argmax.name, () => {
  it('returns the first index of the largest value', () => {
    expect(argmax([0.1, 0.7, 0.2])).toBe(1);
    expect(argmax([3, 5, 5, 1])).toBe(1);
    expect(argmax(Float32Array.of(-4, -2, -3))).toBe(1);
  });

  it('ranks NaN highest, as NumPy does, and gives -1 for an empty row', () => {
    expect(argmax([1, NaN, 3, NaN])).toBe(1);
    expect(argmax([])).toBe(-1);
  });
});

describe(topK.name, () => {
  it('lists the k largest, largest first, ties in index order', () => {
    expect(topK([0.1, 0.5, 0.3, 0.5, 0.0, 0.9], 3)).toEqual([5, 1, 3]);
    expect(topK([2, 2, 2], 2)).toEqual([0, 1]);
  });

  it('returns the whole row sorted when k exceeds its length, nothing for k = 0', () => {
    expect(topK([1, 3, 2], 5)).toEqual([1, 2, 0]);
    expect(topK([1, 3, 2], 0)).toEqual([]);
  });

  it('agrees with argmax on its first entry', () => {
    const row = Float32Array.from({ length: 100 }, (_, i) => Math.sin(i * 12.9898) * 43758.5453 % 1);
    expect(topK(row, 5)[0]).toBe(argmax(row));
    const sorted = [...row].map((v, i) => [v, i] as const).sort((a, b) => b[0] - a[0] || a[1] - b[1]);
    expect(topK(row, 5)).toEqual(sorted.slice(0, 5).map(([, i]) => i));
  });
});

describe(cosine.name, () => {
  it('is exactly 1 for a row against itself', () => {
    for (let n = 1; n <= 50; n += 1) {
      const row = Float32Array.from({ length: n }, (_, i) => Math.cos(i * 7.3 + n) * (i + 1));
      expect(cosine(row, row)).toBe(1);
    }
  });

  it('gives 0 for orthogonal, -1 for opposite and the textbook value otherwise', () => {
    expect(cosine([1, 0], [0, 3])).toBe(0);
    expect(cosine([1, 2, 3], [-1, -2, -3])).toBe(-1);
    // (1·4 + 2·5 + 3·6) / (√14 · √77) = 32 / √1078
    expect(cosine([1, 2, 3], [4, 5, 6])).toBeCloseTo(32 / Math.sqrt(1078), 15);
  });

  it('treats two zero rows as identical and one zero row as unrelated', () => {
    expect(cosine([0, 0], [0, 0])).toBe(1);
    expect(cosine([0, 0], [1, 0])).toBe(0);
  });

  it('refuses rows of different lengths', () => {
    expect(() => cosine([1, 2], [1])).toThrow(RangeError);
  });
});

describe(percentile.name, () => {
  it("interpolates linearly between ranks like NumPy's default", () => {
    const sorted = [1, 2, 3, 4];
    expect(percentile(sorted, 50)).toBe(2.5);
    // rank 0.95·3 = 2.85 → 3 + 0.85·(4 − 3)
    expect(percentile(sorted, 95)).toBeCloseTo(3.85, 12);
    expect(percentile(sorted, 0)).toBe(1);
    expect(percentile(sorted, 100)).toBe(4);
    expect(percentile([7], 95)).toBe(7);
    expect(percentile([1, 2, 3, 4, 5], 50)).toBe(3);
  });

  it('refuses an empty list and p outside 0..100', () => {
    expect(() => percentile([], 50)).toThrow(RangeError);
    expect(() => percentile([1], 101)).toThrow(RangeError);
    expect(() => percentile([1], NaN)).toThrow(RangeError);
  });
});

describe(FidelityAccumulator.name, () => {
  it('accumulates agreement, mean cosine and max |diff| over batches', () => {
    const sut = new FidelityAccumulator();
    // sample 0 agrees (argmax 1 both), sample 1 does not (0 vs 1)
    sut.add(Float32Array.of(0, 1, 0.5, 0.75), Float32Array.of(0, 2, 0.5, 0.25), 2, 2);
    // sample 2 identical
    sut.add(Float32Array.of(3, 4), Float32Array.of(3, 4), 1, 2);
    const result = sut.result();
    expect(result.samples).toBe(3);
    expect(result.top1Agreement).toBeCloseTo(2 / 3, 15);
    const cos1 = (0.25 + 0.1875) / Math.sqrt(0.8125 * 0.3125);
    expect(result.meanCosine).toBeCloseTo((1 + cos1 + 1) / 3, 15);
    expect(result.maxAbsDiff).toBe(1);
  });

  it('counts NaN on one side as an infinite difference and NaN on both as none', () => {
    expect(new FidelityAccumulator().add(Float32Array.of(NaN, 1), Float32Array.of(NaN, 1), 1, 2).result().maxAbsDiff).toBe(0);
    expect(new FidelityAccumulator().add(Float32Array.of(NaN, 1), Float32Array.of(0, 1), 1, 2).result().maxAbsDiff).toBe(Infinity);
  });

  it('checks block sizes', () => {
    expect(() => new FidelityAccumulator().add(Float32Array.of(1, 2, 3), Float32Array.of(1, 2, 3, 4), 2, 2)).toThrow(RangeError);
  });
});

describe(AccuracyAccumulator.name, () => {
  it('scores top-1 and top-5, skipping negative labels but counting their predictions', () => {
    const sut = new AccuracyAccumulator();
    const cols = 7;
    const rows = [
      [0, 9, 1, 2, 3, 4, 5], // argmax 1, label 1: top-1 ✓
      [9, 1, 2, 3, 4, 5, 6], // argmax 0, label 6: 6 ranks 2nd → top-5 ✓
      [9, 8, 7, 6, 5, 4, 3], // argmax 0, label 6 ranks last → ✗
      [1, 2, 3, 4, 5, 6, 9], // unlabeled
    ];
    sut.add(Float32Array.from(rows.flat()), 4, cols, BigInt64Array.of(1n, 6n, 6n, -1n));
    expect(sut.result()).toEqual({
      top1: 1 / 3,
      top5: 2 / 3,
      labeled: 3,
      top1Correct: 1,
      top5Correct: 2,
      predictions: [2, 1, 0, 0, 0, 0, 1],
    });
  });

  it('has no top-5 for five classes or fewer', () => {
    const result = new AccuracyAccumulator().add(Float32Array.of(0.2, 0.8, 0.9, 0.1), 2, 2, [1, 1]).result();
    expect(result).toMatchObject({ top1: 0.5, top5: null, top5Correct: null, labeled: 2, predictions: [1, 1] });
  });
});
