import { CompressError } from '../../errors.js';
import { attr, attrFloat, setAttribute } from '../../ir/attributes.js';
import { GraphIndex, removeUnusedInitializers, sortGraphInPlace, topologicalOrder } from '../../ir/graph.js';
import { cloneModelProto } from '../../ir/model-proto.js';
import { onnx } from '../../ir/onnx.js';
import { float32ArrayToFloat16, makeTensor, readFloat32 } from '../../ir/tensor-data.js';
import { tensorDims } from '../../ir/tensors.js';
import { opKind, weightedProblem, weightLayout, type OpKind } from './ops.js';
import { affineParams, quantizeBias, quantizeValue, quantizeWeights, representableRange, weightErrorInScales, type ActivationType, type QuantParams } from './quant-math.js';

const DT = onnx.TensorProto.DataType;
/** Largest |int32 bias| allowed, a little under 2^31 − 1 so rounding cannot overflow. */
const BIAS_LIMIT = 2 ** 31 - 256;

/** The float range chosen for a tensor by calibration. */
export interface TensorRange {
  readonly min: number;
  readonly max: number;
}

export interface QdqOptions {
  readonly activationType: ActivationType;
  readonly perChannel: boolean;
  /** Names of the nodes (of the prepared model) allowed to run in int8. */
  readonly quantize: ReadonlySet<string>;
  /** Chosen ranges of activation tensors, by tensor name. */
  readonly ranges: ReadonlyMap<string, TensorRange>;
}

export interface QuantizedTensorInfo {
  readonly tensor: string;
  readonly scale: number;
  readonly zeroPoint: number;
}

export interface QuantizedWeightInfo {
  readonly node: string;
  readonly weight: string;
  readonly axis: number | null;
  readonly channels: number;
  /** Largest |w − dequantize(quantize(w))| / scale over the tensor (each value against its channel's scale): ≤ 0.5. */
  readonly maxErrorInScales: number;
}

export interface QdqResult {
  readonly model: onnx.ModelProto;
  /** Nodes now running in int8 (compute and pass-through ops). */
  readonly quantized: readonly string[];
  /** Relu/Clip nodes removed because the producer's quantized output range already clamps the same way. */
  readonly absorbed: ReadonlyMap<string, string>;
  readonly skipped: readonly { readonly node: string; readonly reason: string }[];
  readonly activations: readonly QuantizedTensorInfo[];
  readonly weights: readonly QuantizedWeightInfo[];
  readonly clampedBiasValues: number;
}

/** The tensors whose ranges `buildQdqModel` needs for a prepared model: inputs and outputs of every candidate. */
export function tensorsToCalibrate(model: onnx.IModelProto): string[] {
  const graph = model.graph!;
  const index = new GraphIndex(graph);
  const names = new Set<string>();
  // A Relu or Clip(0, x) after a quantized producer is always absorbed (its range starts at 0, which a
  // uint8 zero point of 0 or an int8 one of −128 represents exactly), so the producer's own output
  // range is never needed: skipping it halves what calibration reads on ReLU networks.
  const absorbable = new Set<string>();
  for (const node of graph.node ?? []) {
    if (opKind(node) !== 'activation') continue;
    const input = node.input?.[0] ?? '';
    const producer = index.producer(input);
    const producerKind = producer ? opKind(producer) : undefined;
    const bounds = activationBounds(node, index);
    if (producerKind && producerKind !== 'activation' && producerKind !== 'passthrough' && bounds?.min === 0 && index.consumers(input).length === 1 && !index.isGraphOutput(input)) {
      absorbable.add(input);
    }
  }
  for (const node of graph.node ?? []) {
    const kind = opKind(node);
    if (!kind || kind === 'passthrough') continue;
    const inputs = kind === 'weighted' ? (node.input ?? []).slice(0, 1) : kind === 'activation' ? [] : (node.input ?? []);
    for (const input of inputs) if (input && !index.initializer(input)) names.add(input);
    const out = node.output?.[0];
    if (out && !absorbable.has(out)) names.add(out);
  }
  return [...names];
}

