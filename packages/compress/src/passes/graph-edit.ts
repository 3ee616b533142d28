import type { GraphIndex } from '../ir/graph.js';
import { isDefaultDomain } from '../ir/graph-stats.js';
import { int64ToNumber, type onnx } from '../ir/onnx.js';

/**
 * The tensor behind a value when it is a constant: an initializer that is not also an overridable
 * graph input, or the `value` of a Constant node. undefined for anything computed.
 */
export function constantTensor(index: GraphIndex, name: string): onnx.ITensorProto | undefined {
  if (!name) return undefined;
  const init = index.initializer(name);
  if (init) return (index.graph.input ?? []).some((i) => i.name === name) ? undefined : init;
  const producer = index.producer(name);
  if (producer?.opType === 'Constant' && isDefaultDomain(producer.domain)) {
    return (producer.attribute ?? []).find((a) => a.name === 'value')?.t ?? undefined;
  }
  return undefined;
}

/** Drops nodes none of whose outputs is read or is a graph output, repeatedly; returns how many went. */
export function removeDeadNodes(graph: onnx.IGraphProto): number {
  const outputs = new Set((graph.output ?? []).map((o) => o.name ?? ''));
  const start = (graph.node ?? []).length;
  for (let changed = true; changed; ) {
    const used = new Set<string>(outputs);
    for (const node of graph.node ?? []) for (const input of node.input ?? []) used.add(input);
    const before = (graph.node ?? []).length;
    graph.node = (graph.node ?? []).filter((node) => (node.output ?? []).some((o) => o && used.has(o)));
    changed = graph.node.length !== before;
  }
  return start - graph.node!.length;
}

/**
 * Moves the tensors of Constant nodes that feed a weight or bias input of a Conv/ConvTranspose/Gemm/
 * MatMul into initializers of the same name (exporters such as older PyTorch or TF converters write
 * weights as Constant nodes). The graph computes exactly the same thing; passes that look for weight
 * initializers then find them. Sparse Constants, Constants that are graph outputs, and models before
 * IR 4 (where every initializer must also be a graph input) are left as they are. Returns how many moved.
 */
export function constantWeightsToInitializers(model: onnx.IModelProto): number {
  const graph = model.graph;
  if (!graph || int64ToNumber(model.irVersion ?? 0) < 4) return 0;
  const outputs = new Set((graph.output ?? []).map((o) => o.name ?? ''));
  const weightInputs = new Set<string>();
  for (const node of graph.node ?? []) {
    if (!isDefaultDomain(node.domain)) continue;
    const inputs = node.input ?? [];
    if (node.opType === 'Conv' || node.opType === 'ConvTranspose' || node.opType === 'Gemm') inputs.slice(1, 3).forEach((i) => weightInputs.add(i));
    else if (node.opType === 'MatMul') inputs.slice(0, 2).forEach((i) => weightInputs.add(i));
  }
  const moved = new Set<onnx.INodeProto>();
  const added: onnx.ITensorProto[] = [];
  for (const node of graph.node ?? []) {
    if (node.opType !== 'Constant' || !isDefaultDomain(node.domain) || (node.output ?? []).length !== 1) continue;
    const name = node.output![0]!;
    if (!weightInputs.has(name) || outputs.has(name) || (node.attribute ?? []).length !== 1) continue;
    const value = node.attribute![0]!;
    if (value.name !== 'value' || !value.t) continue;
    added.push({ ...value.t, name });
    moved.add(node);
  }
  if (moved.size === 0) return 0;
  graph.node = (graph.node ?? []).filter((n) => !moved.has(n));
  graph.initializer = [...(graph.initializer ?? []), ...added];
  return moved.size;
}
