import { availableParallelism } from 'node:os';
import { openNpz } from '../data/npz.js';
import { LABELS_ARRAY } from '../data/validate-dataset.js';
import { mulberry32 } from '../eval/synthetic.js';
import { CompressError, describeCause } from '../errors.js';
import { ort } from '../inspect/runtime.js';
import { cloneModelProto, encodeModelProto } from '../ir/model-proto.js';
import type { onnx } from '../ir/onnx.js';
import type { PassResult } from '../passes/pass-result.js';
import { pruneChannels } from '../passes/prune/index.js';
import { buildStudent, type StudentSpec } from './students.js';
import { adamLearningRate, buildTrainingGraph, logitsModel, writeWeights, type Optimizer } from './training-graph.js';

/** Samples [start, start + count) of one .npz (all of it by default). */
export interface DataSlice {
  readonly path: string;
  readonly start?: number;
  readonly count?: number;
}

export type LearningRateSchedule =
  | { readonly kind: 'cosine'; readonly initial: number; readonly final?: number }
  | { readonly kind: 'step'; readonly initial: number; readonly gamma: number; readonly everyEpochs: number };

export interface DistillProgress {
  readonly epoch: number;
  readonly step: number;
  /** Mean training loss over the epoch. */
  readonly loss: number;
  /** Student accuracy on the held-out samples (null without labels). */
  readonly heldOutAccuracy: number | null;
  /** Fraction of held-out samples where student and teacher predict the same class. */
  readonly heldOutAgreement: number;
  /** Mean KL divergence of the student's softmax from the teacher's on the held-out samples. */
  readonly heldOutDivergence: number;
  readonly samplesPerSec: number;
}

export interface DistillOptions {
  /**
   * The student: a model, or how to get one — `{ name: 'pruned', ratio }` (the teacher with that fraction of
   * Conv/Gemm filters removed by `pruneChannels`) or a built-in architecture (`mlp`, `cnn-small`, `dwcnn`, see
   * `buildStudent`) trained from scratch. @defaultValue `{ name: 'pruned', ratio: 0.5 }`
   */
  readonly student?: onnx.ModelProto | StudentSpec;
  /** Training data: an .npz path or slices of several; the array named like the model input, plus optional `labels`. */
  readonly data: string | readonly DataSlice[];
  /** Held-out samples for early stopping: a fraction or count taken from the end of `data`, or separate slices (default 10%). */
  readonly heldOut?: { readonly fraction: number } | { readonly count: number } | { readonly data: string | readonly DataSlice[] };
  readonly epochs?: number;
  readonly batchSize?: number;
  /** Default cosine from 0.01 to 0. */
  readonly learningRate?: LearningRateSchedule;
  readonly temperature?: number;
  /** Weight of the distillation term; (1 − alpha) weighs cross-entropy on labels when there are labels. */
  readonly alpha?: number;
  /** SGD's momentum, or Adam's β1. @defaultValue 0.9 */
  readonly momentum?: number;
  readonly weightDecay?: number;
  /**
   * `sgd` (with momentum) or `adam`. Adam suits deep students whose layers differ widely in weight scale (e.g. a
   * pruned MobileNet with BatchNorm folded into its convolutions); use a smaller learning rate with it (~1e-3).
   * @defaultValue 'sgd'
   */
  readonly optimizer?: Optimizer;
  /** Stop after `patience` epochs without held-out improvement (accuracy with labels, else agreement); the best epoch's weights are kept. */
  readonly earlyStopping?: { readonly patience: number };
  /**
   * Augment image batches (NCHW samples) on the fly: a horizontal flip with probability ½ and/or a random shift of up
   * to `shift` pixels each way (edges repeated). The teacher then scores every augmented batch (one extra teacher
   * run per step) instead of using cached outputs — a way to stretch a small dataset, since distillation needs
   * no labels for the new images. Labels are kept, so use it with labels only where they survive a flip.
   */
  readonly augment?: { readonly hflip?: boolean; readonly shift?: number };
  readonly seed?: number;
  readonly threads?: number;
  readonly onProgress?: (progress: DistillProgress) => void;
}

interface Samples {
  readonly x: Float32Array;
  readonly labels: BigInt64Array | null;
  readonly count: number;
  readonly sampleShape: readonly number[];
}

