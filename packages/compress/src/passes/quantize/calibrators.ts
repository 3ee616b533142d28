/**
 * Range estimators for activation tensors. All of them are streaming: they see one batch at a time
 * and keep a fixed amount of state (a min/max pair, or a fixed-bin histogram), whatever the dataset size.
 */

/** How a tensor's quantization range is chosen from the values seen during calibration. */
export type CalibrationMethod = 'minmax' | 'percentile' | 'entropy';

export const DEFAULT_PERCENTILE = 99.99;
export const DEFAULT_HISTOGRAM_BINS = 2048;

/** Running minimum and maximum; NaN values are ignored. */
export class RangeObserver {
  min = Infinity;
  max = -Infinity;
  count = 0;

  observe(values: ArrayLike<number>): void {
    let { min, max } = this;
    for (let i = 0; i < values.length; i++) {
      const v = values[i]!;
      if (v < min) min = v;
      if (v > max) max = v;
    }
    this.min = min;
    this.max = max;
    this.count += values.length;
  }
}

/**
 * A histogram with a fixed range and bin count, decided before the first value (two-pass calibration:
 * pass 1 finds the range, pass 2 fills the histogram). Values outside the range land in the edge bins.
 * With `absolute`, it counts |x| over [0, hi] (TensorRT's entropy calibration works on magnitudes).
 */
export class Histogram {
  readonly counts: Float64Array;
  readonly binWidth: number;
  total = 0;

  constructor(
    readonly lo: number,
    readonly hi: number,
    readonly bins: number = DEFAULT_HISTOGRAM_BINS,
    readonly absolute = false,
  ) {
    if (!(bins >= 1) || !Number.isInteger(bins)) throw new RangeError(`bins must be a positive integer, got ${bins}`);
    if (!(hi >= lo)) throw new RangeError(`histogram range [${lo}, ${hi}] is empty`);
    this.counts = new Float64Array(bins);
    this.binWidth = hi > lo ? (hi - lo) / bins : 0;
  }

  observe(values: ArrayLike<number>): void {
    const { counts, lo, bins, absolute } = this;
    const last = bins - 1;
    if (this.binWidth === 0) {
      counts[0]! += values.length;
      this.total += values.length;
      return;
    }
    const inv = 1 / this.binWidth;
    let seen = 0;
    for (let i = 0; i < values.length; i++) {
      let v = values[i]!;
      if (v !== v) continue; // NaN
      if (absolute && v < 0) v = -v;
      let b = Math.floor((v - lo) * inv);
      if (b < 0) b = 0;
      else if (b > last) b = last;
      counts[b]! += 1;
      seen++;
    }
    this.total += seen;
  }

  /** The value below which `q` (0..1) of the observations lie, interpolated inside the bin. */
  quantile(q: number): number {
    if (this.total === 0) return this.lo;
    const target = Math.min(1, Math.max(0, q)) * this.total;
    let cumulative = 0;
    for (let b = 0; b < this.bins; b++) {
      const c = this.counts[b]!;
      if (cumulative + c >= target && c > 0) {
        const within = (target - cumulative) / c;
        return this.lo + (b + within) * this.binWidth;
      }
      cumulative += c;
    }
    return this.hi;
  }
}

/**
 * Percentile range: cuts (100 − percentile)% of the observations on each side, so
 * percentile 99.99 keeps the values between the 0.01th and the 99.99th percentiles.
 * The result never leaves the observed [min, max].
 */
export function percentileRange(histogram: Histogram, percentile: number, observed: { min: number; max: number }): [number, number] {
  const tail = (100 - percentile) / 100;
  const lo = Math.max(observed.min, histogram.quantile(tail));
  const hi = Math.min(observed.max, histogram.quantile(1 - tail));
  return [Math.min(lo, hi), Math.max(lo, hi)];
}

/**
 * TensorRT-style entropy calibration: over a histogram of |x|, picks the clipping threshold whose
 * quantized distribution (`levels` bins between 0 and the threshold) has the smallest KL divergence
 * from the reference distribution, where values beyond the threshold are clipped into the last bin.
 * Heavy tails get clipped; a bounded, dense distribution keeps (close to) its maximum.
 *
 * @param levels quantization levels available on the positive side: 128 for a signed tensor quantized
 *   to 8 bits, 256 for a non-negative one (uint8 with zero point 0).
 * @see https://on-demand.gputechconf.com/gtc/2017/presentation/s7310-8-bit-inference-with-tensorrt.pdf
 */
