/** A point to compare: smaller bytes and latency are better, larger quality is better. */
export interface ParetoPoint {
  readonly id: string;
  readonly bytes: number;
  readonly latencyMs: number;
  /** Accuracy where labels exist, else fidelity (top-1 agreement): higher is better. */
  readonly quality: number;
}

function dominates(a: ParetoPoint, b: ParetoPoint): boolean {
  const noWorse = a.bytes <= b.bytes && a.latencyMs <= b.latencyMs && a.quality >= b.quality;
  const better = a.bytes < b.bytes || a.latencyMs < b.latencyMs || a.quality > b.quality;
  return noWorse && better;
}

/** Ids of the points no other point dominates (size × latency × quality), in input order. */
export function paretoFront(points: readonly ParetoPoint[]): string[] {
  return points.filter((p) => !points.some((q) => q !== p && dominates(q, p))).map((p) => p.id);
}
