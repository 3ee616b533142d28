/**
 * ONNX TensorProto.DataType → the names onnxruntime's JS API uses (`float32`, `float64`, ...), so
 * that inspection results, ORT tensors and NumPy-derived dataset dtypes compare with `===`.
 * Types ORT's JS API has no name for keep a lowercase form of their ONNX name.
 */
const ELEMENT_TYPE_NAMES: Readonly<Record<number, string>> = {
  0: 'undefined',
  1: 'float32',
  2: 'uint8',
  3: 'int8',
  4: 'uint16',
  5: 'int16',
  6: 'int32',
  7: 'int64',
  8: 'string',
  9: 'bool',
  10: 'float16',
  11: 'float64',
  12: 'uint32',
  13: 'uint64',
  14: 'complex64',
  15: 'complex128',
  16: 'bfloat16',
  17: 'float8e4m3fn',
  18: 'float8e4m3fnuz',
  19: 'float8e5m2',
  20: 'float8e5m2fnuz',
  21: 'uint4',
  22: 'int4',
  23: 'float4e2m1',
};

/** Storage size in bits; strings have no fixed size (0). */
const ELEMENT_BITS: Readonly<Record<number, number>> = {
  1: 32, 2: 8, 3: 8, 4: 16, 5: 16, 6: 32, 7: 64, 8: 0, 9: 8, 10: 16, 11: 64, 12: 32, 13: 64,
  14: 64, 15: 128, 16: 16, 17: 8, 18: 8, 19: 8, 20: 8, 21: 4, 22: 4, 23: 4,
};

export function elementTypeName(dataType: number): string {
  return ELEMENT_TYPE_NAMES[dataType] ?? `unknown(${dataType})`;
}

export function elementBits(dataType: number): number {
  return ELEMENT_BITS[dataType] ?? 0;
}

export const FLOAT_ELEMENT_TYPES: ReadonlySet<number> = new Set([1, 10, 11, 16, 17, 18, 19, 20, 23]);
