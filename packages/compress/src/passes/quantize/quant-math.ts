import { CompressError } from '../../errors.js';
import { FLOAT16_MAX, float16BitsToNumber, float32ToFloat16Bits } from '../../ir/tensor-data.js';

/** Integer element type of a quantized activation tensor. */
export type ActivationType = 'uint8' | 'int8';

/** A scale and zero point for one tensor (per-tensor) — what QuantizeLinear/DequantizeLinear take. */
export interface QuantParams {
  readonly scale: number;
  readonly zeroPoint: number;
  readonly type: ActivationType;
}

const INT8_MIN = -128;
const INT8_MAX = 127;
const INT32_MAX = 2 ** 31 - 1;

export function typeRange(type: ActivationType): { qmin: number; qmax: number } {
  return type === 'uint8' ? { qmin: 0, qmax: 255 } : { qmin: INT8_MIN, qmax: INT8_MAX };
}

/**
 * Asymmetric (affine) parameters for a float range, the way onnxruntime computes them: the range is
 * first widened to include 0 (zero must be exactly representable: padding, ReLU), a degenerate range
 * gets scale 1, and the zero point is rounded and clamped into the type's range.
 */
export function affineParams(rmin: number, rmax: number, type: ActivationType): QuantParams {
  if (!Number.isFinite(rmin) || !Number.isFinite(rmax) || rmin > rmax) {
    throw new CompressError('pass/refused', 'quantize', `cannot quantize the range [${rmin}, ${rmax}]`);
  }
  const lo = Math.min(rmin, 0);
  const hi = Math.max(rmax, 0);
  const { qmin, qmax } = typeRange(type);
  if (hi === lo) return { scale: 1, zeroPoint: 0, type };
  const scale = Math.fround((hi - lo) / (qmax - qmin));
  const zeroPoint = Math.min(qmax, Math.max(qmin, Math.round(qmin - lo / scale)));
  return { scale, zeroPoint, type };
}

export function quantizeValue(x: number, params: QuantParams): number {
  const { qmin, qmax } = typeRange(params.type);
  return Math.min(qmax, Math.max(qmin, roundHalfEven(x / params.scale) + params.zeroPoint));
}

export function dequantizeValue(q: number, params: QuantParams): number {
  return (q - params.zeroPoint) * params.scale;
}

