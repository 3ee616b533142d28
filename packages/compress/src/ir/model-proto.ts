import { CompressError, describeCause } from '../errors.js';
import { int64ToNumber, onnx } from './onnx.js';

// Real ONNX IR versions are single digits; anything huge means we decoded noise.
const MAX_PLAUSIBLE_IR_VERSION = 100;

/**
 * Decodes and sanity-checks a serialized ModelProto. Protobuf decoders happily turn arbitrary bytes
 * into a message made of unknown fields, so a successful decode proves little: the checks below
 * are the minimum every exporter we know of satisfies.
 */
export function loadModelProto(bytes: Uint8Array): onnx.ModelProto {
  let model: onnx.ModelProto;
  try {
    model = onnx.ModelProto.decode(bytes);
  } catch (err) {
    throw notOnnx(`bytes do not decode as an ONNX ModelProto (${describeCause(err)})`, err);
  }
  const irVersion = int64ToNumber(model.irVersion);
  if (!(irVersion > 0 && irVersion <= MAX_PLAUSIBLE_IR_VERSION)) {
    throw notOnnx(`implausible ir_version ${irVersion}`);
  }
  const graph = model.graph;
  if (!graph) throw notOnnx('model has no graph');
  if (model.opsetImport.length === 0 && (graph.node ?? []).length === 0) {
    throw notOnnx('model has neither opset imports nor nodes');
  }
  if (!graph.output || graph.output.length === 0) throw notOnnx('graph declares no outputs');
  for (const opset of model.opsetImport) {
    if (!(int64ToNumber(opset.version) > 0)) throw notOnnx(`opset import "${opset.domain ?? ''}" has no version`);
  }
  return model;
}

export function encodeModelProto(model: onnx.IModelProto): Uint8Array {
  return onnx.ModelProto.encode(model).finish();
}

/** A deep copy, so that probes can add outputs without touching the caller's proto. */
export function cloneModelProto(model: onnx.IModelProto): onnx.ModelProto {
  return onnx.ModelProto.decode(encodeModelProto(model));
}

function notOnnx(detail: string, cause?: unknown): CompressError {
  return new CompressError('model/not_onnx', 'load', detail, cause === undefined ? undefined : { cause });
}
