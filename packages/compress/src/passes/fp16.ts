import { CompressError } from '../errors.js';
import { attr, findAttribute, setAttribute } from '../ir/attributes.js';
import { hasExternalData } from '../ir/external-data.js';
import { GraphIndex, sortGraphInPlace } from '../ir/graph.js';
import { isDefaultDomain, opKey } from '../ir/graph-stats.js';
import { cloneModelProto, encodeModelProto } from '../ir/model-proto.js';
import { int64ToNumber, onnx } from '../ir/onnx.js';
import { float32ArrayToFloat16, makeTensor, readFloat32 } from '../ir/tensor-data.js';
import { tensorDims } from '../ir/tensors.js';
import type { PassResult } from './pass-result.js';
import { openSession, probeValueMetadata } from './value-metadata.js';

const DT = onnx.TensorProto.DataType;

/**
 * Ops `toFloat16` keeps in float32 unless told otherwise (cast to float32 before, back after):
 * - ops whose ONNX type constraints have no float16, or whose outputs are float32 whatever the
 *   inputs (quantization ops, TfIdfVectorizer, window/mel generators, random generators);
 * - ops that are fragile in half precision or compute coordinates/indices from float values, and
 *   that onnxruntime lacks float16 kernels for on common targets (the block list of
 *   onnxconverter-common's float16 converter: NonMaxSuppression, RoiAlign, TopK, Range, CumSum,
 *   Resize, Upsample, Min, Max);
 * - sequence ops (the pass follows tensor types only).
 * Ops outside the default ONNX domain (`ai.onnx.ml`, `com.microsoft`…) and nodes with subgraphs
 * are always kept in float32.
 */
export const DEFAULT_FLOAT32_OPS: readonly string[] = Object.freeze([
  'QuantizeLinear', 'DequantizeLinear', 'DynamicQuantizeLinear', 'QLinearConv', 'QLinearMatMul',
  'TfIdfVectorizer', 'MelWeightMatrix', 'HannWindow', 'HammingWindow', 'BlackmanWindow',
  'RandomNormal', 'RandomUniform', 'RandomNormalLike', 'RandomUniformLike', 'Bernoulli', 'Multinomial',
  'NonMaxSuppression', 'RoiAlign', 'TopK', 'Range', 'CumSum', 'Resize', 'Upsample', 'Min', 'Max',
  'SequenceAt', 'SequenceConstruct', 'SequenceEmpty', 'SequenceInsert', 'SequenceErase', 'SequenceLength',
  'SplitToSequence', 'ConcatFromSequence',
]);

export interface Float16Options {
  /**
   * Op types (default ONNX domain) that stay float32, with Casts around them: the block list of
   * the target. Replaces the default; extend it with `[...DEFAULT_FLOAT32_OPS, 'Softmax']`.
   * @defaultValue DEFAULT_FLOAT32_OPS
   */
  readonly keepFloat32Ops?: readonly string[];
  /** Individual nodes (by name) that stay float32, e.g. a numerically sensitive final layer. */
  readonly keepFloat32Nodes?: readonly string[];
  /**
   * Open the result in onnxruntime (CPU) before returning, so a type error shows up here and not
   * on a device. @defaultValue true
   */
  readonly verify?: boolean;
}

/** float32-only inputs of otherwise type-generic ops (Resize/Upsample `scales`), by opset. */
function fixedFloat32Inputs(node: onnx.INodeProto, opset: number): readonly number[] {
  if (!isDefaultDomain(node.domain)) return [];
  if (node.opType === 'Resize') return opset >= 11 ? [2] : [1];
  if (node.opType === 'Upsample') return [1];
  return [];
}

type Precision = 16 | 32;

/**
 * Converts a float32 model to float16 weights and computation. Graph inputs and outputs stay
 * float32 — a Cast follows each float input and precedes each float output — so callers feed and
 * read the model exactly as before. Ops kept in float32 (see `keepFloat32Ops`) get Casts on the
 * float edges where they meet float16 values; nowhere else is a Cast inserted.
 *
 * Rewritten along the way: float initializers and Constant tensors (values beyond ±65504 are
 * clamped to it, and counted), `value_info` element types, Cast `to`/`dtype` attributes that
 * produced float32, ConstantOfShape's value (its default is a float32 zero). Type-generic inputs
 * such as BatchNormalization's statistics, Clip's min/max, Pad's constant value follow the data
 * they go with, because they are initializers or computed in float16 too.
 *
 * @remarks float16 targets GPUs and NPUs. onnxruntime's CPU provider lacks float16 kernels for many
 * ops (Conv, Gemm…) and inserts its own Casts around them when loading the model, so the result
 * runs correctly on CPU but is not faster there.
 * @throws CompressError `pass/invalid_options`, `pass/refused` (no float32 tensors at all),
 * `model/runtime_rejected` when onnxruntime cannot load the input or (with `verify`) the result.
 */
