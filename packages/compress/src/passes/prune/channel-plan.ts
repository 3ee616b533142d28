import { attr, attrInt, attrInts } from '../../ir/attributes.js';
import { GraphIndex } from '../../ir/graph.js';
import { isDefaultDomain, opKey } from '../../ir/graph-stats.js';
import type { onnx } from '../../ir/onnx.js';
import { readIntegers } from '../../ir/tensor-data.js';
import { tensorDims } from '../../ir/tensors.js';
import { constantTensor } from '../graph-edit.js';
import type { ValueMetadata } from '../value-metadata.js';
import { nodeLabel } from './options.js';
import { int64Tensor, replaceConstantInput, withoutPositions } from './tensor-edit.js';

/**
 * Where removed channels live in one value: positions along one axis. Channel c of a Conv output
 * is position c on axis 1; after a Flatten it is the block c·S … c·S+S−1 on axis 1 (S = spatial
 * size); after a depthwise Conv with multiplier m it is c·m … c·m+m−1.
 */
interface ChannelSpace {
  readonly value: string;
  readonly axis: number;
  readonly rank: number;
  /** Current length of `axis`. */
  readonly size: number;
  /** Sorted positions along `axis` that go away. */
  readonly removed: readonly number[];
}

/** One change a plan makes; nothing is changed until the whole plan is known to be safe. */
type Edit =
  | { readonly kind: 'slice'; readonly node: onnx.INodeProto; readonly input: number; readonly axis: number; readonly removed: readonly number[] }
  | { readonly kind: 'ints'; readonly node: onnx.INodeProto; readonly input: number; readonly values: readonly number[] }
  | { readonly kind: 'attr'; readonly node: onnx.INodeProto; readonly attribute: onnx.IAttributeProto }
  | { readonly kind: 'shape'; readonly value: string; readonly axis: number; readonly size: number };

export type ChannelPlan = { readonly ok: true; readonly edits: readonly Edit[]; readonly rewired: readonly string[] } | { readonly ok: false; readonly reason: string };

export interface PlanContext {
  readonly graph: onnx.IGraphProto;
  readonly meta: ReadonlyMap<string, ValueMetadata>;
  readonly opset: number;
}

// Element-wise on one tensor: channel c of the output depends on channel c of the input only.
const UNARY = new Set([
  'Relu', 'LeakyRelu', 'Sigmoid', 'Tanh', 'HardSigmoid', 'HardSwish', 'Elu', 'Selu', 'Celu', 'Softplus', 'Softsign', 'Gelu',
  'Mish', 'ThresholdedRelu', 'Identity', 'Abs', 'Neg', 'Sqrt', 'Exp', 'Log', 'Erf', 'Floor', 'Ceil', 'Round', 'Reciprocal',
  'Sign', 'Cast', 'Clip', 'Dropout', 'Sin', 'Cos',
]);
// Element-wise on two tensors with broadcasting: fine when the other operand is a constant.
const BINARY = new Set(['Add', 'Sub', 'Mul', 'Div', 'Pow', 'PRelu']);
const POOLS = new Set(['MaxPool', 'AveragePool', 'LpPool', 'GlobalAveragePool', 'GlobalMaxPool', 'GlobalLpPool']);

/**
 * Plans the removal of output channels `removed` of `source` (a Conv, Gemm or MatMul with
 * constant weights): slicing its own weights and bias, then following the channels forward through
 * everything that carries them to the layers that consume them, which lose the matching input
 * channels. Returns a refusal (with the reason) instead of a plan wherever that is not provably
 * exact: a residual Add/Concat, a graph output, a grouped Conv, a Reshape it cannot rewrite, any
 * op it does not know.
 */
