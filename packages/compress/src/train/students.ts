import { CompressError } from '../errors.js';
import { mulberry32 } from '../eval/synthetic.js';
import { ort, withSession } from '../inspect/runtime.js';
import { attr } from '../ir/attributes.js';
import { GraphIndex } from '../ir/graph.js';
import { encodeModelProto } from '../ir/model-proto.js';
import { onnx } from '../ir/onnx.js';
import { makeTensor } from '../ir/tensor-data.js';
import { describeValueInfo } from '../ir/tensor-info.js';
import type { PassResult } from '../passes/pass-result.js';
import { TRAINING_OPSET } from './autodiff.js';

const DT = onnx.TensorProto.DataType;

/**
 * Built-in student architectures for small classifiers, created from the teacher's input/output spec and
 * trained from scratch by distillation:
 * - `mlp`: Flatten → Gemm → Relu → Gemm → Relu → Gemm (any fixed-size input);
 * - `cnn-small`: LeNet-like stages of Conv 3×3 → Relu → MaxPool 2×2 until the feature map is ≤ 7 pixels wide,
 *   then Gemm → Relu → Gemm (NCHW image inputs);
 * - `dwcnn`: a depthwise-separable CNN (MobileNet-v1 style): Conv 3×3 stride-2 stem, then blocks of depthwise Conv 3×3 →
 *   Relu → pointwise Conv 1×1 → Relu, stride 2 until ≤ 8 pixels wide, GlobalAveragePool → Gemm (NCHW images).
 */
export type StudentArchitecture = 'mlp' | 'cnn-small' | 'dwcnn';
export const STUDENT_ARCHITECTURES: readonly StudentArchitecture[] = ['mlp', 'cnn-small', 'dwcnn'];

/** How a distillation student is obtained: the teacher with filters pruned, or a built-in architecture. */
export type StudentSpec =
  | { readonly name: 'pruned'; /** Fraction of filters removed from every prunable Conv/Gemm. @defaultValue 0.5 */ readonly ratio?: number }
  | { readonly name: StudentArchitecture; /** Width multiplier of every layer. @defaultValue 1 */ readonly width?: number; /** Weight-init seed. @defaultValue 1 */ readonly seed?: number };

export interface BuildStudentOptions {
  /** Multiplies every layer's width (channels, hidden units); at least 1 unit each. @defaultValue 1 */
  readonly width?: number;
  /** Seed of the He-normal weight initialisation. @defaultValue 1 */
  readonly seed?: number;
}

/** The ops each architecture uses; every one has a gradient rule in `GRAD_RULES`. */
export const STUDENT_OPS: Readonly<Record<StudentArchitecture, readonly string[]>> = {
  mlp: ['Flatten', 'Gemm', 'Relu'],
  'cnn-small': ['Conv', 'Relu', 'MaxPool', 'Flatten', 'Gemm'],
  dwcnn: ['Conv', 'Relu', 'GlobalAveragePool', 'Flatten', 'Gemm'],
};

interface TeacherSpec {
  readonly input: string;
  /** Per-sample dims (batch axis excluded). */
  readonly sample: readonly number[];
  readonly output: string;
  readonly classes: number;
  /** The teacher ends with Softmax: the student does too, so it is a drop-in replacement. */
  readonly softmax: boolean;
}

function refuse(detail: string): CompressError {
  return new CompressError('train/unsupported_student', 'train', detail);
}