export async function toFloat16(model: onnx.ModelProto, options: Float16Options = {}): Promise<PassResult> {
  const keepOps = new Set(stringList(options.keepFloat32Ops, 'keepFloat32Ops') ?? DEFAULT_FLOAT32_OPS);
  const keepNodes = new Set(stringList(options.keepFloat32Nodes, 'keepFloat32Nodes') ?? []);
  const verify = options.verify ?? true;
  if (typeof verify !== 'boolean') throw new CompressError('pass/invalid_options', 'fp16', 'verify must be a boolean');
  if (hasExternalData(model)) {
    throw new CompressError('model/external_data_unsupported', 'fp16', 'model keeps tensors in external data files; load it with readModelFile first');
  }

  const out = cloneModelProto(model);
  const graph = (out.graph ??= onnx.GraphProto.create());
  const opset = int64ToNumber(out.opsetImport.find((o) => isDefaultDomain(o.domain))?.version);
  const meta = await probeValueMetadata(out, 'fp16');
  const isFloat32 = (name: string) => !!name && meta.get(name)?.type === 'float32';
  const index = new GraphIndex(graph);
  const nodes = [...(graph.node ?? [])];
  const skipped: { node: string; reason: string }[] = [];

  // 1. Which nodes compute in float16.
  const blocked = new Set<onnx.INodeProto>();
  for (const node of nodes) {
    const reason = blockReason(node, keepOps, keepNodes);
    if (!reason) continue;
    blocked.add(node);
    if ((node.input ?? []).some(isFloat32) || (node.output ?? []).some(isFloat32)) skipped.push({ node: nodeLabel(node), reason });
  }
  const wants = (node: onnx.INodeProto, inputIndex: number): Precision =>
    blocked.has(node) || fixedFloat32Inputs(node, opset).includes(inputIndex) ? 32 : 16;
  const consumerWants = (value: string): Precision[] =>
    index.consumers(value).flatMap((c) => (c.input ?? []).flatMap((name, i) => (name === value ? [wants(c, i)] : [])));
  // Constants feeding only float32 consumers stay float32 rather than round-tripping through a Cast.
  for (const node of nodes) {
    if (node.opType !== 'Constant' || blocked.has(node)) continue;
    const value = node.output?.[0] ?? '';
    if (isFloat32(value) && (index.isGraphOutput(value) || !consumerWants(value).includes(16))) blocked.add(node);
  }

  // 2. The precision every float32 value lives in after the rewrite. Graph outputs and values
  // that subgraph bodies read from the outer scope keep float32 under their own name.
  const pinned = new Set([...(graph.output ?? []).map((o) => o.name ?? ''), ...outerReferences(graph)]);
  const home = new Map<string, Precision>();
  for (const input of graph.input ?? []) if (isFloat32(input.name ?? '') && !index.initializer(input.name ?? '')) home.set(input.name!, 32);
  for (const tensor of graph.initializer ?? []) {
    const name = tensor.name ?? '';
    if (tensor.dataType !== DT.FLOAT) continue;
    const toHalf = !pinned.has(name) && !(graph.input ?? []).some((i) => i.name === name) && consumerWants(name).includes(16);
    home.set(name, toHalf ? 16 : 32);
  }
  for (const node of nodes) for (const name of node.output ?? []) if (isFloat32(name)) home.set(name, blocked.has(node) ? 32 : 16);

  // 3. Weights and constants.
  const clamped: { tensor: string; values: number }[] = [];
  let tensorsConverted = 0;
  const convert = (tensor: onnx.ITensorProto, label: string): onnx.TensorProto => {
    const { bits, clamped: count } = float32ArrayToFloat16(readFloat32(tensor));
    if (count > 0) clamped.push({ tensor: label, values: count });
    tensorsConverted++;
    return makeTensor(tensor.name ?? '', DT.FLOAT16, tensorDims(tensor), bits);
  };
  graph.initializer = (graph.initializer ?? []).map((t) => (t.dataType === DT.FLOAT && home.get(t.name ?? '') === 16 ? convert(t, t.name ?? '') : t));
  for (const node of nodes) {
    if (blocked.has(node) || !(node.output ?? []).some((o) => home.get(o) === 16)) continue;
    rewriteTypedAttributes(node, convert);
  }

  // 4. Casts where a value's precision differs from what its consumer wants.
  const casts: onnx.INodeProto[] = [];
  const castCache = new Map<string, string>();
  const castOf = (value: string, to: Precision): string => {
    const key = `${to}:${value}`;
    let name = castCache.get(key);
    if (!name) {
      name = index.uniqueName(`${value}_${to === 16 ? 'fp16' : 'fp32'}`);
      casts.push(castNode(index, value, name, to));
      castCache.set(key, name);
    }
    return name;
  };
  // Pinned values computed in float16: the producer writes a renamed float16 value, and a Cast
  // restores the float32 value under the original name.
  for (const name of pinned) {
    if (home.get(name) !== 16 || !index.producer(name)) continue;
    const half = index.uniqueName(`${name}_fp16`);
    const producer = index.producer(name)!;
    producer.output = (producer.output ?? []).map((o) => (o === name ? half : o));
    home.set(half, 16);
    home.set(name, 32);
    for (const consumer of index.consumers(name)) consumer.input = (consumer.input ?? []).map((i) => (i === name ? half : i));
    casts.push(castNode(index, half, name, 32));
    castCache.set(`32:${half}`, name);
  }
  for (const node of nodes) {
    const isCast = node.opType === 'Cast' && isDefaultDomain(node.domain);
    node.input = (node.input ?? []).map((name, i) => {
      const have = home.get(name);
      // A Cast takes any input type: never cast in front of one.
      if (have === undefined || (isCast && i === 0)) return name;
      const want = wants(node, i);
      return have === want ? name : castOf(name, want);
    });
    // A float16 → float16 Cast (it was float32 → float32) is an identity, and onnxruntime's CPU
    // provider rejects it as a Cast: make it an Identity.
    if (isCast && !blocked.has(node) && home.get(node.input?.[0] ?? '') === 16 && home.get(node.output?.[0] ?? '') === 16) {
      node.opType = 'Identity';
      node.attribute = [];
    }
  }
  graph.node = [...nodes, ...casts];

  // 5. Declared types.
  for (const info of [...(graph.valueInfo ?? []), ...(graph.input ?? [])]) {
    const tensorType = info.type?.tensorType;
    if (tensorType && tensorType.elemType === DT.FLOAT && home.get(info.name ?? '') === 16) tensorType.elemType = DT.FLOAT16;
  }
  sortGraphInPlace(graph);

  if (tensorsConverted === 0 && ![...home.values()].includes(16)) {
    throw new CompressError('pass/refused', 'fp16', 'nothing to convert: the model has no float32 tensors outside ops kept in float32');
  }
  if (verify) await (await openSession(encodeModelProto(out), { graphOptimizationLevel: 'disabled' }, 'fp16')).release();

  const inFloat16 = nodes.filter((n) => (n.output ?? []).some((o) => home.get(o) === 16)).length;
  const castsAtInputs = casts.filter((c) => index.isGraphInput(c.input?.[0] ?? '')).length;
  const castsAtOutputs = casts.filter((c) => index.isGraphOutput(c.output?.[0] ?? '')).length;
  const clampedValues = clamped.reduce((sum, c) => sum + c.values, 0);
  const notes = [
    `${tensorsConverted} tensors converted to float16; ${casts.length} Cast nodes inserted (${castsAtInputs} at graph inputs, ${castsAtOutputs} at graph outputs, ${casts.length - castsAtInputs - castsAtOutputs} around ops kept in float32)`,
  ];
  if (clampedValues > 0) notes.push(`${clampedValues} values outside ±65504 clamped in ${clamped.length} tensors`);
  return {
    model: out,
    report: {
      pass: 'fp16',
      changed: tensorsConverted + inFloat16,
      skipped,
      notes,
      details: {
        tensorsConverted,
        nodesInFloat16: inFloat16,
        nodesInFloat32: [...blocked].filter((n) => n.opType !== 'Constant').length,
        castsInserted: casts.length,
        castsAtInputs,
        castsAtOutputs,
        clampedValues,
        clamped,
        keepFloat32Ops: [...keepOps],
      },
    },
  };
}

