import { CompressError } from '../../errors.js';
import { attrInt } from '../../ir/attributes.js';
import { GraphIndex, removeUnusedInitializers, sortGraphInPlace } from '../../ir/graph.js';
import { isDefaultDomain, parameterCount } from '../../ir/graph-stats.js';
import { cloneModelProto } from '../../ir/model-proto.js';
import { int64ToNumber, onnx } from '../../ir/onnx.js';
import { readFloat32 } from '../../ir/tensor-data.js';
import { tensorDims } from '../../ir/tensors.js';
import { constantTensor, removeDeadNodes } from '../graph-edit.js';
import type { PassResult } from '../pass-result.js';
import { probeValueMetadata } from '../value-metadata.js';
import { applyChannelPlan, planChannelRemoval } from './channel-plan.js';
import { checkExclude, checkOps, nodeLabel, type PrunableOp } from './options.js';
import { sliceNorms } from './tensor-edit.js';

export type ChannelNorm = 'l1' | 'l2';

export interface ChannelPruneOptions {
  /**
   * Fraction of each layer's output channels to remove, in (0, 1): ⌊ratio·C⌋ per layer (a layer
   * where that is 0 is left alone; at least one channel always stays).
   */
  readonly ratio: number;
  /**
   * Filter importance: L1 or L2 norm of each output channel's weights; the smallest go.
   * @defaultValue 'l1'
   */
  readonly norm?: ChannelNorm;
  /**
   * Which layers lose output channels: Conv filters, Gemm output units, MatMul output columns.
   * Layers of other kinds still lose *input* channels when the layer before them is pruned.
   * @defaultValue ['Conv', 'Gemm']
   */
  readonly ops?: readonly PrunableOp[];
  /** Layers to leave alone, by node name, first output name or weight initializer name. */
  readonly exclude?: readonly string[];
}

export interface PrunedLayer {
  readonly node: string;
  readonly op: string;
  readonly channelsBefore: number;
  readonly channelsAfter: number;
  /** Indices (in the original layer) of the output channels removed. */
  readonly removed: readonly number[];
  /** Nodes downstream that were rewritten to match (BatchNormalization, next Conv, Gemm…). */
  readonly rewired: readonly string[];
}

const NORMS: readonly ChannelNorm[] = ['l1', 'l2'];
const GROUPED = 'grouped/depthwise Conv';

/**
 * Structured channel pruning: removes whole output filters of Conv layers (and output units of
 * Gemm/MatMul) with the smallest weight norms, for real — weights, biases and every consumer are
 * rewritten so the model gets smaller and faster, not just sparser:
 * BatchNormalization/InstanceNormalization parameters are sliced, activations, pooling and Pad pass
 * the channels through, element-wise ops with per-channel constants have those sliced, the next
 * Conv loses the matching input channels (a depthwise Conv loses the same channels and its group
 * count shrinks, then the channels are followed on through it), Gemm/MatMul lose the matching
 * input features, and across a Flatten (or a flattening Reshape, whose target is rewritten) the
 * matching blocks of channel × spatial columns go.
 *
 * A layer is refused — left as it was, with the reason in `report.skipped` — wherever removing a
 * channel is not provably exact: channels that reach a residual Add/Concat or any op combining
 * them with another computed tensor, a graph output (so the classifier layer is never pruned and
 * graph I/O shapes never change), a grouped Conv, a Reshape with a hard-coded layout, an op the
 * pass does not know. Without fine-tuning, accuracy drops; see the report's removed channels.
 *
 * @throws CompressError `pass/invalid_options` (ratio outside (0, 1), unknown norm or op),
 * `pass/refused` when no layer can be pruned, `model/runtime_rejected` when onnxruntime cannot
 * load the model (its shape inference provides the spatial sizes).
 */
