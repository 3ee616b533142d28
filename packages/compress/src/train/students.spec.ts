import { describe, expect, it } from 'vitest';
import { expectCompressError } from '../../test/expect-error.js';
import { checkGradients, floatFeed } from '../../test/finite-difference.js';
import { MODELS, NPZ } from '../../test/fixtures.js';
import { buildModelProto, DataType, floatTensor, intAttr, node, valueInfo } from '../../test/onnx-builder.js';
import { npzRows, runModel, seeded } from '../../test/pass-run.js';
import { inspectModel } from '../inspect/inspect-model.js';
import { ort } from '../inspect/runtime.js';
import { graphProblems } from '../ir/graph.js';
import { cloneModelProto, encodeModelProto } from '../ir/model-proto.js';
import { readModelFile } from '../ir/model-file.js';
import { int64ToNumber, onnx } from '../ir/onnx.js';
import { readFloat32 } from '../ir/tensor-data.js';
import { runRecipe } from '../profiles/run-recipe.js';
import { distill } from './distill.js';
import { GRAD_RULES } from './grad-rules/index.js';
import { buildStudent, STUDENT_ARCHITECTURES, STUDENT_OPS, type StudentArchitecture } from './students.js';

const F = DataType.FLOAT;

/** A teacher with one input of `inputDims` (batch symbolic) and a Gemm classifier with `classes` outputs. */
function tinyTeacher(inputDims: (number | string)[], classes = 3): onnx.ModelProto {
  const features = inputDims.slice(1).reduce<number>((a, d) => a * (typeof d === 'number' ? d : 1), 1);
  return buildModelProto({
    nodes: [node('Flatten', ['x'], ['f'], [intAttr('axis', 1)]), node('Gemm', ['f', 'w', 'b'], ['y'], [intAttr('transB', 1)])],
    inputs: [valueInfo('x', F, inputDims)],
    outputs: [valueInfo('y', F, ['N', classes])],
    initializers: [floatTensor('w', [classes, features], (i) => Math.sin(i)), floatTensor('b', [classes], () => 0)],
  });
}

/**
 * The student with its initializers turned into graph inputs, for gradient checks. Biases get small random values:
 * at their initial zeros a dead channel puts Relu inputs exactly on the kink, where finite differences measure
 * half the one-sided slope and no rule can agree.
 */
function weightsAsInputs(model: onnx.ModelProto, x: ort.Tensor, random: () => number): { model: onnx.ModelProto; feeds: Record<string, ort.Tensor> } {
  const m = cloneModelProto(model);
  const graph = m.graph!;
  const feeds: Record<string, ort.Tensor> = { [graph.input![0]!.name!]: x };
  for (const t of graph.initializer ?? []) {
    const dims = (t.dims ?? []).map(int64ToNumber);
    feeds[t.name!] = dims.length === 1 ? floatFeed(dims, random, 0.1) : new ort.Tensor('float32', readFloat32(t), dims);
    graph.input!.push(valueInfo(t.name!, F, dims) as onnx.ValueInfoProto);
  }
  graph.initializer = [];
  return { model: m, feeds };
}