/** Names that nodes inside If/Loop/Scan bodies read from the enclosing graph (implicit inputs). */
function outerReferences(graph: onnx.IGraphProto): Set<string> {
  const found = new Set<string>();
  const visit = (sub: onnx.IGraphProto) => {
    const local = new Set([...(sub.input ?? []).map((i) => i.name ?? ''), ...(sub.initializer ?? []).map((t) => t.name ?? '')]);
    for (const node of sub.node ?? []) for (const o of node.output ?? []) local.add(o);
    for (const node of sub.node ?? []) {
      for (const i of node.input ?? []) if (i && !local.has(i)) found.add(i);
      for (const a of node.attribute ?? []) for (const g of [...(a.g ? [a.g] : []), ...(a.graphs ?? [])]) visit(g);
    }
  };
  for (const node of graph.node ?? []) for (const a of node.attribute ?? []) for (const g of [...(a.g ? [a.g] : []), ...(a.graphs ?? [])]) visit(g);
  return found;
}

function blockReason(node: onnx.INodeProto, keepOps: ReadonlySet<string>, keepNodes: ReadonlySet<string>): string | undefined {
  if (!isDefaultDomain(node.domain)) return `${opKey(node)} is outside the default ONNX domain; kept in float32`;
  if ((node.attribute ?? []).some((a) => a.g || (a.graphs ?? []).length > 0)) return `${node.opType} has subgraphs, which the pass does not enter; kept in float32`;
  if (keepOps.has(node.opType ?? '')) return `${node.opType} is in keepFloat32Ops`;
  if (node.name && keepNodes.has(node.name)) return 'listed in keepFloat32Nodes';
  if (node.opType === 'Constant' && findAttribute(node, 'sparse_value')) return 'sparse Constant; kept in float32';
  return undefined;
}

