import { attrFloat, attrInt } from '../../ir/attributes.js';
import type { GraphIndex } from '../../ir/graph.js';
import { onnx } from '../../ir/onnx.js';
import { tensorDims } from '../../ir/tensors.js';

/**
 * How the static (QDQ) quantizer treats an op, chosen so that onnxruntime's CPU provider fuses the
 * result into an int8 kernel at session creation:
 * - `weighted`: Conv, Gemm, MatMul with a constant weight → QLinearConv / QGemm / QLinearMatMul;
 * - `elementwise`: Add, Mul → QLinearAdd / QLinearMul; `concat`: Concat → QLinearConcat;
 * - `pool`: AveragePool, GlobalAveragePool → QLinearAveragePool / QLinearGlobalAveragePool;
 * - `passthrough`: MaxPool and pure data movement (Reshape, Flatten, Transpose, Squeeze, Unsqueeze):
 *   run directly on int8 when input and output share one scale, which onnxruntime then drops;
 * - `activation`: Relu, Clip — absorbed into the producer's output range (a uint8 range starting at 0
 *   is a ReLU), never run on their own.
 */
export type OpKind = 'weighted' | 'elementwise' | 'concat' | 'pool' | 'passthrough' | 'activation';

const KINDS: Readonly<Record<string, OpKind>> = {
  Conv: 'weighted',
  Gemm: 'weighted',
  MatMul: 'weighted',
  Add: 'elementwise',
  Mul: 'elementwise',
  Concat: 'concat',
  AveragePool: 'pool',
  GlobalAveragePool: 'pool',
  MaxPool: 'passthrough',
  Reshape: 'passthrough',
  Flatten: 'passthrough',
  Transpose: 'passthrough',
  Squeeze: 'passthrough',
  Unsqueeze: 'passthrough',
  Relu: 'activation',
  Clip: 'activation',
};

/** Op types the static quantizer knows (others always stay float). */
export const STATIC_OP_TYPES: readonly string[] = Object.keys(KINDS);

/** Op types the dynamic quantizer rewrites. */
export const DYNAMIC_OP_TYPES: readonly string[] = ['Conv', 'Gemm', 'MatMul'];

export function opKind(node: onnx.INodeProto): OpKind | undefined {
  if ((node.domain ?? '') !== '' && node.domain !== 'ai.onnx') return undefined;
  return KINDS[node.opType ?? ''];
}

/** Which input of a weighted op is the weight, and along which axis its output channels run. */
export interface WeightLayout {
  readonly weight: string;
  readonly bias: string | undefined;
  /** Axis of the weight tensor holding output channels (per-channel scales run along it). */
  readonly axis: number;
  readonly outputChannels: number;
}

/**
 * Why a node cannot be quantized (a constant weight is missing, unsupported attributes…), or
 * undefined when it can. Only `weighted` nodes have structural requirements.
 */
export function weightedProblem(node: onnx.INodeProto, index: GraphIndex): string | undefined {
  const op = node.opType;
  if (index.initializer(node.input?.[0] ?? '')) return 'its input is a constant';
  const w = index.initializer(node.input?.[1] ?? '');
  if (!w) return 'its weight is not a constant initializer';
  if (w.dataType !== onnx.TensorProto.DataType.FLOAT) return 'its weight is not float32';
  const dims = tensorDims(w);
  const biasName = node.input?.[2];
  if (biasName && !index.initializer(biasName)) return 'its bias is not a constant initializer';
  if (op === 'Conv') return dims.length >= 3 ? undefined : 'its weight has rank < 3';
  if (dims.length !== 2) return 'its weight is not 2-D';
  if (op === 'Gemm') {
    if (attrInt(node, 'transA', 0) !== 0) return 'Gemm with transA=1 is not supported';
    const n = attrInt(node, 'transB', 0) ? dims[0]! : dims[1]!;
    if (biasName) {
      const c = index.initializer(biasName)!;
      const count = tensorDims(c).reduce((a, d) => a * d, 1);
      if (count !== n && count !== 1) return 'its bias C is not a vector of output channels';
    }
    if (attrFloat(node, 'alpha', 1) === 0) return 'Gemm with alpha=0';
  }
  return undefined;
}

export function weightLayout(node: onnx.INodeProto, index: GraphIndex): WeightLayout {
  const weight = node.input![1]!;
  const dims = tensorDims(index.initializer(weight)!);
  const bias = node.input?.[2] || undefined;
  if (node.opType === 'Conv') return { weight, bias, axis: 0, outputChannels: dims[0]! };
  if (node.opType === 'Gemm' && attrInt(node, 'transB', 0) === 1) return { weight, bias, axis: 0, outputChannels: dims[0]! };
  return { weight, bias, axis: 1, outputChannels: dims[1]! };
}