const DEFAULTS = { epochs: 10, batchSize: 64, temperature: 4, alpha: 0.9, momentum: 0.9, weightDecay: 5e-4 };

function invalid(detail: string): CompressError {
  return new CompressError('train/invalid_options', 'train', detail);
}

/**
 * Knowledge distillation: trains `student` to match `teacher`'s logits (softened at `temperature`) and,
 * where the data has labels, the labels — each SGD step one run of an ONNX training graph
 * (`buildTrainingGraph`) in onnxruntime. The teacher's logits are computed once per run and cached in
 * memory; a teacher Softmax output is stripped first (softmax is shift-invariant, so this equals using
 * log-probabilities). Returns the student's own inference graph with the trained weights written back.
 *
 * @throws CompressError `train/invalid_options`, `train/unsupported_op`, `dataset/invalid`, `dataset/mismatch`.
 */
export async function distill(teacher: onnx.ModelProto, options: DistillOptions): Promise<PassResult> {
  const started = performance.now();
  const epochs = options.epochs ?? DEFAULTS.epochs;
  const batchSize = options.batchSize ?? DEFAULTS.batchSize;
  const temperature = options.temperature ?? DEFAULTS.temperature;
  const alpha = options.alpha ?? DEFAULTS.alpha;
  const momentum = options.momentum ?? DEFAULTS.momentum;
  const weightDecay = options.weightDecay ?? DEFAULTS.weightDecay;
  const optimizer = options.optimizer ?? 'sgd';
  if (optimizer !== 'sgd' && optimizer !== 'adam') throw invalid(`optimizer must be sgd or adam; got ${String(optimizer)}`);
  const schedule = options.learningRate ?? { kind: 'cosine', initial: 0.01 };
  if (!(Number.isInteger(epochs) && epochs >= 1)) throw invalid(`epochs must be a positive integer; got ${epochs}`);
  if (!(Number.isInteger(batchSize) && batchSize >= 1)) throw invalid(`batchSize must be a positive integer; got ${batchSize}`);
  if (!(temperature > 0)) throw invalid(`temperature must be > 0; got ${temperature}`);
  if (!(alpha >= 0 && alpha <= 1)) throw invalid(`alpha must be in [0, 1]; got ${alpha}`);
  if (!(momentum >= 0 && momentum < 1)) throw invalid(`momentum must be in [0, 1); got ${momentum}`);
  if (!(weightDecay >= 0)) throw invalid(`weightDecay must be ≥ 0; got ${weightDecay}`);
  if (!(schedule.initial > 0)) throw invalid(`learning rate must be > 0; got ${schedule.initial}`);
  const shift = options.augment?.shift ?? 0;
  if (!(Number.isInteger(shift) && shift >= 0)) throw invalid(`augment.shift must be a non-negative integer; got ${shift}`);
  const threads = options.threads ?? availableParallelism();

  const notes: string[] = [];
  const student = await resolveStudent(teacher, options.student ?? { name: 'pruned' }, notes);
  const teacherLogitsModel = logitsModel(teacher);
  if (teacherLogitsModel.strippedSoftmax) notes.push("the teacher's final Softmax was stripped: its logits are distilled");
  const studentInfo = logitsModel(student);
  if (studentInfo.strippedSoftmax) notes.push("the student's final Softmax is stripped for training and kept in the returned model");

  const inputName = dataInputName(studentInfo.model);
  const all = await loadSlices(typeof options.data === 'string' ? [{ path: options.data }] : options.data, inputName);
  let train: Samples;
  let held: Samples;
  const heldOut = options.heldOut ?? { fraction: 0.1 };
  if ('data' in heldOut) {
    train = all;
    held = await loadSlices(typeof heldOut.data === 'string' ? [{ path: heldOut.data }] : heldOut.data, inputName);
  } else {
    const n = 'count' in heldOut ? heldOut.count : Math.round(heldOut.fraction * all.count);
    if (!(Number.isInteger(n) && n >= 1 && n < all.count)) throw invalid(`held-out size must be between 1 and ${all.count - 1} samples; got ${n}`);
    [train, held] = [subset(all, 0, all.count - n), subset(all, all.count - n, n)];
  }
  if (train.count < batchSize) throw invalid(`batchSize ${batchSize} exceeds the ${train.count} training samples`);

  const sessionOptions: ort.InferenceSession.SessionOptions = { logSeverityLevel: 3, intraOpNumThreads: threads, interOpNumThreads: 1, executionMode: 'sequential', graphOptimizationLevel: 'all' };
  const teacherSession = await ort.InferenceSession.create(encodeModelProto(teacherLogitsModel.model), sessionOptions);
  const augment = options.augment && (options.augment.hflip || (options.augment.shift ?? 0) > 0) ? options.augment : undefined;
  if (augment && train.sampleShape.length !== 3) {
    await teacherSession.release();
    throw invalid(`augment applies to image samples [channels, height, width]; "${inputName}" samples are [${train.sampleShape.join(', ')}]`);
  }
  const trainTeacher = await runLogits(teacherSession, inputName, train, 256);
  const heldTeacher = await runLogits(teacherSession, inputName, held, 256);
  if (!augment) await teacherSession.release();

  const probeCount = Math.min(2, train.count);
  const probe = { [inputName]: new ort.Tensor('float32', train.x.slice(0, probeCount * sampleSize(train)), [probeCount, ...train.sampleShape]) };
  const tg = await buildTrainingGraph(student, { temperature, alpha, momentum, weightDecay, optimizer, labels: train.labels !== null }, probe);
  if (trainTeacher.classes !== tg.classes) throw new CompressError('dataset/mismatch', 'train', `teacher has ${trainTeacher.classes} classes, student ${tg.classes}`);
  const [trainSession, evalSession] = await Promise.all([
    ort.InferenceSession.create(encodeModelProto(tg.model), sessionOptions),
    ort.InferenceSession.create(encodeModelProto(tg.forward), sessionOptions),
  ]);

  const classes = tg.classes;
  let state = tg.initialState();
  const paramFeeds = (): Record<string, ort.Tensor> => Object.fromEntries(tg.params.map((p) => [p.name, state[p.name]!]));
  const scoreHeldOut = async (): Promise<HeldOutScore> => {
    const logits = await runLogits(evalSession, inputName, held, 256, paramFeeds());
    return compare(logits.values, heldTeacher.values, held.labels, classes);
  };
  const teacherHeld = compare(heldTeacher.values, heldTeacher.values, held.labels, classes);
  const before = await scoreHeldOut();

  const stepsPerEpoch = Math.ceil(train.count / batchSize);
  const totalSteps = stepsPerEpoch * epochs;
  const lrAt = (s: number): number => {
    const lr = learningRate(schedule, s, totalSteps, stepsPerEpoch);
    return optimizer === 'adam' ? adamLearningRate(lr, momentum, s + 1) : lr;
  };
  const random = mulberry32(options.seed ?? 1);
  const perSample = sampleSize(train);
  let step = 0;
  let trainedSamples = 0;
  let trainMs = 0;
  let best = { epoch: 0, weights: snapshot(tg.params.map((p) => p.name), state), ...before };
  const history: { epoch: number; loss: number; heldOutAccuracy: number | null; heldOutAgreement: number; heldOutDivergence: number }[] = [];
  let stoppedEarly = false;
  try {
    for (let epoch = 1; epoch <= epochs; epoch++) {
      const order = permutation(train.count, random);
      const t0 = performance.now();
      let lossSum = 0;
      for (let s = 0; s < stepsPerEpoch; s++) {
        const rows = order.subarray(s * batchSize, Math.min((s + 1) * batchSize, train.count));
        const x = new Float32Array(rows.length * perSample);
        const t = new Float32Array(rows.length * classes);
        const y = train.labels ? new BigInt64Array(rows.length) : null;
        rows.forEach((r, i) => {
          x.set(train.x.subarray(r * perSample, (r + 1) * perSample), i * perSample);
          t.set(trainTeacher.values.subarray(r * classes, (r + 1) * classes), i * classes);
          if (y) y[i] = train.labels![r]!;
        });
        if (augment) {
          augmentImages(x, rows.length, train.sampleShape as [number, number, number], augment, random);
          t.set((await teacherSession.run({ [inputName]: new ort.Tensor('float32', x, [rows.length, ...train.sampleShape]) }))[teacherSession.outputNames[0]!]!.data as Float32Array);
        }
        const feeds: Record<string, ort.Tensor> = {
          ...state,
          [inputName]: new ort.Tensor('float32', x, [rows.length, ...train.sampleShape]),
          [tg.inputs.teacherLogits]: new ort.Tensor('float32', t, [rows.length, classes]),
          [tg.inputs.learningRate]: new ort.Tensor('float32', Float32Array.of(lrAt(step)), []),
        };
        if (y && tg.inputs.labels) feeds[tg.inputs.labels] = new ort.Tensor('int64', y, [rows.length]);
        const out = await trainSession.run(feeds);
        const next: Record<string, ort.Tensor> = {};
        for (const p of tg.params) {
          next[p.name] = out[p.updatedOutput]!;
          next[p.momentumInput] = out[p.updatedMomentumOutput]!;
          if (p.secondMomentInput) next[p.secondMomentInput] = out[p.updatedSecondMomentOutput!]!;
        }
        state = next;
        const loss = (out[tg.outputs.loss]!.data as Float32Array)[0]!;
        if (!Number.isFinite(loss)) throw new CompressError('train/invalid_options', 'train', `training diverged at step ${step} (loss ${loss}); lower the learning rate`);
        lossSum += loss * rows.length;
        step++;
      }
      const elapsed = performance.now() - t0;
      trainMs += elapsed;
      trainedSamples += train.count;
      const heldScore = await scoreHeldOut();
      const entry = { epoch, loss: lossSum / train.count, heldOutAccuracy: heldScore.accuracy, heldOutAgreement: heldScore.agreement, heldOutDivergence: heldScore.divergence };
      history.push(entry);
      options.onProgress?.({ ...entry, step, samplesPerSec: (train.count / elapsed) * 1000 });
      if (better(heldScore, best)) best = { epoch, weights: snapshot(tg.params.map((p) => p.name), state), ...heldScore };
      if (options.earlyStopping && epoch - best.epoch >= options.earlyStopping.patience) {
        stoppedEarly = epoch < epochs;
        break;
      }
    }
  } catch (err) {
    if (err instanceof CompressError) throw err;
    throw new CompressError('train/invalid_options', 'train', `training step failed: ${describeCause(err)}`, { cause: err });
  } finally {
    await Promise.all([trainSession.release(), evalSession.release(), ...(augment ? [teacherSession.release()] : [])]);
  }

  const trained = writeWeights(cloneModelProto(student), best.weights);
  const samplesPerSec = trainMs > 0 ? (trainedSamples / trainMs) * 1000 : 0;
  return {
    model: trained,
    report: {
      pass: 'distill',
      changed: tg.params.length,
      skipped: [],
      notes: [...notes, `kept the weights of epoch ${best.epoch} (best held-out ${train.labels ? 'accuracy' : 'agreement'})`],
      details: {
        epochs: history.length,
        steps: step,
        bestEpoch: best.epoch,
        stoppedEarly,
        trainSamples: train.count,
        heldOutSamples: held.count,
        samplesPerSec,
        wallMs: performance.now() - started,
        trainedTensors: tg.params.map((p) => p.name),
        teacher: { heldOutAccuracy: teacherHeld.accuracy },
        heldOut: { before, after: { accuracy: best.accuracy, agreement: best.agreement, divergence: best.divergence } },
        history,
        options: { batchSize, temperature, alpha, momentum, weightDecay, optimizer, learningRate: schedule, augment: augment ?? null },
      },
    },
  };
}