describe(buildStudent.name, () => {
  it.each(STUDENT_ARCHITECTURES.map((a) => [a] as const))('%s for LeNet-5: same I/O, fewer MACs, only differentiable ops', async (architecture) => {
    const teacher = await readModelFile(MODELS.lenet);
    const sut = await buildStudent(teacher, architecture);
    const graph = sut.model.graph!;
    expect(graphProblems(graph)).toEqual([]);
    const ops = new Set(graph.node!.map((n) => n.opType!));
    expect([...ops].sort()).toEqual([...STUDENT_OPS[architecture]].sort());
    for (const op of ops) expect(GRAD_RULES[op], op).toBeDefined();
    expect(graph.input!.map((v) => v.name)).toEqual(['input']);
    expect(graph.output!.map((v) => v.name)).toEqual(['output']);

    const x = await npzRows(NPZ.mnistCalib, 'input', 5);
    const y = (await runModel(sut.model, { input: x })).output!;
    expect(y.dims).toEqual([5, 10]);
    const [teacherInfo, studentInfo] = [await inspectModel(encodeModelProto(teacher)), await inspectModel(encodeModelProto(sut.model))];
    expect(studentInfo.macs).toBe(sut.report.details['macs']);
    expect(studentInfo.macs!).toBeLessThan(0.6 * teacherInfo.macs!);
    expect(studentInfo.parameterCount).toBe(sut.report.details['parameters']);
  });

  it.each([['cnn-small'], ['dwcnn']] as const)('%s for MobileNetV2 (3×128×128) ends in Softmax like its teacher', async (architecture) => {
    const teacher = await readModelFile(MODELS.mobilenet);
    const sut = await buildStudent(teacher, architecture, { width: 0.5 });
    const nodes = sut.model.graph!.node!;
    expect(nodes.at(-1)).toMatchObject({ opType: 'Softmax', output: ['Identity:0'] });
    const x = await npzRows(NPZ.naturalCalib, 'input_1:0', 3);
    const y = (await runModel(sut.model, { 'input_1:0': x }))['Identity:0']!;
    expect(y.dims).toEqual([3, 2]);
    const p = y.data as Float32Array;
    for (let i = 0; i < 3; i++) expect(p[2 * i]! + p[2 * i + 1]!).toBeCloseTo(1, 5);
    expect(sut.report.details['macs'] as number).toBeLessThan((await inspectModel(encodeModelProto(teacher))).macs!);
  });

  it('is deterministic per seed and scales with width', async () => {
    const teacher = tinyTeacher(['N', 2, 12, 12]);
    const [a, b, c] = await Promise.all([buildStudent(teacher, 'dwcnn'), buildStudent(teacher, 'dwcnn'), buildStudent(teacher, 'dwcnn', { seed: 2 })]);
    const w = (m: onnx.ModelProto) => readFloat32(m.graph!.initializer![0]!);
    expect(w(a.model)).toEqual(w(b.model));
    expect(w(a.model)).not.toEqual(w(c.model));
    const wide = await buildStudent(teacher, 'dwcnn', { width: 2 });
    expect(wide.report.details['parameters'] as number).toBeGreaterThan(3 * (a.report.details['parameters'] as number));
  });

  it('refuses CNN students for inputs that are not NCHW images, and teachers that are not classifiers', async () => {
    const vector = tinyTeacher(['N', 20]);
    for (const architecture of ['cnn-small', 'dwcnn'] as const) {
      const err = await expectCompressError(() => buildStudent(vector, architecture), 'train/unsupported_student');
      expect(err.message).toContain('NCHW');
    }
    expect((await buildStudent(vector, 'mlp')).model.graph!.output![0]!.name).toBe('y');
    await expectCompressError(() => buildStudent(tinyTeacher(['N', 1, 4, 4]), 'cnn-small'), 'train/unsupported_student');
    await expectCompressError(() => buildStudent(tinyTeacher(['N', 3, 'H', 'W']), 'mlp'), 'train/unsupported_student');
    const twoInputs = tinyTeacher(['N', 20]);
    twoInputs.graph!.input!.push(valueInfo('z', F, ['N', 20]) as onnx.ValueInfoProto);
    await expectCompressError(() => buildStudent(twoInputs, 'mlp'), 'train/unsupported_student');
    await expectCompressError(() => buildStudent(vector, 'mlp', { width: 0 }), 'train/invalid_options');
    await expectCompressError(() => buildStudent(vector, 'resnet' as StudentArchitecture), 'train/invalid_options');
  });
});

