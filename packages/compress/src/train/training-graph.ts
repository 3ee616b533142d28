import { CompressError } from '../errors.js';
import { ort, withSession } from '../inspect/runtime.js';
import { attr } from '../ir/attributes.js';
import { GraphIndex, removeUnusedInitializers, topologicalOrder } from '../ir/graph.js';
import { cloneModelProto, encodeModelProto } from '../ir/model-proto.js';
import { int64ToNumber, onnx } from '../ir/onnx.js';
import { makeTensor, readFloat32 } from '../ir/tensor-data.js';
import { appendGradients, floatOutput, upgradeForTraining } from './autodiff.js';
import { GraphBuilder } from './builder.js';

const DT = onnx.TensorProto.DataType;

/** Initializer inputs that are trained, by op: weights and biases of Conv/Gemm/MatMul, BN scale and bias. */
const TRAINABLE_INPUTS: Readonly<Record<string, readonly number[]>> = {
  Conv: [1, 2],
  Gemm: [0, 1, 2],
  MatMul: [0, 1],
  BatchNormalization: [1, 2],
};

export interface TrainableParam {
  /** The initializer's name in the student (also the training graph's input carrying its value). */
  readonly name: string;
  readonly dims: readonly number[];
  readonly momentumInput: string;
  readonly updatedOutput: string;
  readonly updatedMomentumOutput: string;
  /** Adam's second-moment state (absent for SGD). */
  readonly secondMomentInput?: string;
  readonly updatedSecondMomentOutput?: string;
  readonly decayed: boolean;
}

/**
 * `sgd`: SGD with momentum. `adam`: Adam (β1 = `momentum`, β2 = 0.999, ε = 1e-8); its bias correction is folded
 * into the learning-rate input (lr·√(1 − β2^t)/(1 − β1^t), see `adamLearningRate`), so the graph needs no step count.
 */
export type Optimizer = 'sgd' | 'adam';

export const ADAM_BETA2 = 0.999;

/** The learning rate to feed an Adam training graph at 1-based step `t`. */
export function adamLearningRate(lr: number, beta1: number, t: number): number {
  return (lr * Math.sqrt(1 - ADAM_BETA2 ** t)) / (1 - beta1 ** t);
}

export interface DistillLossOptions {
  readonly temperature: number;
  /** Weight of the distillation term; 1 − alpha weighs cross-entropy on labels. */
  readonly alpha: number;
  readonly momentum: number;
  readonly weightDecay: number;
  /** @defaultValue 'sgd' */
  readonly optimizer?: Optimizer;
  /** Whether the graph takes ground-truth labels (adds the cross-entropy term). */
  readonly labels: boolean;
}

export interface TrainingGraph {
  /** One run = one SGD step. */
  readonly model: onnx.ModelProto;
  /** The student's forward graph with the trainable weights as inputs (held-out evaluation). */
  readonly forward: onnx.ModelProto;
  readonly params: readonly TrainableParam[];
  /** Student input name (the data), teacher logits, labels (int64 [B]) and learning-rate inputs. */
  readonly inputs: { readonly data: string; readonly teacherLogits: string; readonly labels?: string; readonly learningRate: string };
  /** Outputs: the batch loss (scalar) and the student logits. */
  readonly outputs: { readonly loss: string; readonly logits: string };
  readonly classes: number;
  /** Initial feeds for the parameters (the student's values) and momenta (zeros). */
  initialState(): Record<string, ort.Tensor>;
}

/**
 * The student's logits-producing forward graph: a final Softmax (on the only output) is removed so
 * the loss sees logits. Returns the model (opset ≥ 17) and whether a Softmax was stripped.
 */
