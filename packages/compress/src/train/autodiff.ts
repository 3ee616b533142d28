import { CompressError, describeCause } from '../errors.js';
import { ort, withSession } from '../inspect/runtime.js';
import { attr, attrFloat, attrInts, findAttribute } from '../ir/attributes.js';
import { GraphIndex, topologicalOrder } from '../ir/graph.js';
import { cloneModelProto, encodeModelProto } from '../ir/model-proto.js';
import { int64ToNumber, onnx } from '../ir/onnx.js';
import { makeTensor } from '../ir/tensor-data.js';
import { GraphBuilder } from './builder.js';
import { GRAD_RULES, NON_DIFFERENTIABLE_INPUTS } from './grad-rules/index.js';
import type { GradContext } from './grad-rules/types.js';

const DT = onnx.TensorProto.DataType;

/** The opset training graphs are written in (ScatterElements `reduction` needs 16; ORT 1.30 runs 17–21 well). */
export const TRAINING_OPSET = 17;

export interface GradientOptions {
  /** Values to differentiate with respect to: float initializers or graph inputs. */
  readonly wrt: readonly string[];
  /**
   * Upstream gradients: forward value → name of the value holding ∂L/∂value. A seed name the graph
   * does not define yet becomes a float graph input (feed it each run).
   */
  readonly seeds: Readonly<Record<string, string>>;
  /** Feeds for one probe run that records every intermediate shape; use a batch of 2 or more. */
  readonly probeFeeds: Readonly<Record<string, ort.Tensor>>;
  /** Declare each gradient as a graph output (default true). */
  readonly outputGradients?: boolean;
}

export interface GradientGraph {
  /** The forward graph (opset ≥ 17, MaxPool Indices exposed) plus the backward nodes. */
  readonly model: onnx.ModelProto;
  /** wrt value → name of its gradient value. */
  readonly gradients: ReadonlyMap<string, string>;
  /** Probed shapes of the forward values (batch as probed). */
  readonly shapes: ReadonlyMap<string, readonly number[]>;
}

/**
 * Reverse-mode differentiation, op by op with standard ONNX ops (`GRAD_RULES`): the returned model
 * computes the forward outputs and, in the same run, the gradient of every `wrt` value.
 *
 * @throws CompressError `train/unsupported_op` naming every op on the differentiated path that has no
 *   rule (or an attribute a rule does not handle); `train/invalid_options` for unknown wrt/seed values.
 */
