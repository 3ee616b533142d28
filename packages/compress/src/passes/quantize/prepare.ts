import { attrFloat, attrInt, attrInts, attrString, attr, setAttribute } from '../../ir/attributes.js';
import { GraphIndex, removeUnusedInitializers, sortGraphInPlace } from '../../ir/graph.js';
import { cloneModelProto } from '../../ir/model-proto.js';
import { onnx } from '../../ir/onnx.js';
import { makeTensor, readFloat32, readIntegers } from '../../ir/tensor-data.js';
import { tensorDims } from '../../ir/tensors.js';
import { constantWeightsToInitializers } from '../graph-edit.js';
import { upgradeOpset } from './opset.js';

const DT = onnx.TensorProto.DataType;

/** The opset the quantized graphs use: DequantizeLinear's `axis` (per-channel scales) needs 13. */
export const QUANTIZE_OPSET = 13;

export interface PreparedModel {
  /** A float model, numerically equivalent to the input, ready for quantization. */
  readonly model: onnx.ModelProto;
  readonly notes: readonly string[];
  readonly foldedBatchNorms: number;
  readonly foldedPads: number;
  readonly removedIdentities: number;
}

/**
 * Float-to-float clean-up that quantization needs, on a copy of the model:
 * - upgrades the default-domain opset to 13 (per-channel DequantizeLinear),
 * - drops Identity (and inference-mode Dropout) nodes,
 * - folds BatchNormalization into the Conv before it (per-channel weight scales then see the folded
 *   weights, and the Conv can fuse into QLinearConv),
 * - folds a zero constant Pad into the Conv after it (Pad has no int8 kernel that fuses).
 */
export function prepareForQuantization(input: onnx.ModelProto, options: PrepareOptions = {}): PreparedModel {
  const model = cloneModelProto(input);
  const notes = options.upgradeOpset === false ? [] : upgradeOpset(model, QUANTIZE_OPSET);
  const graph = model.graph!;
  nameNodes(graph);
  const movedConstants = constantWeightsToInitializers(model);
  const removedIdentities = removeIdentities(graph);
  const foldedBatchNorms = foldBatchNorms(graph);
  const foldedPads = foldPads(graph);
  const splitGemms = options.gemmToMatMul ? gemmsToMatMul(graph) : 0;
  sortGraphInPlace(graph);
  removeUnusedInitializers(graph);
  if (movedConstants > 0) notes.push(`moved ${movedConstants} Constant-node weight(s) into initializers`);
  if (removedIdentities > 0) notes.push(`removed ${removedIdentities} Identity/Dropout node(s)`);
  if (foldedBatchNorms > 0) notes.push(`folded ${foldedBatchNorms} BatchNormalization node(s) into the preceding Conv`);
  if (foldedPads > 0) notes.push(`folded ${foldedPads} Pad node(s) into the following Conv's pads`);
  if (splitGemms > 0) notes.push(`rewrote ${splitGemms} Gemm node(s) as MatMul + bias Add (onnxruntime fuses those QDQ groups, not Gemm's)`);
  return { model, notes, foldedBatchNorms, foldedPads, removedIdentities };
}

export interface PrepareOptions {
  /** @defaultValue true */
  readonly upgradeOpset?: boolean;
  /**
   * Rewrite Gemm (constant B, transA=0) as MatMul + Add: onnxruntime 1.30's CPU provider fuses
   * QDQ MatMul and Add into QLinearMatMul/QLinearAdd but leaves a QDQ Gemm unfused (float Gemm
   * fed by DequantizeLinear every run). The MatMul keeps the Gemm's name. @defaultValue false
   */
  readonly gemmToMatMul?: boolean;
}

/** Decisions are keyed by node name: unnamed nodes get one (from their first output), duplicates a suffix. */
function nameNodes(graph: onnx.IGraphProto): void {
  const index = new GraphIndex(graph);
  const seen = new Set<string>();
  for (const node of graph.node ?? []) {
    if (!node.name || seen.has(node.name)) node.name = index.uniqueName(node.name || `${node.opType}_${node.output?.[0] ?? ''}`);
    seen.add(node.name);
  }
}

