import { describe, expect, it } from 'vitest';
import { expectCompressError } from '../../test/expect-error.js';
import { MODELS, NPZ } from '../../test/fixtures.js';
import { buildModelProto, DataType, floatTensor, int64Tensor, node, valueInfo } from '../../test/onnx-builder.js';
import { expectPassInvariants } from '../../test/pass-invariants.js';
import { encodeModelProto } from '../ir/model-proto.js';
import { EVAL_NPZ, expectClose, npzRows, randomFloats, runModel, scoreOn, seeded } from '../../test/pass-run.js';
import { ort } from '../inspect/runtime.js';
import { attr, findAttribute } from '../ir/attributes.js';
import { readModelFile } from '../ir/model-file.js';
import { onnx } from '../ir/onnx.js';
import { float16BitsToFloat32, float32ArrayToFloat16, readFloat32 } from '../ir/tensor-data.js';
import { DEFAULT_FLOAT32_OPS, toFloat16 } from './fp16.js';

const random = seeded(16);
const tensor = (dims: number[], scale = 1) => new ort.Tensor('float32', randomFloats(dims.reduce((a, b) => a * b, 1), random, scale), dims);
const init = (model: onnx.IModelProto, name: string) => model.graph!.initializer!.find((t) => t.name === name)!;
const ops = (model: onnx.IModelProto) => model.graph!.node!.map((n) => n.opType);
const GRAPH = onnx.AttributeProto.AttributeType.GRAPH;