export function logitsModel(model: onnx.IModelProto): { model: onnx.ModelProto; strippedSoftmax: boolean } {
  const m = upgradeForTraining(model);
  const graph = m.graph!;
  if ((graph.output ?? []).length !== 1) throw new CompressError('train/invalid_options', 'train', `the model must have exactly one output (logits or probabilities); it has ${(graph.output ?? []).length}`);
  const out = graph.output![0]!;
  const producer = new GraphIndex(graph).producer(out.name ?? '');
  if (producer?.opType !== 'Softmax') return { model: m, strippedSoftmax: false };
  const logits = producer.input![0]!;
  graph.node = (graph.node ?? []).filter((n) => n !== producer);
  graph.output = [onnx.ValueInfoProto.create({ name: logits, type: out.type })];
  removeUnusedInitializers(graph);
  return { model: m, strippedSoftmax: true };
}

/**
 * Compiles one distillation training step into ONNX: student forward, loss
 * α·T²·KL(softmax(t/T) ‖ softmax(s/T)) + (1 − α)·CE(s, labels) (batch mean), reverse-mode gradients of
 * every trainable initializer, and SGD with momentum (or Adam, `optimizer`) and weight decay (on weights of rank ≥ 2):
 * v ← μ·v + g + λ·w, w ← w − lr·v. The learning rate is a scalar input, so schedules need no recompile.
 */