/**
 * Inserts QuantizeLinear/DequantizeLinear pairs (QDQ format) into a prepared float model:
 * - activations get asymmetric `activationType` parameters from their calibrated ranges, one pair per tensor;
 * - weights become symmetric int8 initializers with per-output-channel scales (axis 0 for Conv and for
 *   Gemm with transB, axis 1 for MatMul and plain Gemm), read through a DequantizeLinear;
 * - biases become int32 with scale inputScale × weightScale and zero point 0, as QLinearConv and QGemm expect;
 * - a Relu/Clip right after a quantized producer is removed when the producer's output range already clamps
 *   exactly as it would; pass-through ops share their input's parameters so onnxruntime drops their QDQ pairs.
 * onnxruntime then fuses each DQ → op → Q group into its int8 kernel when the session is created.
 */
export function buildQdqModel(prepared: onnx.ModelProto, options: QdqOptions): QdqResult {
  const model = cloneModelProto(prepared);
  const graph = model.graph!;
  const skipped: { node: string; reason: string }[] = [];
  const index0 = new GraphIndex(graph);
  const selected = new Map<onnx.INodeProto, OpKind>();
  for (const node of graph.node ?? []) {
    const kind = opKind(node);
    if (!kind || !options.quantize.has(node.name ?? '')) continue;
    if (kind === 'weighted') {
      const problem = weightedProblem(node, index0);
      if (problem) {
        skipped.push({ node: node.name ?? '', reason: problem });
        continue;
      }
    }
    selected.set(node, kind);
  }

  const range = (tensor: string): TensorRange => {
    const r = options.ranges.get(tensor);
    if (!r) throw new CompressError('pass/refused', 'quantize', `no calibration range for tensor "${tensor}"`);
    return r;
  };
  const paramsFor = (tensor: string): QuantParams => {
    const r = range(tensor);
    return affineParams(r.min, r.max, options.activationType);
  };

  // 1. Absorb activations into quantized producers.
  const absorbed = absorbActivations(graph, selected, paramsFor);

  // 2. Decide which tensors get a QDQ pair, and with which parameters.
  const index = new GraphIndex(graph);
  const params = new Map<string, QuantParams>();
  /** Tensors whose producer runs in int8 (the QDQ pair goes right after the producer). */
  const producedQuantized = new Set<string>();
  const quantizedNodes: onnx.INodeProto[] = [];
  for (const node of topologicalOrder(graph)) {
    const kind = selected.get(node);
    if (!kind || kind === 'activation') continue;
    const out = node.output?.[0] ?? '';
    if (kind === 'passthrough') {
      const input = node.input?.[0] ?? '';
      const p = params.get(input);
      if (!p || (node.output ?? []).filter(Boolean).length !== 1) continue;
      params.set(out, p);
      producedQuantized.add(out);
      quantizedNodes.push(node);
      continue;
    }
    const activationInputs = kind === 'weighted' ? [node.input![0]!] : (node.input ?? []).filter(Boolean);
    for (const input of activationInputs) {
      if (!index.initializer(input) && !params.has(input)) params.set(input, paramsFor(input));
    }
    params.set(out, paramsFor(out));
    producedQuantized.add(out);
    quantizedNodes.push(node);
  }

  // 3. Rewrite.
  const emitter = new Emitter(graph, index);
  const activations: QuantizedTensorInfo[] = [];
  const dqOf = new Map<string, string>();
  const sharedParamNames = new Map<QuantParams, { scale: string; zeroPoint: string }>();
  const paramInitializers = (tensor: string, p: QuantParams) => {
    let names = sharedParamNames.get(p);
    if (!names) {
      names = {
        scale: emitter.constant(`${tensor}_scale`, DT.FLOAT, [], Float32Array.of(p.scale)),
        zeroPoint: emitter.constant(`${tensor}_zero_point`, p.type === 'uint8' ? DT.UINT8 : DT.INT8, [], p.type === 'uint8' ? Uint8Array.of(p.zeroPoint) : Int8Array.of(p.zeroPoint)),
      };
      sharedParamNames.set(p, names);
    }
    return names;
  };
  const scaleInitializer = new Map<string, string>();
  for (const [tensor, p] of params) {
    const { scale, zeroPoint } = paramInitializers(tensor, p);
    scaleInitializer.set(tensor, scale);
    activations.push({ tensor, scale: p.scale, zeroPoint: p.zeroPoint });
    const q = emitter.name(`${tensor}_quantized`);
    if (producedQuantized.has(tensor)) {
      // producer → pre → Q → DQ → tensor: every consumer (and a graph output) keeps reading `tensor`.
      const pre = emitter.name(`${tensor}_float`);
      const producer = index.producer(tensor)!;
      producer.output = (producer.output ?? []).map((o) => (o === tensor ? pre : o));
      emitter.node('QuantizeLinear', `${tensor}_QuantizeLinear`, [pre, scale, zeroPoint], [q]);
      emitter.node('DequantizeLinear', `${tensor}_DequantizeLinear`, [q, scale, zeroPoint], [tensor]);
      dqOf.set(tensor, tensor);
    } else {
      // A float tensor entering int8 ops: only the quantized consumers read the dequantized copy.
      const dq = emitter.name(`${tensor}_dequantized`);
      emitter.node('QuantizeLinear', `${tensor}_QuantizeLinear`, [tensor, scale, zeroPoint], [q]);
      emitter.node('DequantizeLinear', `${tensor}_DequantizeLinear`, [q, scale, zeroPoint], [dq]);
      dqOf.set(tensor, dq);
    }
  }

  const weights: QuantizedWeightInfo[] = [];
  let clampedBiasValues = 0;
  for (const node of quantizedNodes) {
    const kind = selected.get(node)!;
    if (kind === 'passthrough') {
      const input = node.input![0]!;
      node.input = [dqOf.get(input) ?? input, ...(node.input ?? []).slice(1)];
      continue;
    }
    const base = node.name || node.output![0]!;
    if (kind === 'weighted') {
      const x = node.input![0]!;
      const result = quantizeWeightedNode(node, index, emitter, { params: params.get(x)!, scale: scaleInitializer.get(x)! }, options.perChannel, base);
      weights.push(result.info);
      clampedBiasValues += result.clampedBias;
      node.input = [dqOf.get(x) ?? x, ...(node.input ?? []).slice(1)];
      continue;
    }
    node.input = (node.input ?? []).map((input) => {
      if (!input) return input;
      if (index.initializer(input)) return quantizeConstantInput(input, index, emitter, options.activationType);
      return dqOf.get(input) ?? input;
    });
  }

  graph.node = [...(graph.node ?? []), ...emitter.nodes];
  graph.initializer = [...(graph.initializer ?? []), ...emitter.initializers];
  sortGraphInPlace(graph);
  removeUnusedInitializers(graph);
  return {
    model,
    quantized: quantizedNodes.map((n) => n.name ?? ''),
    absorbed,
    skipped,
    activations,
    weights,
    clampedBiasValues,
  };
}