export function planChannelRemoval(ctx: PlanContext, source: onnx.INodeProto, removed: readonly number[]): ChannelPlan {
  const index = new GraphIndex(ctx.graph);
  const edits: Edit[] = [];
  const rewired: string[] = [];
  const out = source.output?.[0] ?? '';
  const weightName = source.input?.[1] ?? '';
  const weight = constantTensor(index, weightName);
  if (!weight) return refuse(`${source.opType} weight "${weightName}" is not a constant`);
  const wDims = tensorDims(weight);
  let space: ChannelSpace;
  switch (source.opType) {
    case 'Conv': {
      edits.push({ kind: 'slice', node: source, input: 1, axis: 0, removed });
      if (source.input?.[2]) {
        if (!constantTensor(index, source.input[2])) return refuse('Conv bias is computed, not a constant');
        edits.push({ kind: 'slice', node: source, input: 2, axis: 0, removed });
      }
      space = { value: out, axis: 1, rank: wDims.length, size: wDims[0]!, removed };
      break;
    }
    case 'Gemm': {
      const transB = attrInt(source, 'transB', 0) !== 0;
      edits.push({ kind: 'slice', node: source, input: 1, axis: transB ? 0 : 1, removed });
      const n = wDims[transB ? 0 : 1]!;
      if (source.input?.[2]) {
        const c = constantTensor(index, source.input[2]);
        if (!c) return refuse('Gemm bias is computed, not a constant');
        const cDims = tensorDims(c);
        const axis = cDims.length - 1;
        if (cDims.length > 0 && cDims[axis] === n && n > 1) edits.push({ kind: 'slice', node: source, input: 2, axis, removed });
        else if (cDims.length > 0 && cDims[axis] !== 1) return refuse(`Gemm bias of shape [${cDims.join(',')}] does not broadcast per output unit`);
      }
      space = { value: out, axis: 1, rank: 2, size: n, removed };
      break;
    }
    case 'MatMul': {
      if (wDims.length !== 2) return refuse('MatMul weight is not a matrix');
      const rank = rankOf(ctx, out);
      if (rank === undefined) return refuse('MatMul output rank is unknown');
      edits.push({ kind: 'slice', node: source, input: 1, axis: 1, removed });
      space = { value: out, axis: rank - 1, rank, size: wDims[1]!, removed };
      break;
    }
    default:
      return refuse(`${source.opType} is not a prunable layer`);
  }
  const reason = follow(ctx, index, space, edits, rewired, new Set([source]));
  return reason ? refuse(reason) : { ok: true, edits, rewired };
}

/** Follows a channel space to every consumer; returns a refusal reason, or undefined when all is handled. */
function follow(ctx: PlanContext, index: GraphIndex, space: ChannelSpace, edits: Edit[], rewired: string[], seen: Set<onnx.INodeProto>): string | undefined {
  if (index.isGraphOutput(space.value)) return `its channels reach graph output "${space.value}" (the graph's output shape must not change)`;
  edits.push({ kind: 'shape', value: space.value, axis: space.axis, size: space.size - space.removed.length });
  for (const consumer of index.consumers(space.value)) {
    if (seen.has(consumer)) continue;
    seen.add(consumer);
    const slots = (consumer.input ?? []).flatMap((name, i) => (name === space.value ? [i] : []));
    const outcome = through(ctx, index, consumer, slots, space, edits);
    if (typeof outcome === 'string') return outcome;
    rewired.push(nodeLabel(consumer));
    for (const next of outcome) {
      const reason = follow(ctx, index, next, edits, rewired, seen);
      if (reason) return reason;
    }
  }
  return undefined;
}

/**
 * What one consumer does with the channels: a refusal reason, or the channel spaces of its outputs
 * that carry them on (empty for a layer that consumes them: Conv, Gemm, MatMul).
 */