/** Attributes that fix a float32 element type on a node that now computes in float16. */
function rewriteTypedAttributes(node: onnx.INodeProto, convert: (t: onnx.ITensorProto, label: string) => onnx.TensorProto): void {
  const label = nodeLabel(node);
  for (const a of node.attribute ?? []) {
    if ((a.name === 'to' || a.name === 'dtype') && int64ToNumber(a.i) === DT.FLOAT) setAttribute(node, attr.int(a.name, DT.FLOAT16));
  }
  if (node.opType === 'Constant') {
    const value = findAttribute(node, 'value');
    const single = findAttribute(node, 'value_float');
    const list = findAttribute(node, 'value_floats');
    if (value?.t && value.t.dataType === DT.FLOAT) setAttribute(node, attr.tensor('value', convert(value.t, label)));
    if (single) replaceWithTensor(node, 'value_float', convert(makeTensor('', DT.FLOAT, [], Float32Array.of(single.f ?? 0)), label));
    if (list) replaceWithTensor(node, 'value_floats', convert(makeTensor('', DT.FLOAT, [(list.floats ?? []).length], Float32Array.from(list.floats ?? [])), label));
  }
  if (node.opType === 'ConstantOfShape') {
    const value = findAttribute(node, 'value');
    if (!value?.t) setAttribute(node, attr.tensor('value', makeTensor('', DT.FLOAT16, [1], Uint16Array.of(0))));
    else if (value.t.dataType === DT.FLOAT) setAttribute(node, attr.tensor('value', convert(value.t, label)));
  }
}

function replaceWithTensor(node: onnx.INodeProto, attributeName: string, tensor: onnx.TensorProto): void {
  node.attribute = (node.attribute ?? []).filter((a) => a.name !== attributeName);
  setAttribute(node, attr.tensor('value', tensor));
}

function castNode(index: GraphIndex, input: string, output: string, to: Precision): onnx.INodeProto {
  return onnx.NodeProto.create({
    name: index.uniqueName(`Cast_${output}`),
    opType: 'Cast',
    input: [input],
    output: [output],
    attribute: [attr.int('to', to === 16 ? DT.FLOAT16 : DT.FLOAT)],
  });
}

function nodeLabel(node: onnx.INodeProto): string {
  return node.name || `${node.opType}(${(node.output ?? []).join(',')})`;
}

function stringList(value: unknown, option: string): string[] | undefined {
  if (value === undefined) return undefined;
  if (!Array.isArray(value) || value.some((v) => typeof v !== 'string')) {
    throw new CompressError('pass/invalid_options', 'fp16', `${option} must be an array of op type / node name strings`);
  }
  return value as string[];
}
