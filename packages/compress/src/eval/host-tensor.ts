import { float16BitsToFloat32 } from '../ir/tensor-data.js';

/** Element types the evaluator can synthesize, feed and read back (ORT-JS names). */
export type HostElementType =
  | 'float32'
  | 'float64'
  | 'float16'
  | 'int8'
  | 'uint8'
  | 'int16'
  | 'uint16'
  | 'int32'
  | 'uint32'
  | 'int64'
  | 'uint64'
  | 'bool';

/** Storage per element type; float16 travels as raw IEEE half bits, bool as 0/1 bytes (as ORT-JS expects). */
export interface HostArrayMap {
  float32: Float32Array;
  float64: Float64Array;
  float16: Uint16Array;
  int8: Int8Array;
  uint8: Uint8Array;
  int16: Int16Array;
  uint16: Uint16Array;
  int32: Int32Array;
  uint32: Uint32Array;
  int64: BigInt64Array;
  uint64: BigUint64Array;
  bool: Uint8Array;
}
export type HostArray = HostArrayMap[HostElementType];

/** A tensor in plain JS memory, independent of onnxruntime; axis 0 is the sample axis. */
export interface HostTensor<T extends HostElementType = HostElementType> {
  readonly type: T;
  readonly dims: readonly number[];
  readonly data: HostArrayMap[T];
}

const CONSTRUCTORS: { readonly [K in HostElementType]: new (length: number) => HostArrayMap[K] } = {
  float32: Float32Array,
  float64: Float64Array,
  float16: Uint16Array,
  int8: Int8Array,
  uint8: Uint8Array,
  int16: Int16Array,
  uint16: Uint16Array,
  int32: Int32Array,
  uint32: Uint32Array,
  int64: BigInt64Array,
  uint64: BigUint64Array,
  bool: Uint8Array,
};

export function isHostElementType(type: string): type is HostElementType {
  return Object.hasOwn(CONSTRUCTORS, type);
}

export function allocateHostArray<T extends HostElementType>(type: T, length: number): HostArrayMap[T] {
  return new CONSTRUCTORS[type](length);
}

export function elementsPerSample(dims: readonly number[]): number {
  return dims.slice(1).reduce((acc, dim) => acc * dim, 1);
}

/**
 * `rows` samples of `tensor` as a new tensor with axis 0 = `padTo ?? rows`; rows past the source
 * are zero. Always copies, so the result owns a whole, aligned buffer.
 */
export function takeRows(tensor: HostTensor, rows: number, padTo: number = rows): HostTensor {
  const per = elementsPerSample(tensor.dims);
  const out = allocateHostArray(tensor.type, padTo * per);
  (out as { set(src: ArrayLike<number | bigint>): void }).set(tensor.data.subarray(0, rows * per));
  return { type: tensor.type, dims: [padTo, ...tensor.dims.slice(1)], data: out };
}

/**
 * The first `count` elements as floating-point numbers for metrics: float32/float64 stay as they
 * are (a view, no copy), float16 is decoded, integer and bool types become float64.
 */
export function toFloatArray(type: string, data: unknown, count: number): Float32Array | Float64Array | undefined {
  if (data instanceof Float32Array && type === 'float32') return data.subarray(0, count);
  if (data instanceof Float64Array) return data.subarray(0, count);
  if (type === 'float16' && data instanceof Uint16Array) return float16BitsToFloat32(data.subarray(0, count));
  if (data instanceof BigInt64Array || data instanceof BigUint64Array) return Float64Array.from(data.subarray(0, count), Number);
  if (ArrayBuffer.isView(data) && !(data instanceof DataView) && type !== 'string' && type !== 'float16') {
    return Float64Array.from((data as unknown as Int32Array).subarray(0, count));
  }
  return undefined;
}
