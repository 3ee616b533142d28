/**
 * Pure metric helpers shared by `evaluate` and the quantization sensitivity analysis. Rows are
 * flat, row-major views (`rows × cols`); nothing here allocates per element or touches onnxruntime.
 */

/** Scores for `argmax`/`topK`: NaN ranks above every number, as in NumPy's `argmax`. */
function ranksAbove(x: number, y: number): boolean {
  return x > y || (Number.isNaN(x) && !Number.isNaN(y));
}

/**
 * Index of the largest value; ties go to the first index, NaN counts as the largest (NumPy's
 * `argmax`). Returns -1 for an empty row.
 */
export function argmax(row: ArrayLike<number>): number {
  if (row.length === 0) return -1;
  let best = 0;
  for (let i = 1; i < row.length; i += 1) if (ranksAbove(row[i]!, row[best]!)) best = i;
  return best;
}

/**
 * Indices of the `k` largest values, largest first; ties keep index order and NaN ranks highest,
 * so `topK(row, 1)[0] === argmax(row)`. Returns fewer than `k` when the row is shorter.
 */
export function topK(row: ArrayLike<number>, k: number): number[] {
  if (!Number.isSafeInteger(k) || k < 0) throw new RangeError(`k must be a non-negative integer, got ${k}`);
  const best: number[] = [];
  const limit = Math.min(k, row.length);
  if (limit === 0) return best;
  for (let i = 0; i < row.length; i += 1) {
    const value = row[i]!;
    if (best.length === limit && !ranksAbove(value, row[best[limit - 1]!]!)) continue;
    // Insertion into a list of at most k entries: k is tiny (5) next to the row length.
    let at = best.length === limit ? limit - 1 : best.length;
    while (at > 0 && ranksAbove(value, row[best[at - 1]!]!)) {
      best[at] = best[at - 1]!;
      at -= 1;
    }
    best[at] = i;
  }
  return best;
}

/**
 * Cosine similarity, accumulated in float64. Two all-zero rows are identical (1); one all-zero
 * row against a non-zero one gives 0. Identical non-zero rows give exactly 1, because the norm is
 * taken as `sqrt(|a|²·|b|²)` and IEEE square roots of exact squares are exact.
 */
export function cosine(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new RangeError(`cosine needs rows of equal length, got ${a.length} and ${b.length}`);
  let dot = 0;
  let aa = 0;
  let bb = 0;
  for (let i = 0; i < a.length; i += 1) {
    const x = a[i]!;
    const y = b[i]!;
    dot += x * y;
    aa += x * x;
    bb += y * y;
  }
  if (aa === 0 || bb === 0) return aa === bb ? 1 : 0;
  const value = dot / Math.sqrt(aa * bb);
  return Number.isNaN(value) ? value : Math.max(-1, Math.min(1, value));
}

/**
 * The `p`-th percentile (0–100) of ascending `sorted` values, interpolating linearly between the
 * two nearest ranks (NumPy's default `linear` method): `percentile(s, 50)` is the median.
 */
export function percentile(sorted: ArrayLike<number>, p: number): number {
  if (sorted.length === 0) throw new RangeError('percentile of an empty list');
  if (!(p >= 0 && p <= 100)) throw new RangeError(`percentile p must be within 0..100, got ${p}`);
  const rank = (p / 100) * (sorted.length - 1);
  const low = Math.floor(rank);
  const high = Math.min(low + 1, sorted.length - 1);
  const weight = rank - low;
  return weight === 0 ? sorted[low]! : sorted[low]! + (sorted[high]! - sorted[low]!) * weight;
}

export interface FidelityResult {
  /** Share of samples whose argmax agrees with the reference's. */
  top1Agreement: number;
  /** Mean over samples of the cosine between candidate and reference rows. */
  meanCosine: number;
  /** Largest |candidate − reference| over every element; NaN on one side only counts as Infinity. */
  maxAbsDiff: number;
  samples: number;
}

/** Candidate-vs-reference agreement, fed one batch at a time. Each row is one sample. */
export class FidelityAccumulator {
  private samples = 0;
  private agreeing = 0;
  private cosineSum = 0;
  private maxAbsDiff = 0;