export async function appendGradients(model: onnx.IModelProto, options: GradientOptions): Promise<GradientGraph> {
  const m = upgradeForTraining(model);
  const graph = m.graph!;
  exposeMaxPoolIndices(graph);
  const shapes = await probeShapes(m, options.probeFeeds);

  const index = new GraphIndex(graph);
  const order = topologicalOrder(graph);
  const defined = new Set([...(graph.input ?? []).map((v) => v.name ?? ''), ...(graph.initializer ?? []).map((t) => t.name ?? ''), ...order.flatMap((n) => n.output ?? [])]);
  for (const w of options.wrt) if (!defined.has(w)) throw new CompressError('train/invalid_options', 'train', `cannot differentiate with respect to "${w}": no such value`);
  for (const v of Object.keys(options.seeds)) if (!defined.has(v)) throw new CompressError('train/invalid_options', 'train', `seed for "${v}": no such value`);

  // Values depending on a wrt value, and values some seeded value depends on.
  const dependent = new Set(options.wrt);
  for (const node of order) {
    if (differentiableInputs(node).some((i) => dependent.has(node.input![i]!))) for (const o of node.output ?? []) if (o) dependent.add(o);
  }
  const reaching = new Set(Object.keys(options.seeds));
  for (const node of [...order].reverse()) {
    if ((node.output ?? []).some((o) => reaching.has(o))) for (const i of node.input ?? []) if (i) reaching.add(i);
  }
  const onPath = order.filter((n) => (n.output ?? []).some((o) => reaching.has(o)) && differentiableInputs(n).some((i) => dependent.has(n.input![i]!)));
  const missing = [...new Set(onPath.filter((n) => (n.domain ?? '') !== '' && n.domain !== 'ai.onnx' || !GRAD_RULES[n.opType ?? '']).map((n) => n.opType ?? '?'))];
  if (missing.length > 0) {
    throw new CompressError('train/unsupported_op', 'train', `no gradient rule for ${missing.join(', ')} (on the path from the trained weights to the loss)`);
  }

  const b = new GraphBuilder(index, 'grad/');
  const contributions = new Map<string, string[]>();
  const add = (value: string, grad: string): void => {
    const list = contributions.get(value);
    if (list) list.push(grad);
    else contributions.set(value, [grad]);
  };
  const total = (value: string): string | undefined => {
    const list = contributions.get(value);
    if (!list || list.length === 0) return undefined;
    if (list.length > 1) contributions.set(value, [b.op('Sum', list)]);
    return contributions.get(value)![0];
  };
  const newInputs: string[] = [];
  for (const [value, seed] of Object.entries(options.seeds)) {
    if (!defined.has(seed)) newInputs.push(seed);
    add(value, seed);
  }

  for (const node of [...onPath].reverse()) {
    const differentiable = new Set(differentiableInputs(node));
    const ctx: GradContext = {
      node,
      b,
      shape: (value) => {
        const s = shapes.get(value);
        if (!s) throw new CompressError('train/unsupported_op', 'train', `${node.opType} "${node.name}": shape of "${value}" unknown`);
        return s;
      },
      dy: (i = 0) => total(node.output?.[i] ?? ''),
      wants: (i) => differentiable.has(i) && dependent.has(node.input?.[i] ?? ''),
      unsupported: (reason) => {
        throw new CompressError('train/unsupported_op', 'train', `${node.opType} "${node.name ?? ''}": ${reason}`);
      },
    };
    if (!ctx.dy(0)) continue;
    const grads = GRAD_RULES[node.opType!]!(ctx);
    grads.forEach((g, i) => {
      if (g && ctx.wants(i)) add(node.input![i]!, g);
    });
  }

  const gradients = new Map<string, string>();
  for (const w of options.wrt) {
    const g = total(w);
    if (!g) throw new CompressError('train/invalid_options', 'train', `"${w}" does not influence the seeded values`);
    // A gradient that is itself a seed or forward value gets its own name, so it can be an output.
    gradients.set(w, defined.has(g) || newInputs.includes(g) ? b.op('Identity', [g]) : g);
  }
  graph.node = [...(graph.node ?? []), ...b.nodes];
  graph.initializer = [...(graph.initializer ?? []), ...b.initializers];
  graph.input = [...(graph.input ?? []), ...newInputs.map((name) => onnx.ValueInfoProto.create({ name, type: { tensorType: { elemType: DT.FLOAT } } }))];
  if (options.outputGradients ?? true) {
    graph.output = [...(graph.output ?? []), ...[...gradients].map(([w, g]) => floatOutput(g, shapes.get(w)))];
  }
  graph.node = topologicalOrder(graph);
  return { model: m, gradients, shapes };
}

export function floatOutput(name: string, dims?: readonly number[]): onnx.ValueInfoProto {
  const shape = dims ? { dim: dims.map((d) => ({ dimValue: d })) } : undefined;
  return onnx.ValueInfoProto.create({ name, type: { tensorType: { elemType: DT.FLOAT, ...(shape ? { shape } : {}) } } });
}

function differentiableInputs(node: onnx.INodeProto): number[] {
  const skip = NON_DIFFERENTIABLE_INPUTS[node.opType ?? ''] ?? [];
  return (node.input ?? []).flatMap((v, i) => (v && !skip.includes(i) ? [i] : []));
}

/** Gives each single-output MaxPool an Indices output, which its gradient rule scatters through. */
function exposeMaxPoolIndices(graph: onnx.IGraphProto): void {
  const index = new GraphIndex(graph);
  for (const node of graph.node ?? []) {
    if (node.opType === 'MaxPool' && !(node.output?.[1])) node.output = [node.output![0]!, index.uniqueName(`${node.output![0]}_indices`)];
  }
}

/** Every node output's shape from one run of `model` (intermediate values declared as outputs). */
export async function probeShapes(model: onnx.IModelProto, feeds: Readonly<Record<string, ort.Tensor>>): Promise<Map<string, number[]>> {
  const probe = cloneModelProto(model);
  const graph = probe.graph!;
  const shapes = new Map<string, number[]>();
  for (const t of graph.initializer ?? []) shapes.set(t.name ?? '', (t.dims ?? []).map(int64ToNumber));
  for (const [name, tensor] of Object.entries(feeds)) shapes.set(name, [...tensor.dims]);
  const declared = new Set((graph.output ?? []).map((o) => o.name ?? ''));
  const wanted = [...new Set((graph.node ?? []).flatMap((n) => n.output ?? []).filter((o) => o && !shapes.has(o)))];
  for (const name of wanted) if (!declared.has(name)) graph.output!.push(onnx.ValueInfoProto.create({ name }));
  try {
    await withSession(encodeModelProto(probe), async (session) => {
      const results = await session.run(feeds as Record<string, ort.Tensor>, wanted);
      for (const name of wanted) if (results[name]) shapes.set(name, [...results[name].dims]);
    });
  } catch (err) {
    throw new CompressError('train/invalid_options', 'train', `shape probe failed: ${describeCause(err)}`, { cause: err });
  }
  return shapes;
}