/** Reads (and checks) the teacher's single float input, single [batch, classes] output, and its final Softmax. */
export async function teacherSpec(teacher: onnx.IModelProto): Promise<TeacherSpec> {
  const graph = teacher.graph ?? {};
  const initNames = new Set((graph.initializer ?? []).map((t) => t.name ?? ''));
  const inputs = (graph.input ?? []).filter((v) => !initNames.has(v.name ?? '')).map(describeValueInfo);
  if (inputs.length !== 1) throw refuse(`a built-in student needs a teacher with exactly one input; it has ${inputs.length} (${inputs.map((i) => i.name).join(', ')})`);
  const input = inputs[0]!;
  if (input.elemType !== 'float32') throw refuse(`input "${input.name}" is ${input.elemType}; built-in students take float32`);
  if (!input.shape || input.shape.length < 2) throw refuse(`input "${input.name}" must be [batch, ...] with a known rank; got ${input.shape ? `[${input.shape.join(', ')}]` : 'no shape'}`);
  const sample = input.shape.slice(1);
  if (!sample.every((d): d is number => typeof d === 'number' && d > 0)) {
    throw refuse(`input "${input.name}" [${input.shape.join(', ')}]: every dimension but the batch must be fixed`);
  }
  const outputs = (graph.output ?? []).map(describeValueInfo);
  if (outputs.length !== 1) throw refuse(`a built-in student needs a teacher with exactly one output; it has ${outputs.length}`);
  const output = outputs[0]!;
  if (output.elemType !== 'float32') throw refuse(`output "${output.name}" is ${output.elemType}; a classifier's scores are float32`);
  // The class count from one run of the teacher (static output shapes are often symbolic or absent).
  const dims = await withSession(encodeModelProto(teacher), async (s) => {
    const batch = typeof input.shape![0] === 'number' ? input.shape![0] : 1;
    const zeros = new ort.Tensor('float32', new Float32Array(batch * sample.reduce((a, d) => a * d, 1)), [batch, ...sample]);
    return [...(await s.run({ [input.name]: zeros }))[output.name]!.dims];
  });
  if (dims.length !== 2) throw refuse(`output "${output.name}" is [${dims.join(', ')}]; built-in students are classifiers with [batch, classes] outputs`);
  const producer = new GraphIndex(graph).producer(output.name);
  return { input: input.name, sample, output: output.name, classes: dims[1]!, softmax: producer?.opType === 'Softmax' };
}

/** Layer widths scaled by `width`, never below 1. */
const scaled = (units: number, width: number): number => Math.max(1, Math.round(units * width));

class StudentBuilder {
  readonly nodes: onnx.INodeProto[] = [];
  readonly initializers: onnx.ITensorProto[] = [];
  macs = 0;
  private count = 0;
  private readonly normal: () => number;

  constructor(seed: number) {
    const uniform = mulberry32(seed);
    // Box–Muller.
    this.normal = () => Math.sqrt(-2 * Math.log(1 - uniform())) * Math.cos(2 * Math.PI * uniform());
  }

  private name(base: string): string {
    return `student/${base}_${this.count++}`;
  }

  /** He-normal weights (std √(gain/fan_in)), zero biases. */
  private weight(dims: number[], fanIn: number, gain: number): string {
    const name = this.name('weight');
    const std = Math.sqrt(gain / fanIn);
    const data = Float32Array.from({ length: dims.reduce((a, b) => a * b, 1) }, () => this.normal() * std);
    this.initializers.push(makeTensor(name, DT.FLOAT, dims, data));
    return name;
  }

  private bias(n: number): string {
    const name = this.name('bias');
    this.initializers.push(makeTensor(name, DT.FLOAT, [n], new Float32Array(n)));
    return name;
  }

  op(opType: string, inputs: string[], attributes: onnx.IAttributeProto[] = [], output?: string): string {
    const out = output ?? this.name(opType.toLowerCase());
    this.nodes.push(onnx.NodeProto.create({ opType, input: inputs, output: [out], attribute: attributes, name: this.name(`${opType}_node`), domain: '' }));
    return out;
  }