function removeIdentities(graph: onnx.IGraphProto): number {
  const index = new GraphIndex(graph);
  const rename = new Map<string, string>();
  const keep: onnx.INodeProto[] = [];
  for (const node of graph.node ?? []) {
    const isDropout = node.opType === 'Dropout' && (node.output ?? []).slice(1).every((o) => !o || (index.consumers(o).length === 0 && !index.isGraphOutput(o)));
    const out = node.output?.[0] ?? '';
    if ((node.opType === 'Identity' || isDropout) && (node.domain ?? '') === '' && !index.isGraphOutput(out)) {
      rename.set(out, node.input![0]!);
      continue;
    }
    keep.push(node);
  }
  const resolve = (name: string): string => {
    let current = name;
    while (rename.has(current)) current = rename.get(current)!;
    return current;
  };
  for (const node of keep) node.input = (node.input ?? []).map((i) => (i ? resolve(i) : i));
  graph.node = keep;
  return rename.size;
}

function foldBatchNorms(graph: onnx.IGraphProto): number {
  const index = new GraphIndex(graph);
  const removed = new Set<onnx.INodeProto>();
  const added: onnx.ITensorProto[] = [];
  for (const bn of graph.node ?? []) {
    if (bn.opType !== 'BatchNormalization' || (bn.domain ?? '') !== '') continue;
    if (attrInt(bn, 'training_mode', 0) !== 0 || (bn.output ?? []).filter(Boolean).length !== 1) continue;
    const x = bn.input?.[0] ?? '';
    const conv = index.producer(x);
    if (!conv || conv.opType !== 'Conv' || (conv.domain ?? '') !== '' || removed.has(conv)) continue;
    if (index.consumers(x).length !== 1 || index.isGraphOutput(x)) continue;
    const params = (bn.input ?? []).slice(1, 5).map((name) => index.initializer(name));
    const w = index.initializer(conv.input?.[1] ?? '');
    const b = conv.input?.[2] ? index.initializer(conv.input[2]) : undefined;
    if (params.some((p) => !p) || !w || (conv.input?.[2] && !b)) continue;
    const [scale, shift, mean, variance] = params.map((p) => readFloat32(p!)) as [Float32Array, Float32Array, Float32Array, Float32Array];
    const epsilon = attrFloat(bn, 'epsilon', 1e-5);
    const weights = readFloat32(w);
    const channels = scale.length;
    if (weights.length % channels !== 0 || tensorDims(w)[0] !== channels) continue;
    const perChannel = weights.length / channels;
    const bias = b ? readFloat32(b) : new Float32Array(channels);
    const folded = new Float32Array(weights.length);
    const foldedBias = new Float32Array(channels);
    for (let c = 0; c < channels; c++) {
      const s = scale[c]! / Math.sqrt(variance[c]! + epsilon);
      for (let k = 0; k < perChannel; k++) folded[c * perChannel + k] = weights[c * perChannel + k]! * s;
      foldedBias[c] = (bias[c]! - mean[c]!) * s + shift[c]!;
    }
    const base = conv.name || conv.output![0]!;
    const wName = index.uniqueName(`${base}_w_bn`);
    const bName = index.uniqueName(`${base}_b_bn`);
    added.push(makeTensor(wName, DT.FLOAT, tensorDims(w), folded), makeTensor(bName, DT.FLOAT, [channels], foldedBias));
    conv.input = [conv.input![0]!, wName, bName];
    conv.output = [bn.output![0]!];
    removed.add(bn);
  }
  graph.node = (graph.node ?? []).filter((n) => !removed.has(n));
  graph.initializer = [...(graph.initializer ?? []), ...added];
  return removed.size;
}

