import { CompressError } from '../errors.js';
import { float32ToFloat16Bits } from '../ir/tensor-data.js';
import { concreteShape, type TensorInfo } from '../ir/tensor-info.js';
import { allocateHostArray, isHostElementType, type HostArray, type HostElementType, type HostTensor } from './host-tensor.js';

/** A model input a generator can fill: a known rank ≥ 1 (axis 0 = samples) and a numeric type. */
export interface SyntheticInputSpec {
  name: string;
  type: HostElementType;
  /** Dims of one sample (axis 0 dropped); symbolic or unknown dims are 1. */
  sampleDims: number[];
}

/**
 * Checks that every input can be synthesized and returns its per-sample spec, or throws
 * `eval/unsupported_model` naming the input that cannot.
 */
export function syntheticSpecs(inputs: readonly TensorInfo[]): SyntheticInputSpec[] {
  return inputs.map((input) => {
    if (!isHostElementType(input.elemType)) {
      throw new CompressError('eval/unsupported_model', 'eval', `cannot synthesize input "${input.name}" of type ${input.elemType}`);
    }
    if (input.shape === null || input.shape.length === 0) {
      throw new CompressError(
        'eval/unsupported_model',
        'eval',
        `cannot synthesize input "${input.name}": it needs a known rank with a sample axis (axis 0), got ${input.shape === null ? 'no shape' : 'a scalar'}`,
      );
    }
    return { name: input.name, type: input.elemType, sampleDims: concreteShape(input.shape).slice(1) };
  });
}

/**
 * `n` deterministic pseudo-random samples per input, shaped `[n, ...dims]` with symbolic dims set
 * to 1. Sample `i` depends only on `(seed, i)`, so any batching of the same samples sees the same
 * values. Distributions: floats uniform in [0, 1) (the range of pixel/255 inputs), uint8 and int8
 * over their full range, bool 0/1, other integers 0 or 1 (safe as indices, masks and ids).
 */
export function syntheticInputs(inputs: readonly TensorInfo[], n: number, seed: number): Record<string, HostTensor> {
  return syntheticBatch(syntheticSpecs(inputs), 0, n, seed);
}

/**
 * Samples `start … start+count-1` of the synthetic stream for `seed`, with axis 0 padded with
 * zero rows up to `padTo` (for fixed-batch models).
 */
export function syntheticBatch(
  specs: readonly SyntheticInputSpec[],
  start: number,
  count: number,
  seed: number,
  padTo: number = count,
): Record<string, HostTensor> {
  if (!Number.isSafeInteger(count) || count < 0) throw new RangeError(`sample count must be a non-negative integer, got ${count}`);
  if (!Number.isSafeInteger(seed)) throw new RangeError(`seed must be an integer, got ${seed}`);
  const feeds: Record<string, HostTensor> = {};
  const perSample = specs.map((spec) => spec.sampleDims.reduce((a, d) => a * d, 1));
  const arrays = specs.map((spec, i) => allocateHostArray(spec.type, Math.max(padTo, count) * perSample[i]!));
  for (let s = 0; s < count; s += 1) {
    const random = mulberry32(sampleSeed(seed, start + s));
    specs.forEach((spec, i) => fill(arrays[i]!, spec.type, s * perSample[i]!, perSample[i]!, random));
  }
  specs.forEach((spec, i) => {
    feeds[spec.name] = { type: spec.type, dims: [Math.max(padTo, count), ...spec.sampleDims], data: arrays[i]! };
  });
  return feeds;
}

function fill(target: HostArray, type: HostElementType, offset: number, length: number, random: () => number): void {
  const end = offset + length;
  switch (type) {
    case 'float32':
    case 'float64':
      for (let i = offset; i < end; i += 1) (target as Float32Array)[i] = random();
      return;
    case 'float16':
      for (let i = offset; i < end; i += 1) (target as Uint16Array)[i] = float32ToFloat16Bits(random());
      return;
    case 'uint8':
      for (let i = offset; i < end; i += 1) (target as Uint8Array)[i] = Math.floor(random() * 256);
      return;
    case 'int8':
      for (let i = offset; i < end; i += 1) (target as Int8Array)[i] = Math.floor(random() * 256) - 128;
      return;
    case 'int64':
    case 'uint64':
      for (let i = offset; i < end; i += 1) (target as BigInt64Array)[i] = random() < 0.5 ? 0n : 1n;
      return;
    case 'bool':
    case 'int16':
    case 'uint16':
    case 'int32':
    case 'uint32':
      for (let i = offset; i < end; i += 1) (target as Int32Array)[i] = random() < 0.5 ? 0 : 1;
      return;
  }
}

/** murmur3's 32-bit finalizer over (seed, index): decorrelates neighbouring samples and seeds. */
function sampleSeed(seed: number, index: number): number {
  let h = (Math.imul(seed | 0, 0x9e3779b1) ^ Math.imul(index + 1, 0x85ebca6b) ^ Math.floor(seed / 2 ** 32)) >>> 0;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** mulberry32: a tiny, fast 32-bit PRNG, good enough for test inputs (not for cryptography). */
export function mulberry32(state: number): () => number {
  let a = state >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