  add(candidate: ArrayLike<number> & Slicable, reference: ArrayLike<number> & Slicable, rows: number, cols: number): this {
    checkBlock('candidate', candidate, rows, cols);
    checkBlock('reference', reference, rows, cols);
    for (let r = 0; r < rows; r += 1) {
      const a = candidate.subarray(r * cols, (r + 1) * cols);
      const b = reference.subarray(r * cols, (r + 1) * cols);
      if (argmax(a) === argmax(b)) this.agreeing += 1;
      this.cosineSum += cosine(a, b);
      for (let i = 0; i < cols; i += 1) {
        const x = a[i]!;
        const y = b[i]!;
        let diff = Math.abs(x - y);
        if (Number.isNaN(diff)) diff = Number.isNaN(x) && Number.isNaN(y) ? 0 : x === y ? 0 : Infinity;
        if (diff > this.maxAbsDiff) this.maxAbsDiff = diff;
      }
    }
    this.samples += rows;
    return this;
  }

  /** Ratios are NaN until a row has been added. */
  result(): FidelityResult {
    return {
      top1Agreement: this.agreeing / this.samples,
      meanCosine: this.cosineSum / this.samples,
      maxAbsDiff: this.samples === 0 ? NaN : this.maxAbsDiff,
      samples: this.samples,
    };
  }
}

export interface AccuracyResult {
  top1: number;
  /** null when the output has 5 or fewer classes, where top-5 would always be right. */
  top5: number | null;
  /** Samples with a label ≥ 0 (negative labels mark unlabeled samples and are skipped). */
  labeled: number;
  top1Correct: number;
  top5Correct: number | null;
  /** How often each class was predicted (argmax), over every sample including unlabeled ones. */
  predictions: number[];
}

const TOP_K = 5;

/** Top-1/top-5 accuracy against integer labels, fed one batch at a time. */
export class AccuracyAccumulator {
  private labeled = 0;
  private top1Correct = 0;
  private top5Correct = 0;
  private classes = 0;
  private readonly predictions: number[] = [];

  add(output: ArrayLike<number> & Slicable, rows: number, cols: number, labels: ArrayLike<number | bigint>): this {
    checkBlock('output', output, rows, cols);
    if (labels.length < rows) throw new RangeError(`need ${rows} labels, got ${labels.length}`);
    this.classes = Math.max(this.classes, cols);
    for (let r = 0; r < rows; r += 1) {
      const row = output.subarray(r * cols, (r + 1) * cols);
      const predicted = argmax(row);
      this.predictions[predicted] = (this.predictions[predicted] ?? 0) + 1;
      const label = Number(labels[r]!);
      if (!(label >= 0)) continue;
      this.labeled += 1;
      if (predicted === label) this.top1Correct += 1;
      if (cols > TOP_K && topK(row, TOP_K).includes(label)) this.top5Correct += 1;
    }
    return this;
  }

  /** Ratios are NaN while nothing labeled has been added. */
  result(): AccuracyResult {
    const hasTop5 = this.classes > TOP_K;
    return {
      top1: this.top1Correct / this.labeled,
      top5: hasTop5 ? this.top5Correct / this.labeled : null,
      labeled: this.labeled,
      top1Correct: this.top1Correct,
      top5Correct: hasTop5 ? this.top5Correct : null,
      predictions: Array.from({ length: Math.max(this.classes, this.predictions.length) }, (_, i) => this.predictions[i] ?? 0),
    };
  }
}

/** Typed arrays (and anything else with a cheap `subarray`). */
export interface Slicable {
  subarray(begin: number, end: number): ArrayLike<number>;
}

function checkBlock(what: string, data: ArrayLike<number>, rows: number, cols: number): void {
  if (!Number.isSafeInteger(rows) || !Number.isSafeInteger(cols) || rows < 0 || cols < 1) {
    throw new RangeError(`${what}: rows/cols must be integers (rows ≥ 0, cols ≥ 1), got ${rows}×${cols}`);
  }
  if (data.length < rows * cols) throw new RangeError(`${what}: ${rows}×${cols} needs ${rows * cols} values, got ${data.length}`);
}