export function entropyThreshold(histogram: Histogram, levels: number): number {
  const { bins, binWidth } = histogram;
  if (histogram.total === 0 || binWidth === 0) return histogram.hi;
  if (bins <= levels) return histogram.hi;
  // The spike of exact zeros (ReLU outputs, padding) would dominate the divergence and drag the
  // threshold down; like NVIDIA's pytorch-quantization, give bin 0 the count of bin 1.
  const counts = Float64Array.from(histogram.counts);
  counts[0] = counts[1]!;
  // Past the last non-empty bin, every candidate gives the same P and Q.
  let lastNonEmpty = bins - 1;
  while (lastNonEmpty > 0 && counts[lastNonEmpty] === 0) lastNonEmpty--;
  const end = Math.max(levels, lastNonEmpty + 1);

  // Mass at or beyond each bin, for the outliers a candidate threshold clips.
  const beyond = new Float64Array(bins + 1);
  for (let b = bins - 1; b >= 0; b--) beyond[b] = beyond[b + 1]! + counts[b]!;

  const p = new Float64Array(bins);
  const q = new Float64Array(bins);
  let best = end;
  let bestDivergence = Infinity;
  // Candidates every `stride` bins (the last one always tried): ~256 thresholds per tensor keeps
  // the search cheap, each costing O(bins).
  const stride = Math.max(1, Math.floor((end - levels) / MAX_CANDIDATES));
  for (let i = levels; i <= end; i = i === end ? end + 1 : Math.min(end, i + stride)) {
    // Reference: the first i bins, with everything beyond folded into bin i − 1.
    for (let b = 0; b < i; b++) p[b] = counts[b]!;
    p[i - 1]! += beyond[i]!;
    // Candidate: the first i bins (outliers excluded) merged into `levels` groups, each group's mass
    // spread evenly over the bins that are non-empty in the reference.
    for (let j = 0; j < levels; j++) {
      const start = Math.floor((j * i) / levels);
      const stop = Math.floor(((j + 1) * i) / levels);
      let sum = 0;
      let nonEmpty = 0;
      for (let b = start; b < stop; b++) {
        sum += counts[b]!;
        if (p[b]! > 0) nonEmpty++;
      }
      const share = nonEmpty > 0 ? sum / nonEmpty : 0;
      for (let b = start; b < stop; b++) q[b] = p[b]! > 0 ? share : 0;
    }
    const divergence = smoothedKl(p, q, i);
    if (divergence < bestDivergence) {
      bestDivergence = divergence;
      best = i;
    }
  }
  return Math.min(histogram.hi, histogram.lo + best * binWidth);
}

const SMOOTHING = 1e-4;
const MAX_CANDIDATES = 256;

/**
 * KL(p‖q) over the first n bins of two count vectors, after smoothing as TensorRT and onnxruntime do:
 * each empty bin gets ε counts, taken evenly from the non-empty ones (so the totals do not change).
 * Allocation-free: it runs once per candidate threshold.
 */
function smoothedKl(p: Float64Array, q: Float64Array, n: number): number {
  const pStats = stats(p, n);
  const qStats = stats(q, n);
  if (!pStats || !qStats) return Infinity;
  const pTake = (SMOOTHING * pStats.zeros) / (n - pStats.zeros);
  const qTake = (SMOOTHING * qStats.zeros) / (n - qStats.zeros);
  let kl = 0;
  for (let b = 0; b < n; b++) {
    const pv = p[b]!;
    const qv = q[b]!;
    const pb = (pv === 0 ? SMOOTHING : pv - pTake) / pStats.total;
    const qb = (qv === 0 ? SMOOTHING : qv - qTake) / qStats.total;
    if (pb > 0 && qb > 0) kl += pb * Math.log(pb / qb);
    else if (pb > 0) return Infinity;
  }
  return kl;
}

function stats(values: Float64Array, n: number): { total: number; zeros: number } | undefined {
  let total = 0;
  let zeros = 0;
  for (let b = 0; b < n; b++) {
    total += values[b]!;
    if (values[b] === 0) zeros++;
  }
  return total === 0 || zeros === n ? undefined : { total, zeros };
}