/**
 * Removes Relu/Clip nodes that follow a quantized compute node (its only consumer), when the
 * quantized range of the activation's output cannot represent anything the activation would clip:
 * the producer then writes the activation's output directly, and the Q node does the clamping.
 */
function absorbActivations(graph: onnx.IGraphProto, selected: Map<onnx.INodeProto, OpKind>, paramsFor: (tensor: string) => QuantParams): Map<string, string> {
  const index = new GraphIndex(graph);
  const absorbed = new Map<string, string>();
  const removed = new Set<onnx.INodeProto>();
  for (const [node, kind] of selected) {
    if (kind !== 'activation') continue;
    const input = node.input?.[0] ?? '';
    const producer = index.producer(input);
    const producerKind = producer ? selected.get(producer) : undefined;
    if (!producer || !producerKind || producerKind === 'activation' || producerKind === 'passthrough') continue;
    if (index.consumers(input).length !== 1 || index.isGraphOutput(input)) continue;
    const bounds = activationBounds(node, index);
    if (!bounds) continue;
    const out = node.output![0]!;
    const p = paramsFor(out);
    const grid = representableRange(p);
    // (An activation that only ever output one value gets scale 1: its grid may overshoot the upper
    // bound, but calibration saw nothing there.)
    const degenerate = p.scale === 1 && grid.max - grid.min === 255;
    if (grid.min < bounds.min - p.scale / 2 || (grid.max > bounds.max + p.scale / 2 && !degenerate)) continue;
    producer.output = [out, ...(producer.output ?? []).slice(1)];
    removed.add(node);
    absorbed.set(node.name ?? '', producer.name ?? '');
  }
  graph.node = (graph.node ?? []).filter((n) => !removed.has(n));
  for (const node of removed) selected.delete(node);
  return absorbed;
}