function isStudentSpec(s: onnx.ModelProto | StudentSpec): s is StudentSpec {
  return typeof (s as { name?: unknown }).name === 'string' && !(s as onnx.ModelProto).graph;
}

async function resolveStudent(teacher: onnx.ModelProto, student: onnx.ModelProto | StudentSpec, notes: string[]): Promise<onnx.ModelProto> {
  if (!isStudentSpec(student)) return student;
  const spec = student;
  if (spec.name === 'pruned') {
    const ratio = spec.ratio ?? 0.5;
    if (!(ratio > 0 && ratio < 1)) throw invalid(`the pruned student's ratio must be in (0, 1); got ${ratio}`);
    notes.push(`student: the teacher with ${Math.round(ratio * 100)}% of Conv/Gemm filters pruned (pruneChannels)`);
    return (await pruneChannels(teacher, { ratio, ops: ['Conv', 'Gemm'] })).model;
  }
  const built = await buildStudent(teacher, spec.name, { width: spec.width, seed: spec.seed });
  notes.push(...built.report.notes);
  return built.model;
}

export function learningRate(schedule: LearningRateSchedule, step: number, totalSteps: number, stepsPerEpoch: number): number {
  if (schedule.kind === 'cosine') {
    const final = schedule.final ?? 0;
    return final + 0.5 * (schedule.initial - final) * (1 + Math.cos((Math.PI * step) / totalSteps));
  }
  return schedule.initial * schedule.gamma ** Math.floor(step / stepsPerEpoch / schedule.everyEpochs);
}

