import { elementTypeName } from './element-types.js';
import { int64ToNumber, type onnx } from './onnx.js';

/** A dimension: a fixed size, a named symbolic size (`dim_param`), or null when unknown. */
export type Dim = number | string | null;

export interface TensorInfo {
  name: string;
  /** ORT-style element type (`float32`, `int64`, ...); non-tensor values read e.g. `sequence<float32>`. */
  elemType: string;
  /** null when the rank itself is unknown (no shape recorded) or the value is not a tensor. */
  shape: Dim[] | null;
}

export function describeValueInfo(info: onnx.IValueInfoProto): TensorInfo {
  const type = info.type ?? undefined;
  return { name: info.name ?? '', elemType: describeType(type), shape: tensorShape(type) };
}

function tensorShape(type: onnx.ITypeProto | undefined): Dim[] | null {
  const shape = type?.tensorType?.shape;
  if (!type?.tensorType || !shape) return null;
  return (shape.dim ?? []).map((dim) => {
    // proto3 oneof: which member is set is recorded by presence, and dim_value 0 is a real size.
    if (dim.dimValue !== undefined && dim.dimValue !== null) return int64ToNumber(dim.dimValue);
    if (dim.dimParam) return dim.dimParam;
    return null;
  });
}

function describeType(type: onnx.ITypeProto | undefined): string {
  if (!type) return 'undefined';
  if (type.tensorType) return elementTypeName(type.tensorType.elemType ?? 0);
  if (type.sparseTensorType) return `sparse<${elementTypeName(type.sparseTensorType.elemType ?? 0)}>`;
  if (type.sequenceType) return `sequence<${describeType(type.sequenceType.elemType ?? undefined)}>`;
  if (type.optionalType) return `optional<${describeType(type.optionalType.elemType ?? undefined)}>`;
  if (type.mapType) {
    const key = elementTypeName(type.mapType.keyType ?? 0);
    return `map<${key},${describeType(type.mapType.valueType ?? undefined)}>`;
  }
  return 'undefined';
}

/** Fixed dims stay, everything symbolic or unknown becomes 1: the smallest runnable instance. */
export function concreteShape(shape: readonly Dim[]): number[] {
  return shape.map((dim) => (typeof dim === 'number' ? dim : 1));
}
