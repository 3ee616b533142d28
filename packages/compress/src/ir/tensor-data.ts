import { CompressError } from '../errors.js';
import { int64ToNumber, onnx } from './onnx.js';
import { tensorDims, tensorElementCount } from './tensors.js';

const DT = onnx.TensorProto.DataType;

/** Element storage per ONNX data type; float16 values are kept as their raw IEEE-754 half bits. */
export interface TensorDataMap {
  [DT.FLOAT]: Float32Array;
  [DT.DOUBLE]: Float64Array;
  [DT.FLOAT16]: Uint16Array;
  [DT.INT8]: Int8Array;
  [DT.UINT8]: Uint8Array;
  [DT.INT16]: Int16Array;
  [DT.UINT16]: Uint16Array;
  [DT.INT32]: Int32Array;
  [DT.INT64]: BigInt64Array;
  [DT.BOOL]: Uint8Array;
}
export type SupportedDataType = keyof TensorDataMap & number;
export type TensorArray = TensorDataMap[SupportedDataType];

export interface TensorData<T extends SupportedDataType = SupportedDataType> {
  readonly dataType: T;
  readonly dims: readonly number[];
  readonly data: TensorDataMap[T];
}

const CONSTRUCTORS: { [K in SupportedDataType]: { new (n: number): TensorDataMap[K]; BYTES_PER_ELEMENT: number } } = {
  [DT.FLOAT]: Float32Array,
  [DT.DOUBLE]: Float64Array,
  [DT.FLOAT16]: Uint16Array,
  [DT.INT8]: Int8Array,
  [DT.UINT8]: Uint8Array,
  [DT.INT16]: Int16Array,
  [DT.UINT16]: Uint16Array,
  [DT.INT32]: Int32Array,
  [DT.INT64]: BigInt64Array,
  [DT.BOOL]: Uint8Array,
};

export function isSupportedDataType(dataType: number): dataType is SupportedDataType {
  return dataType in CONSTRUCTORS;
}

function unsupported(tensor: onnx.ITensorProto): CompressError {
  return new CompressError('model/unsupported', 'ir', `tensor "${tensor.name}" has data type ${tensor.dataType}, which the passes do not read`);
}

/**
 * Decodes a tensor's values whichever way they are stored: little-endian `raw_data`, or the typed
 * repeated fields (`float_data`, `int32_data` — which also carries int8/uint8/int16/uint16/bool/float16 —,
 * `int64_data`, `double_data`). External data must be inlined first (see `inlineExternalData`).
 */
export function readTensor(tensor: onnx.ITensorProto): TensorData {
  const dataType = tensor.dataType ?? 0;
  if (!isSupportedDataType(dataType)) throw unsupported(tensor);
  if (tensor.dataLocation === onnx.TensorProto.DataLocation.EXTERNAL) {
    throw new CompressError('model/external_data_unsupported', 'ir', `tensor "${tensor.name}" still points at external data`);
  }
  const dims = tensorDims(tensor);
  const count = tensorElementCount(tensor);
  const Ctor = CONSTRUCTORS[dataType];
  const out = new Ctor(count);
  const raw = tensor.rawData;
  if (raw && raw.length > 0) {
    if (raw.length !== count * Ctor.BYTES_PER_ELEMENT) {
      throw new CompressError('model/not_onnx', 'ir', `tensor "${tensor.name}": raw_data has ${raw.length} bytes, dims ${JSON.stringify(dims)} need ${count * Ctor.BYTES_PER_ELEMENT}`);
    }
    // Copy: raw_data is often a view at an unaligned offset into the file buffer.
    new Uint8Array(out.buffer).set(raw);
    return { dataType, dims, data: out } as TensorData;
  }
  const typed: ArrayLike<number | { toNumber(): number }> | null | undefined =
    dataType === DT.FLOAT
      ? tensor.floatData
      : dataType === DT.DOUBLE
        ? tensor.doubleData
        : dataType === DT.INT64
          ? tensor.int64Data
          : tensor.int32Data;
  const values = typed ?? [];
  if (values.length !== count) {
    throw new CompressError('model/not_onnx', 'ir', `tensor "${tensor.name}" holds ${values.length} values, dims ${JSON.stringify(dims)} need ${count}`);
  }
  if (out instanceof BigInt64Array) {
    for (let i = 0; i < count; i++) out[i] = BigInt(int64ToNumber(values[i] as number));
  } else {
    for (let i = 0; i < count; i++) out[i] = values[i] as number;
  }
  return { dataType, dims, data: out } as TensorData;
}

