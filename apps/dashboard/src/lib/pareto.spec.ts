import { describe, expect, it } from 'vitest';
import { paretoFront } from './pareto';

const p = (x: number, y: number, id = `${x}/${y}`) => ({ x, y, id });

describe(paretoFront.name, () => {
  it('keeps the points no other point beats on both size and quality, sorted by size', () => {
    const points = [p(400, 0.95), p(100, 0.8), p(200, 0.9), p(300, 0.85), p(250, 0.9)];
    expect(paretoFront(points).map((q) => q.id)).toEqual(['100/0.8', '200/0.9', '400/0.95']);
  });

  it('drops a point with the same size and lower quality, keeps exact duplicates', () => {
    expect(paretoFront([p(100, 0.8, 'a'), p(100, 0.9, 'b')]).map((q) => q.id)).toEqual(['b']);
    expect(paretoFront([p(100, 0.9, 'a'), p(100, 0.9, 'b')]).map((q) => q.id)).toEqual(['a', 'b']);
  });

  it('handles empty input, one point and non-finite values', () => {
    expect(paretoFront([])).toEqual([]);
    expect(paretoFront([p(1, 1)])).toHaveLength(1);
    expect(paretoFront([p(Number.NaN, 1), p(5, 0.5)]).map((q) => q.x)).toEqual([5]);
  });

  it('never returns a dominated point (randomized invariant)', () => {
    let seed = 7;
    const rand = () => ((seed = (seed * 16807) % 2147483647) / 2147483647);
    for (let round = 0; round < 50; round++) {
      const points = Array.from({ length: 30 }, (_, i) => p(Math.round(rand() * 20), Math.round(rand() * 20) / 20, String(i)));
      const front = paretoFront(points);
      for (const f of front) {
        expect(points.some((q) => q.x <= f.x && q.y >= f.y && (q.x < f.x || q.y > f.y))).toBe(false);
      }
      for (const q of points) {
        const dominated = points.some((o) => o.x <= q.x && o.y >= q.y && (o.x < q.x || o.y > q.y));
        if (!dominated) expect(front).toContain(q);
      }
    }
  });
});