describe('built-in students: gradients of the whole network against finite differences', () => {
  it.each(STUDENT_ARCHITECTURES.map((a, i) => [a, i] as const))('%s', async (architecture, i) => {
    const teacher = tinyTeacher(['N', 2, 10, 10]);
    const student = (await buildStudent(teacher, architecture, { width: 0.5, seed: 3 + i })).model;
    const { model, feeds } = weightsAsInputs(student, floatFeed([2, 2, 10, 10], seeded(11 + i)), seeded(21 + i));
    const check = await checkGradients(model, feeds, Object.keys(feeds), { maxElements: 24, h: 1e-3 });
    // Some perturbations of a whole network push a Relu input across its kink (a bias shifts every position), which
    // costs the finite differences up to a few percent, shrinking with h; a wrong rule stays off by O(1).
    const errors = Object.entries(check.relativeError);
    for (const [input, err] of errors) expect(err, `${input}: relative error ${err}`).toBeLessThan(5e-2);
    expect(errors.map(([, e]) => e).sort((a, b) => a - b)[errors.length >> 1]!).toBeLessThan(1e-2);
    expect(Object.keys(check.relativeError).length).toBe(Object.keys(feeds).length);
  });
});

describe('distill with built-in students', () => {
  it.each([['mlp'], ['cnn-small']] as const)('%s learns MNIST from the teacher in 2 epochs on 900 images', async (architecture) => {
    const teacher = await readModelFile(MODELS.lenet);
    const { model, report } = await distill(teacher, {
      student: { name: architecture },
      data: NPZ.mnistCalib,
      heldOut: { count: 200 },
      epochs: 2,
      batchSize: 32,
      learningRate: { kind: 'cosine', initial: 0.05 },
      threads: 2,
    });
    const heldOut = report.details['heldOut'] as { before: { accuracy: number }; after: { accuracy: number; agreement: number } };
    expect(heldOut.before.accuracy).toBeLessThan(0.3);
    expect(heldOut.after.accuracy).toBeGreaterThan(0.8);
    expect(heldOut.after.accuracy - heldOut.before.accuracy).toBeGreaterThan(0.5);
    expect(report.notes.some((n) => n.includes(`built-in ${architecture} student`))).toBe(true);
    // The exported student is its inference graph (no training ops) and loads in onnxruntime.
    expect(new Set(model.graph!.node!.map((n) => n.opType))).toEqual(new Set(STUDENT_OPS[architecture]));
    expect((await runModel(model, { input: await npzRows(NPZ.mnistCalib, 'input', 2) })).output!.dims).toEqual([2, 10]);
  });

  it('rejects a pruned student with a ratio outside (0, 1)', async () => {
    const teacher = await readModelFile(MODELS.lenet);
    await expectCompressError(() => distill(teacher, { data: NPZ.mnistCalib, student: { name: 'pruned', ratio: 1 } }), 'train/invalid_options');
  });

  it('runs as a recipe step (student: dwcnn) and refuses one that is not the first step', async () => {
    const teacher = await readModelFile(MODELS.lenet);
    const { model, reports } = await runRecipe(
      teacher,
      { id: 'dwcnn-distilled', precision: 'fp32', steps: [{ name: 'distill', student: 'dwcnn', epochs: 1, learningRate: 0.05 }] },
      { calibration: NPZ.mnistCalib, threads: 1, trainingThreads: 2 },
    );
    expect(reports[0]).toMatchObject({ pass: 'distill', details: { trainSamples: 900, epochs: 1 } });
    expect(model.graph!.node!.some((n) => n.opType === 'GlobalAveragePool')).toBe(true);
    await expect(
      runRecipe(
        teacher,
        { id: 'p-mlp', precision: 'fp32', steps: [{ name: 'prune-channels', ratio: 0.5 }, { name: 'distill', student: 'mlp' }] },
        { calibration: NPZ.mnistCalib, threads: 1 },
      ),
    ).rejects.toMatchObject({ code: 'pass/invalid_options' });
  });
});