/** Round half to even, as QuantizeLinear specifies. */
export function roundHalfEven(x: number): number {
  const r = Math.round(x);
  return Math.abs(x % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/** The float interval a tensor's quantization grid can represent. */
export function representableRange(params: QuantParams): { min: number; max: number } {
  const { qmin, qmax } = typeRange(params.type);
  return { min: (qmin - params.zeroPoint) * params.scale, max: (qmax - params.zeroPoint) * params.scale };
}

export interface QuantizedWeights {
  /** int8 values in the weight's own layout. */
  readonly values: Int8Array;
  /** One scale per slice along `axis`, or a single scale when per-tensor. */
  readonly scales: Float32Array;
  /** The axis the scales run along; undefined for per-tensor. */
  readonly axis: number | undefined;
  /**
   * When set, every scale × 2^float16Exponent is exactly a normal float16 value: the scales can be
   * stored in half the bytes and restored exactly (cast, then multiply by 2^−float16Exponent).
   */
  readonly float16Exponent: number | null;
}

export interface WeightQuantizeOptions {
  /**
   * Lower bound per slice for the scale (e.g. so that an int32 bias stays in range: the bias scale is
   * inputScale × weightScale). A single value applies to every slice.
   */
  readonly minScales?: ArrayLike<number>;
  /**
   * Round every scale up to a value float16 holds exactly (after a power-of-two shift common to the
   * tensor that brings the scales into float16's normal range), so the scales can be stored in half
   * the bytes. Values are quantized with the rounded scale, so nothing is lost beyond a scale at most
   * 0.05% larger. Scales spanning more than float16's range stay float32 (`float16Exponent` null).
   */
  readonly float16Scales?: boolean;
}

/**
 * Symmetric int8 quantization of a constant weight, per slice along `axis` (per output channel) or
 * per tensor when `axis` is undefined. Every value dequantizes to within scale/2 of the original.
 */
export function quantizeWeights(data: Float32Array, dims: readonly number[], axis: number | undefined, options: WeightQuantizeOptions = {}): QuantizedWeights {
  const values = new Int8Array(data.length);
  const { outer, channels, inner } = axis === undefined ? { outer: 1, channels: 1, inner: data.length } : splitAxis(dims, axis);
  const absMax = new Float64Array(channels);
  forEachChannel(outer, channels, inner, (i, c) => {
    absMax[c] = Math.max(absMax[c]!, Math.abs(data[i]!));
  });
  const minScales = options.minScales;
  const floorOf = (c: number) => (minScales ? minScales[minScales.length === 1 ? 0 : c]! : 0);
  let scales = Float32Array.from(absMax, (m, c) => Math.fround(Math.max(m / INT8_MAX, floorOf(c))));
  // An all-zero channel quantizes to zeros whatever its scale: reuse a scale of the tensor's range.
  const smallest = Math.min(...Array.from(scales).filter((x) => x > 0));
  scales = scales.map((x) => (x > 0 ? x : Number.isFinite(smallest) ? smallest : 1));
  let float16Exponent: number | null = null;
  if (options.float16Scales) {
    float16Exponent = float16Exponent_(scales);
    if (float16Exponent !== null) {
      const k = float16Exponent;
      scales = scales.map((x) => float16AtLeast(x * 2 ** k) * 2 ** -k);
    }
  }
  forEachChannel(outer, channels, inner, (i, c) => {
    values[i] = clampInt8(roundHalfEven(data[i]! / scales[c]!));
  });
  return { values, scales, axis, float16Exponent };
}

const FLOAT16_MIN_NORMAL = 2 ** -14;

/** A power of two k such that every scale × 2^k is a normal float16 with room to round up, or null. */
function float16Exponent_(scales: Float32Array): number | null {
  const min = Math.min(...scales);
  const max = Math.max(...scales);
  const low = Math.ceil(Math.log2(FLOAT16_MIN_NORMAL / min));
  const high = Math.floor(Math.log2(FLOAT16_MAX / 2 / max));
  if (low > high) return null;
  return low > 0 ? low : high < 0 ? high : 0;
}

/** The smallest float16 value ≥ x (x > 0), as a number. */
export function float16AtLeast(x: number): number {
  let bits = float32ToFloat16Bits(x);
  if (float16BitsToNumber(bits) < x) bits += 1;
  return float16BitsToNumber(bits);
}

/** Largest |w − q·scale| / scale over a tensor: at most 0.5 (round to nearest), in units of each value's own scale. */
export function weightErrorInScales(data: Float32Array, weights: QuantizedWeights, dims: readonly number[]): number {
  const dequantized = dequantizeWeights(weights, dims);
  let worst = 0;
  const inner = weights.axis === undefined ? data.length : dims.slice(weights.axis + 1).reduce((a, d) => a * d, 1);
  const channels = weights.axis === undefined ? 1 : dims[weights.axis]!;
  for (let i = 0; i < data.length; i++) {
    const scale = weights.scales[weights.axis === undefined ? 0 : Math.floor(i / inner) % channels]!;
    worst = Math.max(worst, Math.abs(data[i]! - dequantized[i]!) / scale);
  }
  return worst;
}

/** Float values of quantized weights (for checks and for fidelity simulation). */
export function dequantizeWeights(weights: QuantizedWeights, dims: readonly number[]): Float32Array {
  const out = new Float32Array(weights.values.length);
  if (weights.axis === undefined) {
    const s = weights.scales[0]!;
    for (let i = 0; i < out.length; i++) out[i] = weights.values[i]! * s;
    return out;
  }
  const { outer, channels, inner } = splitAxis(dims, weights.axis);
  forEachChannel(outer, channels, inner, (i, c) => {
    out[i] = weights.values[i]! * weights.scales[c]!;
  });
  return out;
}

/**
 * int32 bias with scale inputScale × weightScale[c] and zero point 0 — the layout QLinearConv/QGemm
 * expect, so onnxruntime fuses the bias DequantizeLinear. Values beyond int32 are clamped (counted).
 */
export function quantizeBias(bias: Float32Array, inputScale: number, weightScales: Float32Array): { values: Int32Array; scales: Float32Array; clamped: number } {
  const values = new Int32Array(bias.length);
  const scales = new Float32Array(bias.length);
  let clamped = 0;
  for (let c = 0; c < bias.length; c++) {
    const scale = Math.fround(inputScale * weightScales[weightScales.length === 1 ? 0 : c]!);
    scales[c] = scale;
    const q = roundHalfEven(bias[c]! / scale);
    if (Math.abs(q) > INT32_MAX) clamped++;
    values[c] = Math.max(-INT32_MAX, Math.min(INT32_MAX, q));
  }
  return { values, scales, clamped };
}

function clampInt8(v: number): number {
  return Math.max(-INT8_MAX, Math.min(INT8_MAX, v));
}

function splitAxis(dims: readonly number[], axis: number): { outer: number; channels: number; inner: number } {
  if (axis < 0 || axis >= dims.length) throw new RangeError(`axis ${axis} is outside dims ${JSON.stringify(dims)}`);
  const outer = dims.slice(0, axis).reduce((a, d) => a * d, 1);
  const inner = dims.slice(axis + 1).reduce((a, d) => a * d, 1);
  return { outer, channels: dims[axis]!, inner };
}

function forEachChannel(outer: number, channels: number, inner: number, visit: (index: number, channel: number) => void): void {
  let i = 0;
  for (let o = 0; o < outer; o++) {
    for (let c = 0; c < channels; c++) {
      for (let k = 0; k < inner; k++) visit(i++, c);
    }
  }
}
