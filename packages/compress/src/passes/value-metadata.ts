import { CompressError, describeCause, type CompressErrorScope } from '../errors.js';
import { ort, runtimeVersion } from '../inspect/runtime.js';
import { cloneModelProto, encodeModelProto } from '../ir/model-proto.js';
import { onnx } from '../ir/onnx.js';
import { tensorDims } from '../ir/tensors.js';
import { elementTypeName } from '../ir/element-types.js';

/** Element type (ORT naming: `float32`, `int64`…) and shape of one value, as onnxruntime inferred it. */
export interface ValueMetadata {
  /** `'non-tensor'` for sequences, maps and optionals. */
  readonly type: string;
  /** Dims as ORT reports them (numbers, or strings for symbolic dims); null when unknown, and for scalars (see remarks). */
  readonly shape: readonly (number | string)[] | null;
}

/**
 * Types and static shapes of every value of the main graph: graph inputs, initializers and each
 * node output. onnxruntime's own type/shape inference does the work: the probe copy declares every
 * node output as a graph output (by name only, so ORT fills in the type) and only loads the model —
 * nothing runs, so no input data is needed.
 *
 * @remarks ORT reports an unknown shape and a scalar the same way (`[]`), so both become `null`:
 * callers that need the rank must treat null as "rank unknown or 0".
 */
export async function probeValueMetadata(model: onnx.IModelProto, scope: CompressErrorScope): Promise<Map<string, ValueMetadata>> {
  const meta = new Map<string, ValueMetadata>();
  const graph = model.graph ?? {};
  for (const tensor of graph.initializer ?? []) {
    meta.set(tensor.name ?? '', { type: elementTypeName(tensor.dataType ?? 0), shape: tensorDims(tensor) });
  }
  const probe = cloneModelProto(model);
  const probeGraph = (probe.graph ??= onnx.GraphProto.create());
  const outputs = (probeGraph.output ??= []);
  const declared = new Set([...outputs.map((o) => o.name ?? ''), ...(probeGraph.input ?? []).map((i) => i.name ?? '')]);
  for (const node of probeGraph.node ?? []) {
    for (const name of node.output ?? []) {
      if (!name || declared.has(name)) continue;
      declared.add(name);
      outputs.push(onnx.ValueInfoProto.create({ name }));
    }
  }
  const session = await openSession(encodeModelProto(probe), { graphOptimizationLevel: 'disabled' }, scope);
  try {
    for (const value of [...session.inputMetadata, ...session.outputMetadata]) {
      meta.set(value.name, value.isTensor ? { type: value.type, shape: value.shape.length === 0 ? null : [...value.shape] } : { type: 'non-tensor', shape: null });
    }
  } finally {
    await session.release();
  }
  return meta;
}

/** Opens an ORT session (CPU, quiet) with extra options; refusal becomes `model/runtime_rejected`. */
export async function openSession(
  bytes: Uint8Array,
  options: ort.InferenceSession.SessionOptions,
  scope: CompressErrorScope,
): Promise<ort.InferenceSession> {
  try {
    return await ort.InferenceSession.create(bytes, { logSeverityLevel: 3, executionProviders: ['cpu'], ...options });
  } catch (err) {
    throw new CompressError('model/runtime_rejected', scope, `onnxruntime ${runtimeVersion()} cannot load the model: ${describeCause(err)}`, { cause: err });
  }
}
