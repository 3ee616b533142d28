import { elementBits } from './element-types.js';
import { int64ToNumber, onnx } from './onnx.js';

export function tensorDims(tensor: onnx.ITensorProto): number[] {
  return (tensor.dims ?? []).map(int64ToNumber);
}

/** Scalars (no dims) hold one element. */
export function tensorElementCount(tensor: onnx.ITensorProto): number {
  return tensorDims(tensor).reduce((acc, dim) => acc * dim, 1);
}

/**
 * Payload size of the tensor's values, however they are stored (raw_data, typed fields or an
 * external file): strings count their UTF-8 bytes, everything else element count × element size.
 */
export function tensorPayloadBytes(tensor: onnx.ITensorProto): number {
  const dataType = tensor.dataType ?? 0;
  if (dataType === onnx.TensorProto.DataType.STRING) {
    return (tensor.stringData ?? []).reduce((acc, s) => acc + s.length, 0);
  }
  return Math.ceil((tensorElementCount(tensor) * elementBits(dataType)) / 8);
}

export function isExternalTensor(tensor: onnx.ITensorProto): boolean {
  return tensor.dataLocation === onnx.TensorProto.DataLocation.EXTERNAL;
}