function activationBounds(node: onnx.INodeProto, index: GraphIndex): { min: number; max: number } | undefined {
  if (node.opType === 'Relu') return { min: 0, max: Infinity };
  const scalar = (name: string | undefined, fallback: number): number | undefined => {
    if (!name) return fallback;
    const t = index.initializer(name);
    if (!t) return undefined;
    const values = readFloat32(t);
    return values.length === 1 ? values[0]! : undefined;
  };
  const min = scalar(node.input?.[1], -Infinity);
  const max = scalar(node.input?.[2], Infinity);
  return min === undefined || max === undefined ? undefined : { min, max };
}

function quantizeWeightedNode(
  node: onnx.INodeProto,
  index: GraphIndex,
  emitter: Emitter,
  input: { params: QuantParams; scale: string },
  perChannel: boolean,
  base: string,
): { info: QuantizedWeightInfo; clampedBias: number } {
  const layout = weightLayout(node, index);
  const wTensor = index.initializer(layout.weight)!;
  const dims = tensorDims(wTensor);
  let values = readFloat32(wTensor);
  let bias = layout.bias ? readFloat32(index.initializer(layout.bias)!) : undefined;
  if (node.opType === 'Gemm') {
    // Fold alpha and beta so that the int8 kernel computes A·B + C exactly.
    const alpha = attrFloat(node, 'alpha', 1);
    const beta = attrFloat(node, 'beta', 1);
    if (alpha !== 1) values = values.map((v) => v * alpha);
    if (bias && (beta !== 1 || bias.length === 1)) bias = Float32Array.from({ length: layout.outputChannels }, (_, i) => bias![bias!.length === 1 ? 0 : i]! * beta);
    setAttribute(node, attr.float('alpha', 1));
    setAttribute(node, attr.float('beta', 1));
  }
  const axis = perChannel ? layout.axis : undefined;
  // Keep every int32 bias value in range: its scale is inputScale × weightScale, so a channel with
  // near-zero weights but a real bias gets a larger weight scale (its weights then round to ~0 anyway).
  const minScales = bias ? Float32Array.from(bias, (b) => Math.abs(b) / (input.params.scale * BIAS_LIMIT)) : undefined;
  const q = quantizeWeights(values, dims, axis, {
    float16Scales: true,
    minScales: minScales && axis === undefined ? Float32Array.of(Math.max(...minScales)) : minScales,
  });
  const wq = emitter.constant(`${base}_weight_quantized`, DT.INT8, dims, q.values);
  const scaleDims = axis === undefined ? [] : [q.scales.length];
  let ws: string;
  if (q.float16Exponent !== null) {
    ws = emitFloat16Scales(emitter, base, scaleDims, q.scales, q.float16Exponent);
  } else {
    ws = emitter.constant(`${base}_weight_scale`, DT.FLOAT, scaleDims, q.scales);
  }
  const wdq = emitter.name(`${base}_weight_dequantized`);
  emitter.node('DequantizeLinear', `${base}_weight_DequantizeLinear`, [wq, ws], [wdq], axis === undefined ? [] : [attr.int('axis', axis)]);
  const inputs = [node.input![0]!, wdq];
  let clampedBias = 0;
  if (bias) {
    const b = quantizeBias(bias, input.params.scale, q.scales);
    clampedBias = b.clamped;
    const perChannelBias = axis !== undefined;
    const bq = emitter.constant(`${base}_bias_quantized`, DT.INT32, [bias.length], b.values);
    // The bias scale is inputScale × weightScale. Computing it with a Mul of the two stored scales
    // (float32, so bit-identical to the scale the int32 values were rounded with) instead of storing
    // it saves 4 bytes per output channel; onnxruntime constant-folds the Mul before fusing QDQ groups.
    const bs = emitter.name(`${base}_bias_scale`);
    emitter.node('Mul', `${base}_bias_scale_Mul`, [input.scale, ws], [bs]);
    const bdq = emitter.name(`${base}_bias_dequantized`);
    emitter.node('DequantizeLinear', `${base}_bias_DequantizeLinear`, [bq, bs], [bdq], perChannelBias ? [attr.int('axis', 0)] : []);
    inputs.push(bdq);
  }
  node.input = inputs;
  return {
    info: { node: node.name ?? '', weight: layout.weight, axis: axis ?? null, channels: q.scales.length, maxErrorInScales: weightErrorInScales(values, q, dims) },
    clampedBias,
  };
}

