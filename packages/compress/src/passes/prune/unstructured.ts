import { gzipSync } from 'node:zlib';
import { CompressError } from '../../errors.js';
import { GraphIndex } from '../../ir/graph.js';
import { isDefaultDomain } from '../../ir/graph-stats.js';
import { cloneModelProto, encodeModelProto } from '../../ir/model-proto.js';
import { onnx } from '../../ir/onnx.js';
import { makeTensor, readFloat32 } from '../../ir/tensor-data.js';
import { tensorDims } from '../../ir/tensors.js';
import { constantWeightsToInitializers } from '../graph-edit.js';
import type { PassResult } from '../pass-result.js';
import { checkExclude, checkOps, nodeLabel, PRUNABLE_OPS, type PrunableOp } from './options.js';

export type SparsityScope = 'global' | 'per-layer';

export interface UnstructuredPruneOptions {
  /** Fraction of weights to zero, in [0, 1). */
  readonly sparsity: number;
  /**
   * `per-layer`: every weight tensor reaches `sparsity` on its own. `global`: one magnitude
   * threshold across all selected weights, so layers with many small weights lose more (and the
   * model usually keeps more accuracy: on the fixtures at 50%, LeNet-5 98.12% → 98.08% global vs
   * 97.78% per-layer; MobileNetV2 top-1 agreement 95% vs 77%).
   * @defaultValue 'global'
   */
  readonly scope?: SparsityScope;
  /** Which ops' weights to prune. @defaultValue ['Conv', 'Gemm', 'MatMul'] */
  readonly ops?: readonly PrunableOp[];
  /** Nodes to leave alone, by node name, first output name or weight initializer name. */
  readonly exclude?: readonly string[];
}

interface Weight {
  readonly name: string;
  readonly node: string;
  readonly op: string;
  readonly values: Float32Array;
  readonly dims: number[];
}

const SCOPES: readonly SparsityScope[] = ['global', 'per-layer'];

/**
 * Unstructured magnitude pruning: zeroes the smallest-|w| weights of Conv/Gemm/MatMul weight
 * initializers until the requested fraction is zero (exactly: ties at the threshold are broken by
 * position). Shapes do not change, so the model is no faster and no smaller as stored; the gain
 * shows once it is compressed (gzip here, or a sparse-aware runtime/format), and the report gives
 * the gzip'd size before and after.
 *
 * @throws CompressError `pass/invalid_options` (sparsity outside [0, 1), unknown scope or op),
 * `pass/refused` when the model has no weights the options select.
 */
export async function pruneUnstructured(model: onnx.ModelProto, options: UnstructuredPruneOptions): Promise<PassResult> {
  const sparsity = options?.sparsity;
  if (typeof sparsity !== 'number' || !(sparsity >= 0 && sparsity < 1)) {
    throw new CompressError('pass/invalid_options', 'prune', `sparsity must be a number in [0, 1); got ${String(sparsity)}`);
  }
  const scope = options.scope ?? 'global';
  if (!SCOPES.includes(scope)) {
    throw new CompressError('pass/invalid_options', 'prune', `scope must be one of ${SCOPES.join(', ')}; got ${JSON.stringify(scope)}`);
  }
  const ops = checkOps(options.ops, PRUNABLE_OPS);
  const exclude = checkExclude(options.exclude);

  const out = cloneModelProto(model);
  const graph = (out.graph ??= onnx.GraphProto.create());
  const movedConstants = constantWeightsToInitializers(out);
  const { weights, skipped } = findWeights(graph, ops, exclude);
  if (weights.length === 0) {
    throw new CompressError('pass/refused', 'prune', `no ${ops.join('/')} weight initializers to prune${skipped.length ? `: ${skipped.map((s) => `${s.node} (${s.reason})`).join('; ')}` : ''}`);
  }
  const gzipBefore = gzipSync(encodeModelProto(model)).length;

  const total = weights.reduce((n, w) => n + w.values.length, 0);
  const masks =
    scope === 'per-layer'
      ? weights.map((w) => zeroSmallest([w.values], Math.round(sparsity * w.values.length))[0]!)
      : zeroSmallest(weights.map((w) => w.values), Math.round(sparsity * total));
  const zeroedByName = new Map(weights.map((w, i) => [w.name, masks[i]!]));
  graph.initializer = (graph.initializer ?? []).map((t) => {
    const values = zeroedByName.get(t.name ?? '');
    return values ? makeTensor(t.name ?? '', onnx.TensorProto.DataType.FLOAT, tensorDims(t), values) : t;
  });

  const layers = weights.map((w, i) => {
    const zeros = countZeros(masks[i]!);
    return { node: w.node, op: w.op, weight: w.name, elements: w.values.length, zeros, sparsity: zeros / w.values.length };
  });
  const zeros = layers.reduce((n, l) => n + l.zeros, 0);
  const gzipAfter = gzipSync(encodeModelProto(out)).length;
  return {
    model: out,
    report: {
      pass: 'prune-unstructured',
      changed: layers.filter((l, i) => l.zeros > countZeros(weights[i]!.values)).length,
      skipped,
      notes: [
        ...(movedConstants > 0 ? [`moved ${movedConstants} Constant-node weight(s) into initializers`] : []),
        `${zeros} of ${total} weights are zero (${pct(zeros / total)}), ${scope}`,
        `gzip'd model ${gzipBefore} → ${gzipAfter} bytes (${pct(1 - gzipAfter / gzipBefore)} smaller); stored size unchanged`,
      ],
      details: {
        scope,
        targetSparsity: sparsity,
        sparsity: zeros / total,
        weights: total,
        zeros,
        layers,
        bytes: encodeModelProto(out).length,
        gzipBytesBefore: gzipBefore,
        gzipBytesAfter: gzipAfter,
        gzipGain: 1 - gzipAfter / gzipBefore,
      },
    },
  };
}

