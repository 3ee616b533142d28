// Test support for the prune specs: builds the model that
// structured pruning must be numerically equal to.
import { attrInt } from '../src/ir/attributes.js';
import { cloneModelProto } from '../src/ir/model-proto.js';
import { onnx } from '../src/ir/onnx.js';
import { makeTensor, readFloat32 } from '../src/ir/tensor-data.js';
import { tensorDims } from '../src/ir/tensors.js';
import type { PassResult } from '../src/passes/pass-result.js';
import { nodeLabel } from '../src/passes/prune/options.js';
import type { PrunedLayer } from '../src/passes/prune/channels.js';

/** A copy of `tensor` (float32) with the given positions along `axis` set to 0. */
export function zeroAlong(tensor: onnx.ITensorProto, axis: number, positions: readonly number[]): onnx.TensorProto {
  const dims = tensorDims(tensor);
  const values = readFloat32(tensor).slice();
  const inner = dims.slice(axis + 1).reduce((a, d) => a * d, 1);
  const outer = dims.slice(0, axis).reduce((a, d) => a * d, 1);
  for (let a = 0; a < outer; a++) for (const p of positions) values.fill(0, (a * dims[axis]! + p) * inner, (a * dims[axis]! + p + 1) * inner);
  return makeTensor(tensor.name ?? '', onnx.TensorProto.DataType.FLOAT, dims, values);
}

/**
 * The original model with every removed channel's contribution taken out where it is consumed:
 * the input-channel weights of each Conv (group 1), Gemm and MatMul a pruned layer feeds are
 * zeroed (a channel spanning S columns after a flatten, or S outputs of a depthwise multiplier,
 * zeroes its S-wide block). Structured pruning must give the same outputs as this model.
 */
export function zeroConsumedChannels(original: onnx.IModelProto, result: PassResult): onnx.ModelProto {
  const model = cloneModelProto(original);
  const graph = model.graph!;
  const byLabel = new Map((graph.node ?? []).map((n) => [nodeLabel(n), n]));
  const initializer = (name: string) => graph.initializer!.find((t) => t.name === name)!;
  const replace = (t: onnx.TensorProto) => (graph.initializer = graph.initializer!.map((x) => (x.name === t.name ? t : x)));
  for (const layer of result.report.details['layers'] as PrunedLayer[]) {
    for (const label of layer.rewired) {
      const node = byLabel.get(label)!;
      const w = node.input?.[1] ? graph.initializer!.find((t) => t.name === node.input![1]) : undefined;
      if (!w) continue;
      const dims = tensorDims(w);
      let axis: number;
      if (node.opType === 'Conv' && attrInt(node, 'group', 1) === 1) axis = 1;
      else if (node.opType === 'Gemm') axis = attrInt(node, 'transB', 0) ? 1 : 0;
      else if (node.opType === 'MatMul') axis = dims.length - 2;
      else continue;
      const block = dims[axis]! / layer.channelsBefore;
      const positions = layer.removed.flatMap((c) => Array.from({ length: block }, (_, s) => c * block + s));
      replace(zeroAlong(initializer(w.name!), axis, positions));
    }
  }
  return model;
}