/**
 * A copy of `model` at opset ≥ 17 (IR ≥ 8), rewriting the ops whose signature changed since the
 * model's opset: Clip bounds, Squeeze/Unsqueeze/ReduceSum axes and Pad pads become inputs; Dropout
 * and BatchNormalization lose attributes that no longer exist.
 *
 * @throws CompressError `train/unsupported_op` for Softmax/LogSoftmax before opset 13 with an axis
 *   other than the last one (their meaning changed).
 */
export function upgradeForTraining(model: onnx.IModelProto): onnx.ModelProto {
  const m = cloneModelProto(model);
  const entry = (m.opsetImport ?? []).find((o) => !o.domain || o.domain === 'ai.onnx');
  const from = entry ? int64ToNumber(entry.version) : 1;
  if (int64ToNumber(m.irVersion) < 8) m.irVersion = 8;
  if (from >= TRAINING_OPSET) return m;
  if (entry) entry.version = TRAINING_OPSET;
  else (m.opsetImport ??= []).push({ domain: '', version: TRAINING_OPSET });
  const graph = m.graph!;
  const index = new GraphIndex(graph);
  const constant = (base: string, dataType: 1 | 7, dims: number[], values: number[]): string => {
    const name = index.uniqueName(base);
    graph.initializer!.push(dataType === DT.FLOAT ? makeTensor(name, DT.FLOAT, dims, Float32Array.from(values)) : makeTensor(name, DT.INT64, dims, BigInt64Array.from(values.map(BigInt))));
    return name;
  };
  const without = (node: onnx.INodeProto, names: string[]): void => {
    node.attribute = (node.attribute ?? []).filter((a) => !names.includes(a.name ?? ''));
  };
  graph.initializer ??= [];
  const rewritten: onnx.INodeProto[] = [];
  for (const node of graph.node ?? []) {
    const op = node.opType ?? '';
    const label = node.name || op;
    if (from < 11 && op === 'Clip') {
      const lo = attrFloat(node, 'min', -3.4028234663852886e38);
      const hi = attrFloat(node, 'max', 3.4028234663852886e38);
      without(node, ['min', 'max']);
      node.input = [node.input![0]!, constant(`${label}_min`, DT.FLOAT, [], [lo]), constant(`${label}_max`, DT.FLOAT, [], [hi])];
    } else if (from < 13 && (op === 'Squeeze' || op === 'Unsqueeze' || op === 'ReduceSum')) {
      const axes = attrInts(node, 'axes');
      without(node, ['axes']);
      if (axes) node.input = [node.input![0]!, constant(`${label}_axes`, DT.INT64, [axes.length], axes)];
    } else if (from < 11 && op === 'Pad') {
      const pads = attrInts(node, 'pads') ?? [];
      const value = attrFloat(node, 'value', 0);
      without(node, ['pads', 'value']);
      node.input = [node.input![0]!, constant(`${label}_pads`, DT.INT64, [pads.length], pads), constant(`${label}_value`, DT.FLOAT, [], [value])];
    } else if (op === 'Dropout') {
      without(node, ['ratio', 'is_test', 'seed']);
    } else if (op === 'BatchNormalization') {
      without(node, ['spatial', 'is_test', 'consumed_inputs']);
      node.output = [node.output![0]!];
    } else if (from < 13 && (op === 'Softmax' || op === 'LogSoftmax')) {
      // Before opset 13 the input is coerced to 2-D at `axis` (default 1): spell that out as
      // Flatten → Softmax(axis 1) → Reshape back, which means the same at any opset.
      const axis = findAttribute(node, 'axis');
      const x = node.input![0]!;
      const flat = index.uniqueName(`${label}_flat`);
      const inner = index.uniqueName(`${label}_2d`);
      const shape = index.uniqueName(`${label}_shape`);
      rewritten.push(
        onnx.NodeProto.create({ opType: 'Flatten', input: [x], output: [flat], attribute: [attr.int('axis', axis ? int64ToNumber(axis.i) : 1)], name: index.uniqueName(`${label}_flatten`) }),
        onnx.NodeProto.create({ opType: 'Shape', input: [x], output: [shape], name: index.uniqueName(`${label}_shape_of`) }),
        onnx.NodeProto.create({ opType: op, input: [flat], output: [inner], attribute: [attr.int('axis', 1)], name: index.uniqueName(`${label}_2d_node`) }),
      );
      node.opType = 'Reshape';
      node.input = [inner, shape];
      node.attribute = [];
    }
    rewritten.push(node);
  }
  graph.node = rewritten;
  return m;
}