export async function pruneChannels(model: onnx.ModelProto, options: ChannelPruneOptions): Promise<PassResult> {
  const ratio = options?.ratio;
  if (typeof ratio !== 'number' || !(ratio > 0 && ratio < 1)) {
    throw new CompressError('pass/invalid_options', 'prune', `ratio must be a number in (0, 1); got ${String(ratio)}`);
  }
  const norm = options.norm ?? 'l1';
  if (!NORMS.includes(norm)) {
    throw new CompressError('pass/invalid_options', 'prune', `norm must be one of ${NORMS.join(', ')}; got ${JSON.stringify(norm)}`);
  }
  const ops = checkOps(options.ops, ['Conv', 'Gemm']);
  const exclude = checkExclude(options.exclude);

  const out = cloneModelProto(model);
  const graph = (out.graph ??= onnx.GraphProto.create());
  const meta = await probeValueMetadata(out, 'prune');
  const opset = int64ToNumber(out.opsetImport.find((o) => isDefaultDomain(o.domain))?.version);
  const parametersBefore = parameterCount(graph);

  // Importance comes from the original weights, before any layer's input channels are sliced.
  const skipped: { node: string; reason: string }[] = [];
  const candidates: { node: onnx.INodeProto; removed: number[]; channels: number }[] = [];
  const index = new GraphIndex(graph);
  for (const node of [...(graph.node ?? [])]) {
    if (!isDefaultDomain(node.domain) || !ops.includes(node.opType as PrunableOp)) continue;
    const label = nodeLabel(node);
    if ([node.name ?? '', node.output?.[0] ?? '', node.input?.[1] ?? ''].some((n) => n && exclude.has(n))) {
      skipped.push({ node: label, reason: 'excluded by options' });
      continue;
    }
    const importance = outputChannelNorms(index, node, norm);
    if (typeof importance === 'string') {
      skipped.push({ node: label, reason: importance });
      continue;
    }
    const channels = importance.length;
    const count = Math.min(Math.floor(ratio * channels + 1e-9), channels - 1);
    if (count < 1) {
      skipped.push({ node: label, reason: `${ratio} of ${channels} channels is less than one channel` });
      continue;
    }
    const order = Array.from(importance.keys()).sort((a, b) => importance[a]! - importance[b]! || a - b);
    candidates.push({ node, removed: order.slice(0, count).sort((a, b) => a - b), channels });
  }

  const layers: PrunedLayer[] = [];
  for (const { node, removed, channels } of candidates) {
    const plan = planChannelRemoval({ graph, meta, opset }, node, removed);
    if (!plan.ok) {
      skipped.push({ node: nodeLabel(node), reason: plan.reason });
      continue;
    }
    applyChannelPlan(graph, plan.edits);
    layers.push({ node: nodeLabel(node), op: node.opType ?? '', channelsBefore: channels, channelsAfter: channels - removed.length, removed, rewired: plan.rewired });
  }
  if (layers.length === 0) {
    const why = skipped.map((s) => `${s.node}: ${s.reason}`).join('; ');
    throw new CompressError('pass/refused', 'prune', `no layer can lose channels safely${why ? ` (${why})` : ''}`);
  }
  // Depthwise convs were listed as not prunable on their own; those rewired along with the layer
  // feeding them did change, so they are not "left as they were".
  const rewired = new Set(layers.flatMap((l) => l.rewired));
  const stillSkipped = skipped.filter((s) => !(rewired.has(s.node) && s.reason.startsWith(GROUPED)));
  removeDeadNodes(graph);
  removeUnusedInitializers(graph);
  sortGraphInPlace(graph);

  const parametersAfter = parameterCount(graph);
  const removedChannels = layers.reduce((n, l) => n + l.removed.length, 0);
  return {
    model: out,
    report: {
      pass: 'prune-channels',
      changed: layers.length,
      skipped: stillSkipped,
      notes: [
        `${removedChannels} output channels removed from ${layers.length} layers; ${stillSkipped.length} layers left as they were (see skipped)`,
        `parameters ${parametersBefore} → ${parametersAfter} (${(100 * (1 - parametersAfter / parametersBefore)).toFixed(1)}% fewer); no fine-tuning, so expect an accuracy drop`,
      ],
      details: { ratio, norm, layers, parametersBefore, parametersAfter },
    },
  };
}

/** Norm of each output channel's weights, or why the layer has no prunable output channels. */
function outputChannelNorms(index: GraphIndex, node: onnx.INodeProto, norm: ChannelNorm): Float64Array | string {
  const wName = node.input?.[1] ?? '';
  const w = constantTensor(index, wName);
  if (!w) {
    // An initializer that is also a graph input (every initializer, before IR 4) is a default callers may override.
    const overridable = index.initializer(wName) !== undefined;
    return overridable ? `weight "${wName}" is also a graph input (callers may override it)` : `${node.opType} weight is not a constant`;
  }
  if (w.dataType !== onnx.TensorProto.DataType.FLOAT && w.dataType !== onnx.TensorProto.DataType.FLOAT16 && w.dataType !== onnx.TensorProto.DataType.DOUBLE) {
    return `${node.opType} weight is not floating point`;
  }
  const dims = tensorDims(w);
  const values = readFloat32(w);
  switch (node.opType) {
    case 'Conv': {
      const group = attrInt(node, 'group', 1);
      if (group !== 1) return `${GROUPED} (group=${group}): its channels follow the layer feeding it`;
      if (dims.length < 3) return 'Conv weight has no spatial dims';
      return sliceNorms(values, dims, 0, norm);
    }
    case 'Gemm':
      if (dims.length !== 2) return 'Gemm weight is not a matrix';
      return sliceNorms(values, dims, attrInt(node, 'transB', 0) ? 0 : 1, norm);
    case 'MatMul':
      if (dims.length !== 2) return 'MatMul weight is not a constant matrix';
      return sliceNorms(values, dims, 1, norm);
    default:
      return `${node.opType} is not prunable`;
  }
}