/** Values of a float32/float16/float64 tensor as float32. */
export function readFloat32(tensor: onnx.ITensorProto): Float32Array {
  const t = readTensor(tensor);
  if (t.dataType === DT.FLOAT) return t.data as Float32Array;
  if (t.dataType === DT.FLOAT16) return float16BitsToFloat32(t.data as Uint16Array);
  if (t.dataType === DT.DOUBLE) return Float32Array.from(t.data as Float64Array);
  throw new CompressError('model/unsupported', 'ir', `tensor "${tensor.name}" is not floating point`);
}

/** Values of an integer tensor (shapes, axes) as plain numbers. */
export function readIntegers(tensor: onnx.ITensorProto): number[] {
  const t = readTensor(tensor);
  if (t.data instanceof BigInt64Array) return Array.from(t.data, (v) => Number(v));
  if (t.dataType === DT.FLOAT || t.dataType === DT.DOUBLE || t.dataType === DT.FLOAT16) {
    throw new CompressError('model/unsupported', 'ir', `tensor "${tensor.name}" is not an integer tensor`);
  }
  return Array.from(t.data as ArrayLike<number>);
}

/** A new initializer-style tensor with its values in raw_data (the compact encoding). */
export function makeTensor<T extends SupportedDataType>(name: string, dataType: T, dims: readonly number[], data: TensorDataMap[T]): onnx.TensorProto {
  const count = dims.reduce((a, d) => a * d, 1);
  if (data.length !== count) throw new Error(`compress/ir: tensor "${name}" has ${data.length} values for dims ${JSON.stringify(dims)}`);
  const bytes = new Uint8Array(data.buffer, data.byteOffset, data.byteLength).slice();
  return onnx.TensorProto.create({ name, dataType, dims: [...dims], rawData: bytes });
}

// ---- IEEE-754 half precision ------------------------------------------------------------------

export const FLOAT16_MAX = 65504;

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

/** Rounds to nearest even; values beyond ±65504 become ±Infinity (clamp first when that matters). */
export function float32ToFloat16Bits(value: number): number {
  f32[0] = value;
  const x = u32[0]!;
  const sign = (x >>> 16) & 0x8000;
  const exp = (x >>> 23) & 0xff;
  let mant = x & 0x7fffff;
  if (exp === 0xff) return sign | 0x7c00 | (mant ? 0x200 : 0); // Inf / NaN
  const e = exp - 127 + 15;
  if (e >= 0x1f) return sign | 0x7c00; // overflow → Inf
  if (e <= 0) {
    if (e < -10) return sign; // underflow → ±0
    // Subnormal half: shift the implicit leading one in, then round to nearest even.
    mant |= 0x800000;
    const shift = 14 - e;
    const halfMant = mant >>> shift;
    const rem = mant & ((1 << shift) - 1);
    const halfway = 1 << (shift - 1);
    const rounded = rem > halfway || (rem === halfway && (halfMant & 1)) ? halfMant + 1 : halfMant;
    return sign | rounded;
  }
  const rem = mant & 0x1fff;
  let half = sign | (e << 10) | (mant >>> 13);
  if (rem > 0x1000 || (rem === 0x1000 && (half & 1))) half += 1; // may carry into the exponent, which is correct
  return half;
}

export function float16BitsToNumber(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >>> 10) & 0x1f;
  const mant = h & 0x3ff;
  if (exp === 0) return sign * mant * 2 ** -24;
  if (exp === 0x1f) return mant ? NaN : sign * Infinity;
  return sign * (1 + mant / 1024) * 2 ** (exp - 15);
}

export function float16BitsToFloat32(bits: Uint16Array): Float32Array {
  const out = new Float32Array(bits.length);
  for (let i = 0; i < bits.length; i++) out[i] = float16BitsToNumber(bits[i]!);
  return out;
}

/**
 * float32 → float16 bits, clamping finite values outside the half range to ±65504 (instead of
 * turning them into infinities) and counting how many were clamped.
 */
export function float32ArrayToFloat16(values: Float32Array): { bits: Uint16Array; clamped: number } {
  const bits = new Uint16Array(values.length);
  let clamped = 0;
  for (let i = 0; i < values.length; i++) {
    let v = values[i]!;
    if (Number.isFinite(v) && Math.abs(v) > FLOAT16_MAX) {
      v = Math.sign(v) * FLOAT16_MAX;
      clamped++;
    }
    bits[i] = float32ToFloat16Bits(v);
  }
  return { bits, clamped };
}
