import onnxProto from 'onnx-proto';

/** The generated protobufjs namespace (ONNX 1.10 schema); a CommonJS module, hence the default import. */
export import onnx = onnxProto.onnx;

/** int64 proto fields decode to `Long` objects (the `long` package is installed) or plain numbers. */
export type Int64Like = number | { toNumber(): number };

/** Exact up to 2^53; ONNX dims, versions and counts never get near that. */
export function int64ToNumber(value: Int64Like | null | undefined): number {
  if (value === null || value === undefined) return 0;
  return typeof value === 'number' ? value : value.toNumber();
}
