export interface ParetoPoint {
  /** Cost to minimize (bytes). */
  x: number;
  /** Quality to maximize (accuracy or agreement). */
  y: number;
}

/**
 * The points no other point dominates (another is at most as large and at least as good, and strictly
 * better in one), sorted by x ascending so a line through them draws the front. Exact duplicates
 * are both kept. O(n log n): sort by x then best y first, and keep each point that beats the best y so far.
 */
export function paretoFront<T extends ParetoPoint>(points: readonly T[]): T[] {
  const finite = points.filter((p) => Number.isFinite(p.x) && Number.isFinite(p.y));
  const sorted = [...finite].sort((a, b) => a.x - b.x || b.y - a.y);
  const front: T[] = [];
  let bestY = -Infinity;
  let last: T | undefined;
  for (const p of sorted) {
    if (p.y > bestY) {
      front.push(p);
      bestY = p.y;
      last = p;
    } else if (last && p.x === last.x && p.y === last.y) {
      front.push(p);
    }
  }
  return front;
}