function through(ctx: PlanContext, index: GraphIndex, node: onnx.INodeProto, slots: readonly number[], space: ChannelSpace, edits: Edit[]): ChannelSpace[] | string {
  const op = node.opType ?? '';
  const label = `${op} "${nodeLabel(node)}"`;
  if (!isDefaultDomain(node.domain)) return `${opKey(node)} "${nodeLabel(node)}" (not a standard ONNX op) reads the channels`;
  const onlyData = slots.length === 1 && slots[0] === 0;
  const carry = (output = node.output?.[0] ?? '', next: Partial<ChannelSpace> = {}): ChannelSpace[] => [{ ...space, value: output, ...next }];
  const extraOutputsUnused = () => (node.output ?? []).slice(1).every((o) => !o || (index.consumers(o).length === 0 && !index.isGraphOutput(o)));

  if (UNARY.has(op)) {
    if (!onlyData) return `${label} reads the channels as a parameter`;
    if (!extraOutputsUnused()) return `${label} has a second output in use`;
    return carry();
  }
  if (op === 'BatchNormalization' || op === 'InstanceNormalization') {
    if (!onlyData || space.axis !== 1) return `${label} does not normalize along the channel axis`;
    if (!extraOutputsUnused()) return `${label} runs in training mode`;
    const params = op === 'BatchNormalization' ? [1, 2, 3, 4] : [1, 2];
    for (const i of params) {
      const t = constantTensor(index, node.input?.[i] ?? '');
      if (!t || tensorDims(t).length !== 1 || tensorDims(t)[0] !== space.size) return `${label} has non-constant or mis-shaped parameters`;
      edits.push({ kind: 'slice', node, input: i, axis: 0, removed: space.removed });
    }
    return carry();
  }
  if (BINARY.has(op)) {
    if (op === 'PRelu' && !onlyData) return `${label} reads the channels as its slope`;
    if (slots.length === 2) return carry(); // x ∘ x: both sides lose the same channels
    const other = slots[0] === 0 ? 1 : 0;
    const t = constantTensor(index, node.input?.[other] ?? '');
    if (!t) return `${label} combines these channels with another computed tensor (a residual or gating path); both sides would need the same channels removed`;
    const dims = tensorDims(t);
    const rank = Math.max(space.rank, dims.length);
    const axis = space.axis + (rank - space.rank);
    const p = axis - (rank - dims.length);
    if (p >= 0 && dims[p] !== 1) {
      if (dims[p] !== space.size) return `${label} has a constant operand of shape [${dims.join(',')}] that does not line up with ${space.size} channels`;
      edits.push({ kind: 'slice', node, input: other, axis: p, removed: space.removed });
    }
    return carry(node.output?.[0], { axis, rank });
  }
  if (POOLS.has(op)) {
    if (!onlyData || space.axis !== 1) return `${label} does not pool over the spatial axes of these channels`;
    if (!extraOutputsUnused()) return `${label} returns indices that are used`;
    return carry();
  }
  if (op === 'Pad') {
    if (!slots.every((s) => s === 0)) return `${label} reads the channels as a parameter`;
    if (node.input?.[3]) return `${label} pads selected axes`;
    const pads = ctx.opset >= 11 ? constantInts(index, node.input?.[1] ?? '') : attrInts(node, 'pads');
    if (!pads) return `${label} has computed pads`;
    if (pads[space.axis] !== 0 || pads[space.axis + space.rank] !== 0) return `${label} pads the channel axis`;
    return carry();
  }
  if (op === 'Conv' || op === 'ConvTranspose') {
    if (!onlyData) return `${label} reads the channels as weights`;
    if (space.axis !== 1) return `${label} reads these channels on axis ${space.axis}`;
    const w = constantTensor(index, node.input?.[1] ?? '');
    if (!w) return `${label} has computed weights`;
    const wDims = tensorDims(w);
    const group = attrInt(node, 'group', 1);
    if (group === 1) {
      edits.push({ kind: 'slice', node, input: 1, axis: op === 'Conv' ? 1 : 0, removed: space.removed });
      return [];
    }
    // Depthwise: one filter group per input channel, so the conv's own output channels go too.
    if (op === 'Conv' && group === space.size && wDims[1] === 1 && wDims[0]! % group === 0) {
      const multiplier = wDims[0]! / group;
      const removed = space.removed.flatMap((c) => Array.from({ length: multiplier }, (_, k) => c * multiplier + k));
      edits.push({ kind: 'slice', node, input: 1, axis: 0, removed });
      if (node.input?.[2]) {
        if (!constantTensor(index, node.input[2])) return `${label} has a computed bias`;
        edits.push({ kind: 'slice', node, input: 2, axis: 0, removed });
      }
      edits.push({ kind: 'attr', node, attribute: attr.int('group', group - space.removed.length) });
      return carry(node.output?.[0], { size: wDims[0]!, removed });
    }
    return `grouped ${label} (group=${group}) would need whole groups removed`;
  }
  if (op === 'Gemm') {
    if (!onlyData) return `${label} reads the channels as weights`;
    const featureAxis = attrInt(node, 'transA', 0) ? 0 : 1;
    if (space.rank !== 2 || space.axis !== featureAxis) return `${label} does not read these channels as input features`;
    if (!constantTensor(index, node.input?.[1] ?? '')) return `${label} has computed weights`;
    edits.push({ kind: 'slice', node, input: 1, axis: attrInt(node, 'transB', 0) ? 1 : 0, removed: space.removed });
    return [];
  }
  if (op === 'MatMul') {
    if (!onlyData) return `${label} reads the channels as its right operand`;
    if (space.axis !== space.rank - 1) return `${label} does not contract over the channel axis`;
    const w = constantTensor(index, node.input?.[1] ?? '');
    if (!w || tensorDims(w).length < 2) return `${label} has no constant weight matrix`;
    edits.push({ kind: 'slice', node, input: 1, axis: tensorDims(w).length - 2, removed: space.removed });
    return [];
  }
  if (op === 'Flatten') {
    const rank = space.rank;
    const axis = normalizeAxis(attrInt(node, 'axis', 1), rank);
    if (axis !== 1 || space.axis < 1) return `${label} at axis ${axis} would mix the channels into the batch axis`;
    return flattened(ctx, space, node.output?.[0] ?? '', label);
  }
  if (op === 'Reshape') {
    if (!onlyData) return `${label} reads the channels as a shape`;
    const target = constantInts(index, node.input?.[1] ?? '');
    if (!target) return `${label} has a computed target shape`;
    if (attrInt(node, 'allowzero', 0) !== 0) return `${label} uses allowzero`;
    const next = flattened(ctx, space, node.output?.[0] ?? '', label);
    if (typeof next === 'string') return `${label} to [${target.join(',')}] is not a flatten of the channels (${next})`;
    // Only a flatten to [N, C·S] is understood: [-1 | 0 | N, C·S] gets the new feature count,
    // [0 | N, -1] needs no change. Anything else hard-codes a layout the channels are part of.
    const full = next[0]!.size;
    const dim0 = shapeOf(ctx, space.value)?.[0];
    const [t0, t1] = target;
    const batchOk = t0 === -1 || t0 === 0 || (typeof dim0 === 'number' && t0 === dim0);
    if (target.length !== 2 || !batchOk) return `${label} has the hard-coded shape [${target.join(',')}]`;
    if (t1 === full) edits.push({ kind: 'ints', node, input: 1, values: [t0!, full - next[0]!.removed.length] });
    else if (t1 !== -1 || t0 === -1) return `${label} has the hard-coded shape [${target.join(',')}]`;
    return next;
  }
  if (op === 'Squeeze' || op === 'Unsqueeze') {
    if (!onlyData) return `${label} reads the channels as axes`;
    const given = ctx.opset >= 13 ? (node.input?.[1] ? constantInts(index, node.input[1]) : undefined) : attrInts(node, 'axes');
    if (op === 'Unsqueeze') {
      if (!given) return `${label} has computed axes`;
      const rank = space.rank + given.length;
      const inserted = new Set(given.map((a) => normalizeAxis(a, rank)));
      const kept = Array.from({ length: rank }, (_, i) => i).filter((i) => !inserted.has(i));
      return carry(node.output?.[0], { axis: kept[space.axis]!, rank });
    }
    const shape = shapeOf(ctx, space.value);
    const axes = given ? given.map((a) => normalizeAxis(a, space.rank)) : shape?.flatMap((d, i) => (d === 1 ? [i] : []));
    if (!axes) return `${label} squeezes axes that are unknown`;
    if (axes.includes(space.axis)) return `${label} squeezes the channel axis`;
    return carry(node.output?.[0], { axis: space.axis - axes.filter((a) => a < space.axis).length, rank: space.rank - axes.length });
  }
  if (op === 'Transpose') {
    if (!onlyData) return `${label} reads the channels as a parameter`;
    const perm = attrInts(node, 'perm') ?? Array.from({ length: space.rank }, (_, i) => space.rank - 1 - i);
    return carry(node.output?.[0], { axis: perm.indexOf(space.axis) });
  }
  return `${label} consumes the channels in a way the pass does not rewrite`;
}

