import { CompressError } from '../../errors.js';
import { GraphIndex } from '../../ir/graph.js';
import type { onnx } from '../../ir/onnx.js';
import { tensorElementCount } from '../../ir/tensors.js';
import { opKind, weightedProblem, weightLayout } from './ops.js';
import type { QuantizeExclusions } from './types.js';

/**
 * A unit the quantizer decides on: a compute node (Conv, Gemm, MatMul, Add, Mul, Concat, pooling),
 * the bias Add after a MatMul, and the Relu/Clip that follows alone (run fused into the int8 kernel).
 */
export interface Layer {
  readonly name: string;
  readonly op: string;
  readonly activation: string | undefined;
  /** Every node of the layer: the compute node, then its bias Add and activation when present. */
  readonly members: readonly string[];
  /** Why it cannot be quantized at all (no constant weight…). */
  readonly problem: string | undefined;
  readonly floatBytes: number;
  readonly int8Bytes: number;
  /** Input and output tensors, for boundary estimates. */
  readonly inputs: readonly string[];
  readonly output: string;
}

const COMPUTE_KINDS = new Set(['weighted', 'elementwise', 'concat', 'pool']);

/** The layers of a prepared model, in graph order. */
export function findLayers(model: onnx.IModelProto, perChannel: boolean): Layer[] {
  const graph = model.graph!;
  const index = new GraphIndex(graph);
  const layers: Layer[] = [];
  const onlyConsumer = (tensor: string) => {
    const consumers = index.consumers(tensor);
    return consumers.length === 1 && !index.isGraphOutput(tensor) ? consumers[0] : undefined;
  };
  const biasAdds = new Set<onnx.INodeProto>();
  for (const node of graph.node ?? []) {
    const kind = opKind(node);
    if (!kind || !COMPUTE_KINDS.has(kind) || biasAdds.has(node)) continue;
    let out = node.output?.[0] ?? '';
    const members = [node.name ?? ''];
    const next = onlyConsumer(out);
    if ((node.opType === 'MatMul' || node.opType === 'Gemm') && next?.opType === 'Add' && (next.input ?? []).some((i) => index.initializer(i))) {
      biasAdds.add(next);
      members.push(next.name ?? '');
      out = next.output?.[0] ?? '';
    }
    const after = onlyConsumer(out);
    const activation = after && opKind(after) === 'activation' ? after : undefined;
    if (activation) members.push(activation.name ?? '');
    const problem = kind === 'weighted' ? weightedProblem(node, index) : undefined;
    let floatBytes = 0;
    let int8Bytes = 0;
    if (kind === 'weighted' && !problem) {
      const layout = weightLayout(node, index);
      const weights = tensorElementCount(index.initializer(layout.weight)!);
      const bias = layout.bias ? tensorElementCount(index.initializer(layout.bias)!) : 0;
      floatBytes = 4 * (weights + bias);
      int8Bytes = weights + 4 * bias + 4 * (perChannel ? layout.outputChannels : 1);
      const biasAdd = members.length > 1 && index.producer(out)?.opType === 'Add' ? index.producer(out) : undefined;
      const biasTensor = biasAdd?.input?.map((i) => index.initializer(i)).find(Boolean);
      if (biasTensor) {
        const count = tensorElementCount(biasTensor);
        floatBytes += 4 * count;
        int8Bytes += count;
      }
    }
    layers.push({
      name: node.name ?? '',
      op: node.opType ?? '',
      activation: activation?.name ?? undefined,
      members,
      problem,
      floatBytes,
      int8Bytes,
      inputs: (node.input ?? []).filter((i) => i && !index.initializer(i)),
      output: activation?.output?.[0] ?? out,
    });
  }
  return layers;
}

/** Node names the exclusions leave in float; unknown names are an error (a typo would silently quantize). */
export function excludedNodes(model: onnx.IModelProto, exclude: QuantizeExclusions | undefined): Set<string> {
  const nodes = model.graph?.node ?? [];
  const names = new Set(exclude?.names ?? []);
  const known = new Set(nodes.map((n) => n.name ?? ''));
  const unknown = [...names].filter((n) => !known.has(n));
  if (unknown.length > 0) {
    throw new CompressError('pass/invalid_options', 'quantize', `exclude.names lists nodes the model does not have: ${unknown.slice(0, 5).map((n) => `"${n}"`).join(', ')}`);
  }
  const opTypes = new Set(exclude?.opTypes ?? []);
  return new Set(nodes.filter((n) => names.has(n.name ?? '') || opTypes.has(n.opType ?? '')).map((n) => n.name ?? ''));
}