export interface HeldOutScore {
  readonly accuracy: number | null;
  readonly agreement: number;
  /** Mean KL(teacher ‖ student) of the softmax outputs (T = 1). */
  readonly divergence: number;
}

/**
 * Held-out accuracy (with labels, else agreement with the teacher) decides; on a tie the lower divergence from
 * the teacher does. Small held-out sets (a few images) tie often, and a strict comparison would then keep
 * the untrained student however much training improved it.
 */
export function better(a: HeldOutScore, b: HeldOutScore): boolean {
  const [sa, sb] = [a.accuracy ?? a.agreement, b.accuracy ?? b.agreement];
  return sa > sb || (sa === sb && a.divergence < b.divergence);
}

function snapshot(names: readonly string[], state: Record<string, ort.Tensor>): Map<string, Float32Array> {
  return new Map(names.map((n) => [n, Float32Array.from(state[n]!.data as Float32Array)]));
}

/** In place: per sample, a horizontal flip (p = ½) and a shift by up to `shift` pixels with edge pixels repeated. */
function augmentImages(x: Float32Array, count: number, [channels, height, width]: [number, number, number], augment: { hflip?: boolean; shift?: number }, random: () => number): void {
  const plane = height * width;
  const copy = new Float32Array(plane);
  const shift = augment.shift ?? 0;
  for (let n = 0; n < count; n++) {
    const flip = augment.hflip === true && random() < 0.5;
    const dy = shift > 0 ? Math.floor(random() * (2 * shift + 1)) - shift : 0;
    const dx = shift > 0 ? Math.floor(random() * (2 * shift + 1)) - shift : 0;
    if (!flip && dx === 0 && dy === 0) continue;
    for (let c = 0; c < channels; c++) {
      const at = (n * channels + c) * plane;
      copy.set(x.subarray(at, at + plane));
      for (let h = 0; h < height; h++) {
        const sh = Math.min(height - 1, Math.max(0, h - dy));
        for (let w = 0; w < width; w++) {
          const sw = Math.min(width - 1, Math.max(0, w - dx));
          x[at + h * width + w] = copy[sh * width + (flip ? width - 1 - sw : sw)]!;
        }
      }
    }
  }
}

