import { CompressError } from '../../errors.js';
import { GraphIndex } from '../../ir/graph.js';
import { isDefaultDomain } from '../../ir/graph-stats.js';
import { onnx } from '../../ir/onnx.js';
import { makeTensor, readTensor, type SupportedDataType, type TensorArray } from '../../ir/tensor-data.js';

/** A copy of `tensor` without the given positions along `axis` (positions sorted, in range). */
export function withoutPositions(tensor: onnx.ITensorProto, axis: number, removed: readonly number[]): onnx.TensorProto {
  const { dataType, dims, data } = readTensor(tensor);
  const size = dims[axis];
  if (size === undefined) throw new CompressError('model/invalid_graph', 'prune', `tensor "${tensor.name}" has no axis ${axis}`);
  const drop = new Uint8Array(size);
  for (const p of removed) drop[p] = 1;
  const inner = dims.slice(axis + 1).reduce((a, d) => a * d, 1);
  const outer = dims.slice(0, axis).reduce((a, d) => a * d, 1);
  const kept = size - removed.length;
  const out = new (data.constructor as new (n: number) => TensorArray)(outer * kept * inner);
  let o = 0;
  for (let a = 0; a < outer; a++) {
    for (let p = 0; p < size; p++) {
      if (drop[p]) continue;
      const start = (a * size + p) * inner;
      (out as Float32Array).set((data as Float32Array).subarray(start, start + inner), o);
      o += inner;
    }
  }
  const newDims = [...dims];
  newDims[axis] = kept;
  return makeTensor(tensor.name ?? '', dataType as SupportedDataType, newDims, out as never);
}

/** L1 or L2 norm of each slice `tensor[..., i, ...]` along `axis` (float tensors). */
export function sliceNorms(values: Float32Array, dims: readonly number[], axis: number, norm: 'l1' | 'l2'): Float64Array {
  const size = dims[axis]!;
  const inner = dims.slice(axis + 1).reduce((a, d) => a * d, 1);
  const outer = dims.slice(0, axis).reduce((a, d) => a * d, 1);
  const sums = new Float64Array(size);
  for (let a = 0; a < outer; a++) {
    for (let p = 0; p < size; p++) {
      const start = (a * size + p) * inner;
      let s = 0;
      for (let i = start; i < start + inner; i++) s += norm === 'l1' ? Math.abs(values[i]!) : values[i]! * values[i]!;
      sums[p] += s;
    }
  }
  return norm === 'l1' ? sums : sums.map(Math.sqrt);
}

/**
 * Replaces the constant a node reads at `inputIndex`. Rewritten where it is: an initializer or
 * Constant node only this input reads keeps its name; a shared one is left to its other readers
 * and this input gets a new initializer.
 */
export function replaceConstantInput(graph: onnx.IGraphProto, node: onnx.INodeProto, inputIndex: number, tensor: onnx.ITensorProto): void {
  const name = node.input![inputIndex]!;
  const index = new GraphIndex(graph);
  const reads = (graph.node ?? []).reduce((n, other) => n + (other.input ?? []).filter((i) => i === name).length, 0);
  const exclusive = reads === 1 && !index.isGraphOutput(name);
  const producer = index.producer(name);
  if (exclusive && producer?.opType === 'Constant' && isDefaultDomain(producer.domain)) {
    producer.attribute = (producer.attribute ?? []).map((a) => (a.name === 'value' ? onnx.AttributeProto.create({ ...a, t: onnx.TensorProto.create({ ...tensor, name: '' }) }) : a));
    return;
  }
  if (exclusive && index.initializer(name)) {
    graph.initializer = (graph.initializer ?? []).map((t) => (t.name === name ? onnx.TensorProto.create({ ...tensor, name }) : t));
    return;
  }
  const fresh = index.uniqueName(`${name || 'constant'}_pruned`);
  graph.initializer = [...(graph.initializer ?? []), onnx.TensorProto.create({ ...tensor, name: fresh })];
  node.input![inputIndex] = fresh;
}

export function int64Tensor(values: readonly number[]): onnx.TensorProto {
  return makeTensor('', onnx.TensorProto.DataType.INT64, [values.length], BigInt64Array.from(values.map((v) => BigInt(v))));
}