/**
 * Weight scales stored as float16 (× 2^k, exact: they were rounded that way before quantizing) and
 * restored by Cast (and a power-of-two Mul): half the bytes of float32 scales. onnxruntime folds
 * these constant ops into a float initializer before it fuses the QDQ groups.
 */
export function emitFloat16Scales(emitter: Emitter, base: string, dims: readonly number[], scales: Float32Array, exponent: number): string {
  const half = emitter.constant(`${base}_weight_scale_f16`, DT.FLOAT16, dims, float32ArrayToFloat16(scales.map((s) => s * 2 ** exponent)).bits);
  const cast = emitter.name(exponent === 0 ? `${base}_weight_scale` : `${base}_weight_scale_shifted`);
  emitter.node('Cast', `${base}_weight_scale_Cast`, [half], [cast], [attr.int('to', DT.FLOAT)]);
  if (exponent === 0) return cast;
  const shift = emitter.constant(`${base}_weight_scale_shift`, DT.FLOAT, [], Float32Array.of(2 ** -exponent));
  const out = emitter.name(`${base}_weight_scale`);
  emitter.node('Mul', `${base}_weight_scale_Mul`, [cast, shift], [out]);
  return out;
}

/** A constant operand of Add/Mul/Concat, stored quantized with its own min/max parameters. */
function quantizeConstantInput(name: string, index: GraphIndex, emitter: Emitter, type: ActivationType): string {
  const tensor = index.initializer(name)!;
  const values = readFloat32(tensor);
  let min = Infinity;
  let max = -Infinity;
  for (const v of values) {
    min = Math.min(min, v);
    max = Math.max(max, v);
  }
  const p = affineParams(Math.min(min, 0), Math.max(max, 0), type);
  const q = type === 'uint8' ? new Uint8Array(values.length) : new Int8Array(values.length);
  for (let i = 0; i < values.length; i++) q[i] = quantizeValue(values[i]!, p);
  const dims = tensorDims(tensor);
  const qName = emitter.constant(`${name}_quantized`, type === 'uint8' ? DT.UINT8 : DT.INT8, dims, q);
  const s = emitter.constant(`${name}_scale`, DT.FLOAT, [], Float32Array.of(p.scale));
  const zp = emitter.constant(`${name}_zero_point`, type === 'uint8' ? DT.UINT8 : DT.INT8, [], type === 'uint8' ? Uint8Array.of(p.zeroPoint) : Int8Array.of(p.zeroPoint));
  const dq = emitter.name(`${name}_dequantized`);
  emitter.node('DequantizeLinear', `${name}_DequantizeLinear`, [qName, s, zp], [dq]);
  return dq;
}

/** Collects new nodes and initializers with names unique in the graph. */
export class Emitter {
  readonly nodes: onnx.INodeProto[] = [];
  readonly initializers: onnx.ITensorProto[] = [];

  constructor(
    readonly graph: onnx.IGraphProto,
    private readonly index: GraphIndex,
  ) {}

  name(base: string): string {
    return this.index.uniqueName(base);
  }

  constant(base: string, dataType: number, dims: readonly number[], data: ArrayBufferView & { length: number }): string {
    const name = this.name(base);
    this.initializers.push(makeTensor(name, dataType as typeof DT.FLOAT, dims, data as Float32Array));
    return name;
  }

  node(opType: string, name: string, inputs: string[], outputs: string[], attributes: onnx.IAttributeProto[] = [], domain = ''): onnx.INodeProto {
    const node: onnx.INodeProto = { opType, name: this.name(name), input: inputs, output: outputs, attribute: attributes, domain };
    this.nodes.push(node);
    return node;
  }
}