function foldPads(graph: onnx.IGraphProto): number {
  const index = new GraphIndex(graph);
  const removed = new Set<onnx.INodeProto>();
  for (const pad of graph.node ?? []) {
    if (pad.opType !== 'Pad' || (pad.domain ?? '') !== '' || (attrString(pad, 'mode') ?? 'constant') !== 'constant') continue;
    const out = pad.output?.[0] ?? '';
    const consumers = index.consumers(out);
    const conv = consumers[0];
    if (consumers.length !== 1 || index.isGraphOutput(out) || !conv || conv.opType !== 'Conv' || conv.input?.[0] !== out) continue;
    if ((attrString(conv, 'auto_pad') ?? 'NOTSET') !== 'NOTSET') continue;
    const padsTensor = index.initializer(pad.input?.[1] ?? '');
    const valueName = pad.input?.[2];
    if (!padsTensor || (pad.input?.[3] ?? '') !== '') continue;
    if (valueName) {
      const value = index.initializer(valueName);
      if (!value || readFloat32(value).some((v) => v !== 0)) continue;
    }
    const pads = readIntegers(padsTensor);
    const rank = pads.length / 2;
    if (rank < 3 || pads.some((p) => p < 0) || pads[0] !== 0 || pads[1] !== 0 || pads[rank] !== 0 || pads[rank + 1] !== 0) continue;
    const spatial = rank - 2;
    const convPads = attrInts(conv, 'pads') ?? new Array<number>(2 * spatial).fill(0);
    if (convPads.length !== 2 * spatial) continue;
    const merged = convPads.map((p, i) => p + (i < spatial ? pads[2 + i]! : pads[rank + 2 + (i - spatial)]!));
    setAttribute(conv, attr.ints('pads', merged));
    conv.input = [pad.input![0]!, ...(conv.input ?? []).slice(1)];
    removed.add(pad);
  }
  graph.node = (graph.node ?? []).filter((n) => !removed.has(n));
  return removed.size;
}

function gemmsToMatMul(graph: onnx.IGraphProto): number {
  const index = new GraphIndex(graph);
  const added: onnx.ITensorProto[] = [];
  const nodes: onnx.INodeProto[] = [];
  let rewritten = 0;
  for (const node of graph.node ?? []) {
    const b = node.opType === 'Gemm' && (node.domain ?? '') === '' ? index.initializer(node.input?.[1] ?? '') : undefined;
    const cName = node.input?.[2];
    const c = cName ? index.initializer(cName) : undefined;
    if (!b || attrInt(node, 'transA', 0) !== 0 || (cName && !c) || b.dataType !== DT.FLOAT || tensorDims(b).length !== 2) {
      nodes.push(node);
      continue;
    }
    const [rows, cols] = tensorDims(b) as [number, number];
    const transB = attrInt(node, 'transB', 0) === 1;
    const alpha = attrFloat(node, 'alpha', 1);
    const beta = attrFloat(node, 'beta', 1);
    const values = readFloat32(b);
    const weights = new Float32Array(values.length);
    const [k, n] = transB ? [cols, rows] : [rows, cols];
    for (let i = 0; i < k; i++) for (let j = 0; j < n; j++) weights[i * n + j] = alpha * values[transB ? j * cols + i : i * cols + j]!;
    const base = node.name || node.output![0]!;
    const wName = index.uniqueName(`${base}_weight`);
    added.push(makeTensor(wName, DT.FLOAT, [k, n], weights));
    const out = node.output![0]!;
    if (!c) {
      nodes.push({ opType: 'MatMul', name: node.name ?? '', input: [node.input![0]!, wName], output: [out], domain: '' });
    } else {
      const product = index.uniqueName(`${base}_product`);
      const bias = readFloat32(c).map((v) => v * beta);
      const biasName = index.uniqueName(`${base}_bias`);
      added.push(makeTensor(biasName, DT.FLOAT, tensorDims(c), bias));
      nodes.push(
        { opType: 'MatMul', name: node.name ?? '', input: [node.input![0]!, wName], output: [product], domain: '' },
        { opType: 'Add', name: index.uniqueName(`${base}_bias_add`), input: [product, biasName], output: [out], domain: '' },
      );
    }
    rewritten++;
  }
  graph.node = nodes;
  graph.initializer = [...(graph.initializer ?? []), ...added];
  return rewritten;
}