function findWeights(graph: onnx.IGraphProto, ops: readonly string[], exclude: ReadonlySet<string>): { weights: Weight[]; skipped: { node: string; reason: string }[] } {
  const index = new GraphIndex(graph);
  const overridable = new Set((graph.input ?? []).map((i) => i.name ?? ''));
  const weights = new Map<string, Weight>();
  const slots = new Map<string, number>();
  const skipped: { node: string; reason: string }[] = [];
  for (const node of graph.node ?? []) {
    if (!isDefaultDomain(node.domain) || !ops.includes(node.opType ?? '')) continue;
    const label = nodeLabel(node);
    const slot = weightSlot(node, index);
    const name = slot === undefined ? '' : node.input![slot]!;
    if (slot === undefined) {
      skipped.push({ node: label, reason: `${node.opType} has no constant weight initializer` });
      continue;
    }
    if ([node.name ?? '', node.output?.[0] ?? '', name].some((n) => n && exclude.has(n))) {
      skipped.push({ node: label, reason: 'excluded by options' });
      continue;
    }
    const tensor = index.initializer(name)!;
    if (tensor.dataType !== onnx.TensorProto.DataType.FLOAT) {
      skipped.push({ node: label, reason: `weight "${name}" is not float32 (prune before converting precision)` });
      continue;
    }
    if (overridable.has(name)) {
      skipped.push({ node: label, reason: `weight "${name}" is also a graph input (callers may override it)` });
      continue;
    }
    slots.set(name, (slots.get(name) ?? 0) + 1);
    if (!weights.has(name)) weights.set(name, { name, node: label, op: node.opType ?? '', values: readFloat32(tensor), dims: tensorDims(tensor) });
  }
  // A weight some other node also reads (as data, not as a weight we prune) stays as it is.
  for (const [name, weight] of [...weights]) {
    const reads = index.consumers(name).reduce((n, c) => n + (c.input ?? []).filter((i) => i === name).length, 0);
    if (reads !== slots.get(name) || index.isGraphOutput(name)) {
      weights.delete(name);
      skipped.push({ node: weight.node, reason: `weight "${name}" is also read elsewhere` });
    }
  }
  return { weights: [...weights.values()], skipped };
}

/** Conv: W; Gemm: B; MatMul: whichever operand is a constant matrix (B preferred). */
function weightSlot(node: onnx.INodeProto, index: GraphIndex): number | undefined {
  const isWeight = (i: number) => {
    const name = node.input?.[i] ?? '';
    const t = name ? index.initializer(name) : undefined;
    return t !== undefined && tensorDims(t).length >= 2;
  };
  if (node.opType === 'MatMul') return isWeight(1) ? 1 : isWeight(0) ? 0 : undefined;
  return isWeight(1) ? 1 : undefined;
}

/**
 * Copies of `tensors` with the `count` smallest-magnitude values (across all of them) set to 0.
 * Sorting the magnitudes gives the threshold; values strictly below it go, then values equal to
 * it in tensor/position order until exactly `count` are zero.
 */
function zeroSmallest(tensors: readonly Float32Array[], count: number): Float32Array[] {
  const out = tensors.map((t) => t.slice());
  if (count <= 0) return out;
  const total = tensors.reduce((n, t) => n + t.length, 0);
  const magnitudes = new Float32Array(total);
  let o = 0;
  for (const t of tensors) for (let i = 0; i < t.length; i++) magnitudes[o++] = Math.abs(t[i]!);
  magnitudes.sort();
  const threshold = magnitudes[Math.min(count, total) - 1]!;
  let zeroed = 0;
  for (const t of out) {
    for (let i = 0; i < t.length; i++) {
      if (Math.abs(t[i]!) < threshold) {
        t[i] = 0;
        zeroed++;
      }
    }
  }
  for (const t of out) {
    for (let i = 0; i < t.length && zeroed < count; i++) {
      if (Math.abs(t[i]!) === threshold) {
        t[i] = 0;
        zeroed++;
      }
    }
  }
  return out;
}

function countZeros(values: Float32Array): number {
  let n = 0;
  for (let i = 0; i < values.length; i++) if (values[i] === 0) n++;
  return n;
}

function pct(x: number): string {
  return `${(x * 100).toFixed(1)}%`;
}