export async function buildTrainingGraph(student: onnx.IModelProto, options: DistillLossOptions, probeFeeds: Record<string, ort.Tensor>): Promise<TrainingGraph> {
  const { model: base } = logitsModel(student);
  const graph = base.graph!;
  const initNames = new Set((graph.initializer ?? []).map((t) => t.name ?? ''));
  const dataInputs = (graph.input ?? []).map((v) => v.name ?? '').filter((n) => !initNames.has(n));
  if (dataInputs.length !== 1) throw new CompressError('train/invalid_options', 'train', `the student must have exactly one data input; it has ${dataInputs.join(', ')}`);
  const data = dataInputs[0]!;
  const logits = graph.output![0]!.name!;

  const trainable = new Set<string>();
  for (const node of graph.node ?? []) {
    for (const i of TRAINABLE_INPUTS[node.opType ?? ''] ?? []) {
      const name = node.input?.[i];
      const t = name ? (graph.initializer ?? []).find((x) => x.name === name) : undefined;
      if (t && t.dataType === DT.FLOAT) trainable.add(name!);
    }
  }
  if (trainable.size === 0) throw new CompressError('train/invalid_options', 'train', 'the student has no float Conv/Gemm/MatMul/BatchNormalization initializers to train');
  const initialValues = new Map<string, { dims: number[]; data: Float32Array }>();
  for (const t of graph.initializer ?? []) {
    if (trainable.has(t.name ?? '')) initialValues.set(t.name!, { dims: (t.dims ?? []).map(int64ToNumber), data: readFloat32(t) });
  }
  // Trainable weights become inputs; IR < 4 may already list them there.
  graph.initializer = (graph.initializer ?? []).filter((t) => !trainable.has(t.name ?? ''));
  graph.input = (graph.input ?? []).filter((v) => !trainable.has(v.name ?? ''));
  graph.input.push(...[...initialValues].map(([name, v]) => floatOutput(name, v.dims)));
  const forward = cloneModelProto(base);

  const classes = await withSession(encodeModelProto(forward), async (s) => {
    const feeds = { ...probeFeeds, ...Object.fromEntries([...initialValues].map(([n, v]) => [n, new ort.Tensor('float32', v.data, v.dims)])) };
    const out = (await s.run(feeds))[logits]!;
    if (out.dims.length !== 2) throw new CompressError('train/invalid_options', 'train', `student logits must be [batch, classes]; got [${out.dims.join(', ')}]`);
    return out.dims[1]!;
  });

  const index = new GraphIndex(graph);
  const b = new GraphBuilder(index, 'loss/');
  const teacherLogits = index.uniqueName('teacher_logits');
  const labels = options.labels ? index.uniqueName('labels') : undefined;
  const learningRate = index.uniqueName('learning_rate');
  const T = options.temperature;
  const alpha = labels ? options.alpha : 1;

  // Loss, written out in ONNX ops (reported each step).
  const batch = b.op('Cast', [b.op('Gather', [b.op('Shape', [logits]), b.int64([0], true)], [attr.int('axis', 0)])], [attr.int('to', DT.FLOAT)]);
  const invT = b.float(1 / T);
  const lsT = b.op('LogSoftmax', [b.mul(logits, invT)], [attr.int('axis', 1)]);
  const ltT = b.op('LogSoftmax', [b.mul(teacherLogits, invT)], [attr.int('axis', 1)]);
  const ptT = b.op('Exp', [ltT]);
  const kl = b.op('ReduceMean', [b.reduceSum(b.mul(ptT, b.op('Sub', [ltT, lsT])), [1], false)], [attr.int('keepdims', 0)]);
  let loss = b.mul(kl, b.float(alpha * T * T));
  // ∂loss/∂logits in closed form: α·T/B·(softmax(s/T) − softmax(t/T)) + (1 − α)/B·(softmax(s) − onehot(y)).
  let seed = b.mul(b.op('Sub', [b.op('Exp', [lsT]), ptT]), b.float(alpha * T));
  if (labels) {
    const ls = b.op('LogSoftmax', [logits], [attr.int('axis', 1)]);
    const picked = b.op('GatherElements', [ls, b.op('Unsqueeze', [labels, b.int64([1])])], [attr.int('axis', 1)]);
    const ce = b.op('Neg', [b.op('ReduceMean', [picked], [attr.int('keepdims', 0)])]);
    loss = b.op('Add', [loss, b.mul(ce, b.float(1 - alpha))]);
    const onehot = b.op('OneHot', [labels, b.int64([classes], true), b.float([0, 1])], [attr.int('axis', -1)]);
    seed = b.op('Add', [seed, b.mul(b.op('Sub', [b.op('Exp', [ls]), onehot]), b.float(1 - alpha))]);
  }
  seed = b.op('Div', [seed, batch]);
  const lossOut = b.op('Identity', [loss]);
  graph.node!.push(...b.nodes);
  graph.initializer!.push(...b.initializers);
  graph.input.push(
    floatOutput(teacherLogits),
    ...(labels ? [onnx.ValueInfoProto.create({ name: labels, type: { tensorType: { elemType: DT.INT64 } } })] : []),
    onnx.ValueInfoProto.create({ name: learningRate, type: { tensorType: { elemType: DT.FLOAT, shape: { dim: [] } } } }),
  );

  const probe: Record<string, ort.Tensor> = { ...probeFeeds };
  const probeBatch = Object.values(probeFeeds)[0]!.dims[0]!;
  probe[teacherLogits] = new ort.Tensor('float32', new Float32Array(probeBatch * classes), [probeBatch, classes]);
  if (labels) probe[labels] = new ort.Tensor('int64', new BigInt64Array(probeBatch), [probeBatch]);
  for (const [n, v] of initialValues) probe[n] = new ort.Tensor('float32', v.data, v.dims);
  probe[learningRate] = new ort.Tensor('float32', Float32Array.of(0), []);

  const { model, gradients } = await appendGradients(base, { wrt: [...trainable], seeds: { [logits]: seed }, probeFeeds: probe, outputGradients: false });
  const g = model.graph!;
  const u = new GraphBuilder(new GraphIndex(g), 'sgd/');
  const params: TrainableParam[] = [];
  for (const [name, v] of initialValues) {
    const momentumInput = u.name(`momentum/${name}`);
    const decayed = v.dims.length >= 2 && options.weightDecay > 0;
    const grad = decayed ? u.op('Add', [gradients.get(name)!, u.mul(name, u.float(options.weightDecay))]) : gradients.get(name)!;
    const updatedOutput = u.name(`updated/${name}`);
    const updatedMomentumOutput = u.name(`updated_momentum/${name}`);
    const identity = (input: string, output: string) => u.nodes.push(onnx.NodeProto.create({ opType: 'Identity', input: [input], output: [output], name: u.name('out') }));
    g.input!.push(floatOutput(momentumInput, v.dims));
    if (options.optimizer === 'adam') {
      // m ← β1·m + (1 − β1)·g; s ← β2·s + (1 − β2)·g²; w ← w − lr_t·m / (√s + ε).
      const secondMomentInput = u.name(`second_moment/${name}`);
      const updatedSecondMomentOutput = u.name(`updated_second_moment/${name}`);
      const m = u.op('Add', [u.mul(momentumInput, u.float(options.momentum)), u.mul(grad, u.float(1 - options.momentum))]);
      const sq = u.op('Add', [u.mul(secondMomentInput, u.float(ADAM_BETA2)), u.mul(u.mul(grad, grad), u.float(1 - ADAM_BETA2))]);
      const step = u.op('Div', [m, u.op('Add', [u.op('Sqrt', [sq]), u.float(1e-8)])]);
      identity(u.op('Sub', [name, u.mul(step, learningRate)]), updatedOutput);
      identity(m, updatedMomentumOutput);
      identity(sq, updatedSecondMomentOutput);
      g.input!.push(floatOutput(secondMomentInput, v.dims));
      params.push({ name, dims: v.dims, momentumInput, updatedOutput, updatedMomentumOutput, secondMomentInput, updatedSecondMomentOutput, decayed });
    } else {
      const velocity = u.op('Add', [u.mul(momentumInput, u.float(options.momentum)), grad]);
      identity(u.op('Sub', [name, u.mul(velocity, learningRate)]), updatedOutput);
      identity(velocity, updatedMomentumOutput);
      params.push({ name, dims: v.dims, momentumInput, updatedOutput, updatedMomentumOutput, decayed });
    }
  }
  g.node = [...(g.node ?? []), ...u.nodes];
  g.initializer = [...(g.initializer ?? []), ...u.initializers];
  g.output = [
    onnx.ValueInfoProto.create({ name: lossOut, type: { tensorType: { elemType: DT.FLOAT, shape: { dim: [] } } } }),
    floatOutput(logits),
    ...params.flatMap((p) => [p.updatedOutput, p.updatedMomentumOutput, ...(p.updatedSecondMomentOutput ? [p.updatedSecondMomentOutput] : [])].map((o) => floatOutput(o, p.dims))),
  ];
  g.node = topologicalOrder(g);

  return {
    model,
    forward,
    params,
    inputs: { data, teacherLogits, learningRate, ...(labels ? { labels } : {}) },
    outputs: { loss: lossOut, logits },
    classes,
    initialState: () => {
      const feeds: Record<string, ort.Tensor> = {};
      for (const p of params) {
        const v = initialValues.get(p.name)!;
        feeds[p.name] = new ort.Tensor('float32', Float32Array.from(v.data), v.dims);
        feeds[p.momentumInput] = new ort.Tensor('float32', new Float32Array(v.data.length), v.dims);
        if (p.secondMomentInput) feeds[p.secondMomentInput] = new ort.Tensor('float32', new Float32Array(v.data.length), v.dims);
      }
      return feeds;
    },
  };
}

/** A copy of `model` with the named float initializers replaced by new values (same dims). */
export function writeWeights(model: onnx.IModelProto, values: ReadonlyMap<string, Float32Array>): onnx.ModelProto {
  const m = cloneModelProto(model);
  m.graph!.initializer = (m.graph!.initializer ?? []).map((t) => {
    const v = values.get(t.name ?? '');
    return v ? makeTensor(t.name!, DT.FLOAT, (t.dims ?? []).map(int64ToNumber), Float32Array.from(v)) : t;
  });
  return m;
}