describe(toFloat16.name, () => {
  it('stores weights as float16 within half rounding, clamps and counts values beyond ±65504, keeps graph I/O float32', async () => {
    const w = [1e-3, 70_000, -1e6, 3.14159, 1e-8, 65_504, Number.POSITIVE_INFINITY];
    const model = buildModelProto({
      inputs: [valueInfo('x', DataType.FLOAT, ['n', 7])],
      outputs: [valueInfo('y', DataType.FLOAT, ['n', 7])],
      initializers: [floatTensor('w', [7], (i) => w[i]!)],
      nodes: [node('Mul', ['x', 'w'], ['y'])],
    });
    const sut = await expectPassInvariants(model, (m) => toFloat16(m));
    expect(init(sut.model, 'w').dataType).toBe(DataType.FLOAT16);
    const expected = float16BitsToFloat32(float32ArrayToFloat16(Float32Array.from(w)).bits);
    expect(readFloat32(init(sut.model, 'w'))).toEqual(expected);
    expect([...expected]).toEqual([expect.closeTo(1e-3, 6), 65_504, -65_504, 3.140625, 0, 65_504, Number.POSITIVE_INFINITY]);
    expect(sut.report.details).toMatchObject({ clampedValues: 2, clamped: [{ tensor: 'w', values: 2 }], castsInserted: 2, castsAtInputs: 1, castsAtOutputs: 1 });
    expect(ops(sut.model)).toEqual(['Cast', 'Mul', 'Cast']);
    expect(sut.model.graph!.input![0]!.type!.tensorType!.elemType).toBe(DataType.FLOAT);
    expect(sut.model.graph!.output![0]!.type!.tensorType!.elemType).toBe(DataType.FLOAT);
    const x = { x: new ort.Tensor('float32', new Float32Array(7).fill(1), [1, 7]) };
    const y = (await runModel(sut.model, x))['y']!;
    expect(y.type).toBe('float32');
    expect([...(y.data as Float32Array)]).toEqual([...expected]);
  });

  it('rewrites Constant, ConstantOfShape, Cast `to`, value_info and type-generic inputs (Pad value, Clip min/max, BatchNormalization)', async () => {
    const model = buildModelProto({
      opset: 13,
      inputs: [valueInfo('x', DataType.FLOAT, [1, 2, 3, 3])],
      outputs: [valueInfo('y', DataType.FLOAT, [1, 2, 5, 5])],
      initializers: [
        int64Tensor('pads', [0, 0, 1, 1, 0, 0, 1, 1]), floatTensor('padValue', [], () => 0.5),
        floatTensor('lo', [], () => -1.5), floatTensor('hi', [], () => 1.5),
        floatTensor('scale', [2], (i) => 1 + i), floatTensor('shift', [2], (i) => i - 0.5), floatTensor('mean', [2], () => 0.1), floatTensor('var', [2], () => 0.9),
      ],
      nodes: [
        node('Shape', ['x'], ['s']),
        node('ConstantOfShape', ['s'], ['z']),
        node('Add', ['x', 'z'], ['a']),
        node('Cast', ['a'], ['c'], [attr.int('to', DataType.FLOAT)]),
        { ...node('Constant', [], ['two']), attribute: [{ name: 'value_float', type: onnx.AttributeProto.AttributeType.FLOAT, f: 2 }] },
        node('Mul', ['c', 'two'], ['m']),
        node('Constant', [], ['k'], [attr.tensor('value', floatTensor('', [1, 2, 1, 1], (i) => i + 0.25))]),
        node('Add', ['m', 'k'], ['mk']),
        node('Pad', ['mk', 'pads', 'padValue'], ['p']),
        node('Clip', ['p', 'lo', 'hi'], ['cl']),
        node('BatchNormalization', ['cl', 'scale', 'shift', 'mean', 'var'], ['bn']),
        node('Cast', ['s'], ['sf'], [attr.int('to', DataType.FLOAT)]),
        node('ReduceMax', ['sf'], ['sm'], [attr.int('keepdims', 0)]),
        node('Div', ['bn', 'sm'], ['d']),
        node('Relu', ['d'], ['y']),
      ],
    });
    model.graph!.valueInfo = [valueInfo('p', DataType.FLOAT, [1, 2, 5, 5]), valueInfo('s', DataType.INT64, [4])];
    const sut = await expectPassInvariants(model, (m) => toFloat16(m));
    const byOutput = (name: string) => sut.model.graph!.node!.find((n) => n.output![0] === name)!;
    expect(sut.report.details).toMatchObject({ castsInserted: 2, castsAtInputs: 1, castsAtOutputs: 1 });
    expect(byOutput('c').opType).toBe('Identity'); // the model's own Cast to float32 now maps float16 to float16
    expect(findAttribute(byOutput('z'), 'value')!.t!.dataType).toBe(DataType.FLOAT16);
    expect(findAttribute(byOutput('sf'), 'to')!.i).toBe(DataType.FLOAT16); // int64 → float16 now
    expect(findAttribute(byOutput('two'), 'value')!.t!.dataType).toBe(DataType.FLOAT16);
    expect(findAttribute(byOutput('two'), 'value_float')).toBeUndefined();
    expect(findAttribute(byOutput('k'), 'value')!.t!.dataType).toBe(DataType.FLOAT16);
    for (const name of ['padValue', 'lo', 'hi', 'scale', 'shift', 'mean', 'var']) expect(init(sut.model, name).dataType).toBe(DataType.FLOAT16);
    expect(init(sut.model, 'pads').dataType).toBe(DataType.INT64);
    expect(sut.model.graph!.valueInfo!.map((v) => v.type!.tensorType!.elemType)).toEqual([DataType.FLOAT16, DataType.INT64]);
    const x = { x: tensor([1, 2, 3, 3]) };
    expectClose((await runModel(sut.model, x))['y']!, (await runModel(model, x))['y']!, 5e-3, 2e-3);
  });

  it('keeps block-listed ops in float32 with Casts around them, and only there', async () => {
    const model = buildModelProto({
      opset: 13,
      inputs: [valueInfo('x', DataType.FLOAT, ['n', 4])],
      outputs: [valueInfo('y', DataType.FLOAT, ['n', 4])],
      initializers: [floatTensor('w', [4, 4], (i) => (i % 5) / 4 - 0.3), floatTensor('w2', [4], (i) => i + 1)],
      nodes: [node('MatMul', ['x', 'w'], ['h']), node('Softmax', ['h'], ['p']), node('Mul', ['p', 'w2'], ['y'])],
    });
    const sut = await expectPassInvariants(model, (m) => toFloat16(m, { keepFloat32Ops: [...DEFAULT_FLOAT32_OPS, 'Softmax'] }));
    expect(ops(sut.model)).toEqual(['Cast', 'MatMul', 'Cast', 'Softmax', 'Cast', 'Mul', 'Cast']);
    expect(sut.report.skipped).toEqual([{ node: 'Softmax_p', reason: 'Softmax is in keepFloat32Ops' }]);
    expect(sut.report.details['castsInserted']).toBe(4);
    const byNode = await expectPassInvariants(model, (m) => toFloat16(m, { keepFloat32Nodes: ['Softmax_p'] }));
    expect(ops(byNode.model)).toEqual(ops(sut.model));
    const x = { x: tensor([3, 4]) };
    expectClose((await runModel(sut.model, x))['y']!, (await runModel(model, x))['y']!, 5e-3, 2e-3);
  });

  it('keeps Resize in float32 by default; in float16 its scales input stays float32', async () => {
    const model = buildModelProto({
      opset: 13,
      inputs: [valueInfo('x', DataType.FLOAT, [1, 1, 2, 2])],
      outputs: [valueInfo('y', DataType.FLOAT, [1, 1, 4, 4])],
      initializers: [floatTensor('scales', [4], (i) => (i < 2 ? 1 : 2)), floatTensor('bias', [1], () => 0.5)],
      nodes: [node('Resize', ['x', '', 'scales'], ['r'], [attr.string('mode', 'nearest')]), node('Add', ['r', 'bias'], ['y'])],
    });
    const x = { x: new ort.Tensor('float32', Float32Array.of(0.5, -1, 2, 0.25), [1, 1, 2, 2]) };
    const reference = (await runModel(model, x))['y']!;
    const kept = await expectPassInvariants(model, (m) => toFloat16(m));
    expect(ops(kept.model)).toEqual(['Resize', 'Cast', 'Add', 'Cast']);
    expectClose((await runModel(kept.model, x))['y']!, reference, 0);
    const half = await expectPassInvariants(model, (m) => toFloat16(m, { keepFloat32Ops: [] }));
    expect(init(half.model, 'scales').dataType).toBe(DataType.FLOAT);
    expect(ops(half.model)).toEqual(['Cast', 'Resize', 'Add', 'Cast']);
    expectClose((await runModel(half.model, x))['y']!, reference, 0);
  });

  it('keeps a graph output that is also read inside the graph float32 under its name', async () => {
    const model = buildModelProto({
      inputs: [valueInfo('x', DataType.FLOAT, [2, 3])],
      outputs: [valueInfo('r', DataType.FLOAT, [2, 3]), valueInfo('y', DataType.FLOAT, [2, 3])],
      nodes: [node('Relu', ['x'], ['r']), node('Neg', ['r'], ['y'])],
    });
    const sut = await expectPassInvariants(model, (m) => toFloat16(m));
    const neg = sut.model.graph!.node!.find((n) => n.opType === 'Neg')!;
    expect(neg.input![0]).not.toBe('r'); // reads the float16 value, not the float32 output
    const x = { x: tensor([2, 3]) };
    const [got, want] = [await runModel(sut.model, x), await runModel(model, x)];
    expectClose(got['r']!, want['r']!, 2e-3, 1e-3);
    expectClose(got['y']!, want['y']!, 2e-3, 1e-3);
  });

  it('leaves If subgraphs in float32, values they read from outside included', async () => {
    const branch = (op: string) => ({
      name: op,
      input: [],
      output: [valueInfo(`${op}_out`, DataType.FLOAT, [2])],
      node: [node(op, ['r', 'w'], [`${op}_out`])],
    });
    const model = buildModelProto({
      inputs: [valueInfo('x', DataType.FLOAT, [2]), valueInfo('cond', DataType.BOOL, [])],
      outputs: [valueInfo('y', DataType.FLOAT, [2])],
      initializers: [floatTensor('w', [2], (i) => i + 0.5), floatTensor('w2', [2], () => 3)],
      nodes: [
        node('Relu', ['x'], ['r']),
        node('If', ['cond'], ['branch'], [
          { name: 'then_branch', type: GRAPH, g: branch('Add') },
          { name: 'else_branch', type: GRAPH, g: branch('Sub') },
        ]),
        node('Mul', ['branch', 'w2'], ['y']),
      ],
    });
    const sut = await expectPassInvariants(model, (m) => toFloat16(m));
    expect(init(sut.model, 'w').dataType).toBe(DataType.FLOAT);
    expect(init(sut.model, 'w2').dataType).toBe(DataType.FLOAT16);
    expect(sut.report.skipped.map((s) => s.node)).toEqual(['If_branch']);
    for (const flag of [true, false]) {
      const feeds = { x: new ort.Tensor('float32', Float32Array.of(1.5, -2), [2]), cond: new ort.Tensor('bool', Uint8Array.of(flag ? 1 : 0), []) };
      expectClose((await runModel(sut.model, feeds))['y']!, (await runModel(model, feeds))['y']!, 1e-3, 1e-3);
    }
  });

  it('rejects bad options and refuses models with nothing to convert', async () => {
    const model = buildModelProto({ inputs: [valueInfo('x', DataType.FLOAT, [2])], outputs: [valueInfo('y', DataType.FLOAT, [2])], nodes: [node('Relu', ['x'], ['y'])] });
    await expectCompressError(() => toFloat16(model, { keepFloat32Ops: 'Softmax' as never }), 'pass/invalid_options');
    await expectCompressError(() => toFloat16(model, { keepFloat32Nodes: [1] as never }), 'pass/invalid_options');
    await expectCompressError(() => toFloat16(model, { verify: 'yes' as never }), 'pass/invalid_options');
    const ints = buildModelProto({ inputs: [valueInfo('x', DataType.INT32, [2])], outputs: [valueInfo('y', DataType.INT32, [2])], nodes: [node('Neg', ['x'], ['y'])] });
    await expectCompressError(() => toFloat16(ints), 'pass/refused');
  });

  describe('on the fixture models', () => {
    it('LeNet-5: ≤ 0.52× the bytes, accuracy drop ≤ 0.1 points on mnist-eval-9k', async () => {
      const model = await readModelFile(MODELS.lenet);
      const sut = await expectPassInvariants(model, (m) => toFloat16(m));
      expect(encodeModelProto(sut.model).length / encodeModelProto(model).length).toBeLessThanOrEqual(0.52);
      expect(sut.report.details).toMatchObject({ tensorsConverted: 10, castsInserted: 2, clampedValues: 0 });
      const [fp32, fp16] = [await scoreOn(model, EVAL_NPZ.mnistEval, undefined, 1000), await scoreOn(sut.model, EVAL_NPZ.mnistEval, model, 1000)];
      expect(fp32.accuracy!.top1 - fp16.accuracy!.top1).toBeLessThanOrEqual(0.001);
      expect(fp16.fidelity!.top1Agreement).toBeGreaterThan(0.999);
    });

    it('MobileNetV2 (opset 15, Clip min/max inputs, Pad): runs on CPU and agrees with float32 on natural128-eval-102', async () => {
      const model = await readModelFile(MODELS.mobilenet);
      const sut = await expectPassInvariants(model, (m) => toFloat16(m));
      const clip = sut.model.graph!.node!.find((n) => n.opType === 'Clip')!;
      expect(init(sut.model, clip.input![1]!).dataType).toBe(DataType.FLOAT16);
      expect(init(sut.model, 'pad_const__15').dataType).toBe(DataType.INT64);
      expect(sut.report.details['castsInserted']).toBe(2);
      const scored = await scoreOn(sut.model, NPZ.naturalEval, model, 51);
      expect(scored.fidelity!.top1Agreement).toBeGreaterThanOrEqual(0.99);
    });

    it('LeNet-5-BN (opset 9 BatchNormalization, int64 Constant shape): outputs match float32 within half precision', async () => {
      const model = await readModelFile(MODELS.lenetBn);
      const sut = await expectPassInvariants(model, (m) => toFloat16(m));
      const feeds = { input_0: await npzRows(NPZ.mnistBnCalib, 'input_0', 10) };
      expectClose((await runModel(sut.model, feeds))['output_0']!, (await runModel(model, feeds))['output_0']!, 5e-3);
    });
  });
});