function permutation(n: number, random: () => number): Uint32Array {
  const order = Uint32Array.from({ length: n }, (_, i) => i);
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [order[i], order[j]] = [order[j]!, order[i]!];
  }
  return order;
}

function sampleSize(s: Samples): number {
  return s.sampleShape.reduce((a, b) => a * b, 1);
}

function subset(s: Samples, start: number, count: number): Samples {
  const per = sampleSize(s);
  return { x: s.x.subarray(start * per, (start + count) * per), labels: s.labels ? s.labels.subarray(start, start + count) : null, count, sampleShape: s.sampleShape };
}

function dataInputName(model: onnx.ModelProto): string {
  const inits = new Set((model.graph?.initializer ?? []).map((t) => t.name ?? ''));
  const inputs = (model.graph?.input ?? []).map((v) => v.name ?? '').filter((n) => !inits.has(n));
  if (inputs.length !== 1) throw invalid(`the student must have exactly one data input; it has ${inputs.length}`);
  return inputs[0]!;
}

async function loadSlices(slices: readonly DataSlice[], inputName: string): Promise<Samples> {
  if (slices.length === 0) throw invalid('no data given');
  const parts: Samples[] = [];
  for (const slice of slices) {
    const npz = await openNpz(slice.path);
    if (!npz.arrays.some((a) => a.name === inputName)) throw new CompressError('dataset/mismatch', 'train', `${slice.path} has no array "${inputName}" (the model input)`);
    const x = await npz.readArray(inputName);
    if (x.dtype !== 'float32') throw new CompressError('dataset/mismatch', 'train', `${slice.path}: "${inputName}" is ${x.dtype}, expected float32`);
    const labelsInfo = npz.arrays.find((a) => a.name === LABELS_ARRAY);
    const labelArray = labelsInfo ? await npz.readArray(LABELS_ARRAY) : null;
    const total = x.shape[0]!;
    const start = slice.start ?? 0;
    const count = slice.count ?? total - start;
    if (!(start >= 0 && count >= 1 && start + count <= total)) throw invalid(`${slice.path}: slice [${start}, ${start + count}) is outside its ${total} samples`);
    let labels: BigInt64Array | null = null;
    if (labelArray) {
      const src = labelArray.data;
      labels = new BigInt64Array(count);
      for (let i = 0; i < count; i++) labels[i] = BigInt(src[start + i] as number | bigint);
    }
    parts.push({ ...subset({ x: x.data as Float32Array, labels: null, count: total, sampleShape: x.shape.slice(1) }, start, count), labels });
  }
  const shape = parts[0]!.sampleShape;
  if (parts.some((p) => p.sampleShape.join() !== shape.join())) throw new CompressError('dataset/mismatch', 'train', 'data slices have different sample shapes');
  const count = parts.reduce((a, p) => a + p.count, 0);
  const per = sampleSize(parts[0]!);
  const x = new Float32Array(count * per);
  // Labels count only when every slice has them; samples labelled −1 (unlabelled) disable them too.
  const labelled = parts.every((p) => p.labels !== null);
  const labels = labelled ? new BigInt64Array(count) : null;
  let at = 0;
  for (const p of parts) {
    x.set(p.x, at * per);
    if (labels) labels.set(p.labels!, at);
    at += p.count;
  }
  const usable = labels && labels.every((l) => l >= 0n);
  return { x, labels: usable ? labels : null, count, sampleShape: shape };
}