/** The channel space after flattening [N, …] to [N, ∏ rest]: each channel becomes a block. */
function flattened(ctx: PlanContext, space: ChannelSpace, output: string, label: string): ChannelSpace[] | string {
  const shape = shapeOf(ctx, space.value);
  if (!shape || shape.length !== space.rank) return `${label}: the shape of "${space.value}" is unknown`;
  const dims: number[] = [];
  for (let i = 1; i < shape.length; i++) {
    if (i === space.axis) dims.push(space.size);
    else if (typeof shape[i] === 'number') dims.push(shape[i] as number);
    else return `${label}: dimension ${i} of "${space.value}" is not fixed`;
  }
  const axisInRest = space.axis - 1;
  const prefix = dims.slice(0, axisInRest).reduce((a, d) => a * d, 1);
  const inner = dims.slice(axisInRest + 1).reduce((a, d) => a * d, 1);
  const removed: number[] = [];
  for (let pre = 0; pre < prefix; pre++) {
    for (const c of space.removed) for (let s = 0; s < inner; s++) removed.push(pre * space.size * inner + c * inner + s);
  }
  return [{ value: output, axis: 1, rank: 2, size: prefix * space.size * inner, removed }];
}

/** Applies a plan's edits to the graph (which the plan was made on). */
export function applyChannelPlan(graph: onnx.IGraphProto, edits: readonly Edit[]): void {
  for (const edit of edits) {
    switch (edit.kind) {
      case 'slice': {
        const tensor = constantTensor(new GraphIndex(graph), edit.node.input![edit.input]!)!;
        replaceConstantInput(graph, edit.node, edit.input, withoutPositions(tensor, edit.axis, edit.removed));
        break;
      }
      case 'ints':
        replaceConstantInput(graph, edit.node, edit.input, int64Tensor(edit.values));
        break;
      case 'attr':
        edit.node.attribute = [...(edit.node.attribute ?? []).filter((a) => a.name !== edit.attribute.name), edit.attribute];
        break;
      case 'shape':
        for (const info of [...(graph.valueInfo ?? []), ...(graph.output ?? [])]) {
          const dim = info.name === edit.value ? info.type?.tensorType?.shape?.dim?.[edit.axis] : undefined;
          if (dim && dim.dimValue !== undefined && dim.dimValue !== null) dim.dimValue = edit.size;
        }
        break;
    }
  }
}

function constantInts(index: GraphIndex, name: string): number[] | undefined {
  const t = constantTensor(index, name);
  return t ? readIntegers(t) : undefined;
}

function shapeOf(ctx: PlanContext, value: string): readonly (number | string)[] | null | undefined {
  return ctx.meta.get(value)?.shape;
}

function rankOf(ctx: PlanContext, value: string): number | undefined {
  return shapeOf(ctx, value)?.length;
}

function normalizeAxis(axis: number, rank: number): number {
  return axis < 0 ? axis + rank : axis;
}

function refuse(reason: string): ChannelPlan {
  return { ok: false, reason };
}

