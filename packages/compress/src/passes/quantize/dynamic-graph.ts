import { attr, attrFloat, attrInt } from '../../ir/attributes.js';
import { GraphIndex, removeUnusedInitializers, sortGraphInPlace } from '../../ir/graph.js';
import { cloneModelProto } from '../../ir/model-proto.js';
import { onnx } from '../../ir/onnx.js';
import { readFloat32 } from '../../ir/tensor-data.js';
import { tensorDims } from '../../ir/tensors.js';
import { weightedProblem, weightLayout } from './ops.js';
import { Emitter, type QuantizedWeightInfo } from './qdq.js';
import { quantizeWeights, weightErrorInScales } from './quant-math.js';

const DT = onnx.TensorProto.DataType;

export interface DynamicBuildResult {
  readonly model: onnx.ModelProto;
  readonly quantized: readonly string[];
  readonly skipped: readonly { readonly node: string; readonly reason: string }[];
  readonly weights: readonly QuantizedWeightInfo[];
}

/**
 * Rewrites Conv, Gemm and MatMul nodes (with constant weights) for dynamic quantization, the layout
 * onnxruntime's own dynamic quantizer produces and its CPU provider fuses:
 *
 *   X → DynamicQuantizeLinear → (Xq uint8, Xscale, Xzp)
 *   ConvInteger / MatMulInteger(Xq, Wq int8, Xzp) → int32 → Cast(float) → Mul(Xscale × Wscale) → Add(bias)
 *
 * Weights are symmetric int8 with one scale per output channel (zero point 0, so the integer op needs
 * no weight zero point); the activation scale is computed per run from the batch's own min/max.
 * Gemm weights are stored transposed to [K, N] when transB=1, since MatMulInteger has no transpose.
 */
export function buildDynamicModel(prepared: onnx.ModelProto, options: { perChannel: boolean; quantize: ReadonlySet<string> }): DynamicBuildResult {
  const model = cloneModelProto(prepared);
  const graph = model.graph!;
  const index = new GraphIndex(graph);
  const emitter = new Emitter(graph, index);
  const quantized: string[] = [];
  const skipped: { node: string; reason: string }[] = [];
  const weights: QuantizedWeightInfo[] = [];
  const replaced = new Set<onnx.INodeProto>();
  /** One DynamicQuantizeLinear per float tensor, shared by every consumer. */
  const dynamicInputs = new Map<string, { q: string; scale: string; zeroPoint: string }>();

  for (const node of graph.node ?? []) {
    const op = node.opType ?? '';
    if (!options.quantize.has(node.name ?? '') || !['Conv', 'Gemm', 'MatMul'].includes(op) || (node.domain ?? '') !== '') continue;
    const problem = weightedProblem(node, index);
    if (problem) {
      skipped.push({ node: node.name ?? '', reason: problem });
      continue;
    }
    const base = node.name || node.output![0]!;
    const layout = weightLayout(node, index);
    const wTensor = index.initializer(layout.weight)!;
    let dims = tensorDims(wTensor);
    let values = readFloat32(wTensor);
    let axis = layout.axis;
    let bias = layout.bias ? readFloat32(index.initializer(layout.bias)!) : undefined;
    if (op === 'Gemm') {
      const alpha = attrFloat(node, 'alpha', 1);
      const beta = attrFloat(node, 'beta', 1);
      if (alpha !== 1) values = values.map((v) => v * alpha);
      if (bias) bias = Float32Array.from({ length: layout.outputChannels }, (_, i) => bias![bias!.length === 1 ? 0 : i]! * beta);
      if (attrInt(node, 'transB', 0) === 1) {
        values = transpose2d(values, dims[0]!, dims[1]!);
        dims = [dims[1]!, dims[0]!];
        axis = 1;
      }
    }
    const q = quantizeWeights(values, dims, options.perChannel ? axis : undefined);
    weights.push({ node: node.name ?? '', weight: layout.weight, axis: options.perChannel ? axis : null, channels: q.scales.length, maxErrorInScales: weightErrorInScales(values, q, dims) });

    const x = node.input![0]!;
    let dq = dynamicInputs.get(x);
    if (!dq) {
      dq = { q: emitter.name(`${x}_quantized`), scale: emitter.name(`${x}_scale`), zeroPoint: emitter.name(`${x}_zero_point`) };
      emitter.node('DynamicQuantizeLinear', `${x}_DynamicQuantizeLinear`, [x], [dq.q, dq.scale, dq.zeroPoint]);
      dynamicInputs.set(x, dq);
    }
    const wq = emitter.constant(`${base}_weight_quantized`, DT.INT8, dims, q.values);
    const int32 = emitter.name(`${base}_int32`);
    if (op === 'Conv') {
      const convAttributes = (node.attribute ?? []).filter((a) => ['auto_pad', 'dilations', 'group', 'kernel_shape', 'pads', 'strides'].includes(a.name ?? ''));
      emitter.node('ConvInteger', base, [dq.q, wq, dq.zeroPoint], [int32], convAttributes);
    } else {
      emitter.node('MatMulInteger', base, [dq.q, wq, dq.zeroPoint], [int32]);
    }
    // Per-channel scales broadcast over [N, M, spatial…] for Conv, over the last axis for MatMul.
    const scaleDims = !options.perChannel ? [] : op === 'Conv' ? [q.scales.length, ...new Array<number>(dims.length - 2).fill(1)] : [q.scales.length];
    const ws = emitter.constant(`${base}_weight_scale`, DT.FLOAT, scaleDims, q.scales);
    const scale = emitter.name(`${base}_scale`);
    emitter.node('Mul', `${base}_scale_Mul`, [dq.scale, ws], [scale]);
    const asFloat = emitter.name(`${base}_float`);
    emitter.node('Cast', `${base}_Cast`, [int32], [asFloat], [attr.int('to', DT.FLOAT)]);
    const out = node.output![0]!;
    if (bias) {
      const scaled = emitter.name(`${base}_scaled`);
      emitter.node('Mul', `${base}_Mul`, [asFloat, scale], [scaled]);
      const biasDims = op === 'Conv' ? [bias.length, ...new Array<number>(dims.length - 2).fill(1)] : [bias.length];
      const b = emitter.constant(`${base}_bias`, DT.FLOAT, biasDims, bias);
      emitter.node('Add', `${base}_bias_Add`, [scaled, b], [out]);
    } else {
      emitter.node('Mul', `${base}_Mul`, [asFloat, scale], [out]);
    }
    replaced.add(node);
    quantized.push(node.name ?? '');
  }
  graph.node = [...(graph.node ?? []).filter((n) => !replaced.has(n)), ...emitter.nodes];
  graph.initializer = [...(graph.initializer ?? []), ...emitter.initializers];
  sortGraphInPlace(graph);
  removeUnusedInitializers(graph);
  return { model, quantized, skipped, weights };
}

function transpose2d(values: Float32Array, rows: number, cols: number): Float32Array {
  const out = new Float32Array(values.length);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) out[c * rows + r] = values[r * cols + c]!;
  return out;
}