async function runLogits(
  session: ort.InferenceSession,
  inputName: string,
  samples: Samples,
  batch: number,
  extra: Record<string, ort.Tensor> = {},
): Promise<{ values: Float32Array; classes: number }> {
  const per = sampleSize(samples);
  let values: Float32Array | null = null;
  let classes = 0;
  for (let start = 0; start < samples.count; start += batch) {
    const n = Math.min(batch, samples.count - start);
    const x = new ort.Tensor('float32', samples.x.slice(start * per, (start + n) * per), [n, ...samples.sampleShape]);
    const out = (await session.run({ ...extra, [inputName]: x }))[session.outputNames[0]!]!;
    if (!values) {
      classes = out.dims[1] ?? 1;
      values = new Float32Array(samples.count * classes);
    }
    values.set(out.data as Float32Array, start * classes);
  }
  return { values: values!, classes };
}

function logSoftmaxRow(values: Float32Array, row: number, classes: number): Float64Array {
  const x = values.subarray(row * classes, (row + 1) * classes);
  let max = -Infinity;
  for (const v of x) max = Math.max(max, v);
  let sum = 0;
  for (const v of x) sum += Math.exp(v - max);
  const log = Math.log(sum) + max;
  return Float64Array.from(x, (v) => v - log);
}

function argmax(values: Float32Array, row: number, classes: number): number {
  let best = 0;
  for (let k = 1; k < classes; k++) if (values[row * classes + k]! > values[row * classes + best]!) best = k;
  return best;
}

function compare(student: Float32Array, teacher: Float32Array, labels: BigInt64Array | null, classes: number): HeldOutScore {
  const n = student.length / classes;
  let agree = 0;
  let correct = 0;
  let divergence = 0;
  for (let i = 0; i < n; i++) {
    const [ls, lt] = [logSoftmaxRow(student, i, classes), logSoftmaxRow(teacher, i, classes)];
    for (let k = 0; k < classes; k++) divergence += Math.exp(lt[k]!) * (lt[k]! - ls[k]!);
    const s = argmax(student, i, classes);
    if (s === argmax(teacher, i, classes)) agree++;
    if (labels && BigInt(s) === labels[i]) correct++;
  }
  return { accuracy: labels ? correct / n : null, agreement: agree / n, divergence: divergence / n };
}