  /** Conv with a square kernel, "same" padding for odd kernels; returns the output and its spatial size. */
  conv(x: string, cin: number, cout: number, kernel: number, stride: number, group: number, size: [number, number], gain = 2): { y: string; size: [number, number] } {
    const pad = (kernel - 1) >> 1;
    const w = this.weight([cout, cin / group, kernel, kernel], (cin / group) * kernel * kernel, gain);
    const outSize: [number, number] = [Math.floor((size[0] + 2 * pad - kernel) / stride) + 1, Math.floor((size[1] + 2 * pad - kernel) / stride) + 1];
    this.macs += outSize[0] * outSize[1] * cout * (cin / group) * kernel * kernel;
    const y = this.op('Conv', [x, w, this.bias(cout)], [
      attr.ints('kernel_shape', [kernel, kernel]),
      attr.ints('strides', [stride, stride]),
      attr.ints('pads', [pad, pad, pad, pad]),
      attr.int('group', group),
    ]);
    return { y, size: outSize };
  }

  gemm(x: string, inFeatures: number, outFeatures: number, gain = 2, output?: string): string {
    this.macs += inFeatures * outFeatures;
    return this.op('Gemm', [x, this.weight([outFeatures, inFeatures], inFeatures, gain), this.bias(outFeatures)], [attr.int('transB', 1)], output);
  }
}

/**
 * A built-in student for `teacher`: same input and output names, dtypes and meaning (a teacher ending in
 * Softmax gets a student ending in Softmax), batch dimension symbolic, weights He-initialised from `seed`.
 * Train it with `distill(teacher, { student })`.
 *
 * @throws CompressError `train/unsupported_student` when the teacher is not a single-input classifier with a
 *   fixed-size float input and [batch, classes] output, or when a CNN student is asked for an input that is not
 *   an NCHW image (rank 4, at least 8×8 pixels); `train/invalid_options` for a bad width or architecture.
 */
