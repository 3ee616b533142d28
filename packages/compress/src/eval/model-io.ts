import { readFile } from 'node:fs/promises';
import { CompressError, describeCause } from '../errors.js';
import { runtimeInputs } from '../ir/graph-stats.js';
import { loadModelProto } from '../ir/model-proto.js';
import { describeValueInfo, type TensorInfo } from '../ir/tensor-info.js';

/** A model as the evaluator takes it: serialized bytes, or a path (external data resolved next to it). */
export type ModelSource = Uint8Array | string;

export interface ModelIo {
  /** Graph inputs to feed (initializers listed as inputs left out), as `inspectModel` reports them. */
  inputs: TensorInfo[];
  outputs: TensorInfo[];
}

export async function readModelBytes(source: ModelSource): Promise<Uint8Array> {
  if (typeof source !== 'string') return source;
  try {
    return await readFile(source);
  } catch (err) {
    throw new CompressError('io/read_failed', 'eval', `cannot read model file ${source}: ${describeCause(err)}`, { cause: err });
  }
}

/** Inputs and outputs from the graph itself, without opening an onnxruntime session. */
export async function readModelIo(source: ModelSource): Promise<ModelIo> {
  const graph = loadModelProto(await readModelBytes(source)).graph ?? {};
  return { inputs: runtimeInputs(graph).map(describeValueInfo), outputs: (graph.output ?? []).map(describeValueInfo) };
}

/**
 * Axis 0 of the inputs when the model fixes it (mnist-lenet5-bn: 10), else null. Inputs that fix
 * different batch sizes cannot be fed consistently and are refused.
 */
export function fixedBatchOf(inputs: readonly TensorInfo[]): number | null {
  const fixed = [...new Set(inputs.flatMap((input) => (typeof input.shape?.[0] === 'number' ? [input.shape[0]] : [])))];
  if (fixed.length > 1) {
    throw new CompressError('eval/unsupported_model', 'eval', `inputs fix different batch sizes (${fixed.join(', ')}) on axis 0`);
  }
  if (fixed[0] === 0) throw new CompressError('eval/unsupported_model', 'eval', 'inputs fix a batch size of 0');
  return fixed[0] ?? null;
}