export async function buildStudent(teacher: onnx.IModelProto, architecture: StudentArchitecture, options: BuildStudentOptions = {}): Promise<PassResult> {
  if (!STUDENT_ARCHITECTURES.includes(architecture)) {
    throw new CompressError('train/invalid_options', 'train', `unknown student architecture "${String(architecture)}"; built-in: ${STUDENT_ARCHITECTURES.join(', ')}`);
  }
  const width = options.width ?? 1;
  if (!(width > 0 && width <= 16)) throw new CompressError('train/invalid_options', 'train', `student width must be in (0, 16]; got ${width}`);
  const spec = await teacherSpec(teacher);
  const b = new StudentBuilder(options.seed ?? 1);
  const logitsName = spec.softmax ? 'student/logits' : spec.output;
  const layers: string[] = [];

  if (architecture === 'mlp') {
    const features = spec.sample.reduce((a, c) => a * c, 1);
    const [h1, h2] = [scaled(128, width), scaled(64, width)];
    const flat = b.op('Flatten', [spec.input], [attr.int('axis', 1)]);
    const r1 = b.op('Relu', [b.gemm(flat, features, h1)]);
    const r2 = b.op('Relu', [b.gemm(r1, h1, h2)]);
    b.gemm(r2, h2, spec.classes, 1, logitsName);
    layers.push(`Gemm ${features}→${h1}`, `Gemm ${h1}→${h2}`, `Gemm ${h2}→${spec.classes}`);
  } else {
    if (spec.sample.length !== 3) {
      throw refuse(`a ${architecture} student needs an NCHW image input [batch, channels, height, width]; "${spec.input}" is [batch, ${spec.sample.join(', ')}] (use the mlp student)`);
    }
    const [channels, height, wide] = spec.sample as [number, number, number];
    if (height < 8 || wide < 8) throw refuse(`a ${architecture} student needs images of at least 8×8 pixels; "${spec.input}" is ${height}×${wide}`);
    let size: [number, number] = [height, wide];
    let x = spec.input;
    let c = channels;
    if (architecture === 'cnn-small') {
      // Stages until the map is at most 7 pixels wide (at least 2, at most 6), channels doubling from 6.
      for (let stage = 0; stage < 6 && (stage < 2 || Math.max(...size) > 7); stage++) {
        const cout = scaled(Math.min(6 * 2 ** stage, 48), width);
        const conv = b.conv(x, c, cout, 3, 1, 1, size);
        x = b.op('MaxPool', [b.op('Relu', [conv.y])], [attr.ints('kernel_shape', [2, 2]), attr.ints('strides', [2, 2])]);
        size = [Math.floor(conv.size[0] / 2), Math.floor(conv.size[1] / 2)];
        layers.push(`Conv 3×3 ${c}→${cout} + MaxPool → ${size.join('×')}`);
        c = cout;
      }
      const features = c * size[0] * size[1];
      const hidden = scaled(64, width);
      const r = b.op('Relu', [b.gemm(b.op('Flatten', [x], [attr.int('axis', 1)]), features, hidden)]);
      b.gemm(r, hidden, spec.classes, 1, logitsName);
      layers.push(`Gemm ${features}→${hidden}`, `Gemm ${hidden}→${spec.classes}`);
    } else {
      // A stride-2 stem (MobileNet's): the full-resolution map would dominate the MACs.
      const stemStride = Math.min(height, wide) >= 16 ? 2 : 1;
      const stemOut = scaled(16, width);
      const stem = b.conv(x, c, stemOut, 3, stemStride, 1, size);
      x = b.op('Relu', [stem.y]);
      size = stem.size;
      c = stemOut;
      layers.push(`Conv 3×3/${stemStride} ${channels}→${c} → ${size.join('×')}`);
      const block = (stride: number, cout: number): void => {
        const dw = b.conv(x, c, c, 3, stride, c, size);
        const pw = b.conv(b.op('Relu', [dw.y]), c, cout, 1, 1, 1, dw.size);
        x = b.op('Relu', [pw.y]);
        size = pw.size;
        layers.push(`depthwise 3×3/${stride} + pointwise ${c}→${cout} → ${size.join('×')}`);
        c = cout;
      };
      for (let i = 0; i < 6 && (i < 2 || Math.max(...size) > 8); i++) block(2, scaled(Math.min(32 * 2 ** i, 128), width));
      block(1, c);
      const pooled = b.op('Flatten', [b.op('GlobalAveragePool', [x])], [attr.int('axis', 1)]);
      b.gemm(pooled, c, spec.classes, 1, logitsName);
      layers.push(`GlobalAveragePool + Gemm ${c}→${spec.classes}`);
    }
  }
  if (spec.softmax) b.op('Softmax', [logitsName], [attr.int('axis', 1)], spec.output);

  const model = onnx.ModelProto.create({
    irVersion: 8,
    opsetImport: [{ domain: '', version: TRAINING_OPSET }],
    producerName: 'edgefleet-compress',
    docString: `built-in ${architecture} student (width ${width}) for ${teacher.graph?.name ?? 'the teacher'}`,
    graph: {
      name: `student_${architecture.replace('-', '_')}`,
      node: b.nodes,
      initializer: b.initializers,
      input: [valueInfo(spec.input, ['batch', ...spec.sample])],
      output: [valueInfo(spec.output, ['batch', spec.classes])],
    },
  });
  const parameters = b.initializers.reduce((n, t) => n + (t.dims ?? []).reduce((a: number, d) => a * Number(d), 1), 0);
  return {
    model,
    report: {
      pass: 'build-student',
      changed: b.nodes.length,
      skipped: [],
      notes: [`built-in ${architecture} student, width ${width}: ${layers.join('; ')}`, `${parameters} parameters, ${b.macs} MACs per sample; untrained (distill it)`],
      details: { architecture, width, layers, parameters, macs: b.macs, classes: spec.classes, softmax: spec.softmax },
    },
  };
}

function valueInfo(name: string, dims: readonly (number | string)[]): onnx.ValueInfoProto {
  return onnx.ValueInfoProto.create({
    name,
    type: { tensorType: { elemType: DT.FLOAT, shape: { dim: dims.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d })) } } },
  });
}
