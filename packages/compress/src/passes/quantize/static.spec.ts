import { describe, expect, it } from 'vitest';
import { expectCompressError } from '../../../test/expect-error.js';
import { buildModelProto, DataType, floatTensor, intAttr, intsAttr, node, valueInfo } from '../../../test/onnx-builder.js';
import { expectPassInvariants } from '../../../test/pass-invariants.js';
import { randomFloats, runModel, seeded } from '../../../test/pass-run.js';
import { GraphView, writeFloatNpz } from '../../../test/quantize-helpers.js';
import { useTempDir } from '../../../test/temp-dir.js';
import { cosine } from '../../eval/metrics.js';
import { ort } from '../../inspect/runtime.js';
import { onnx } from '../../ir/onnx.js';
import { readFloat32 } from '../../ir/tensor-data.js';
import { encodeModelProto } from '../../ir/model-proto.js';
import { profileNodes } from './profile.js';
import { calibrate } from './calibrate.js';
import { calibrateForQuantization, quantizeStatic } from './static.js';
import type { QuantizeReportDetails } from './types.js';

const dir = useTempDir('quantize-static');
const random = seeded(1);
/** Deterministic per name, so every smallNet() has the same weights. */
const tensor = (name: string, dims: number[], scaleOf: (i: number) => number = () => 0.5) => {
  const count = dims.reduce((a, b) => a * b, 1);
  const perChannel = count / dims[0]!;
  const values = randomFloats(count, seeded(name.charCodeAt(0) * 31 + name.length));
  return floatTensor(name, dims, (i) => values[i]! * scaleOf(Math.floor(i / perChannel)));
};

/** Conv+Relu → MaxPool → 1×1 Conv → residual Add → Flatten → Gemm(transB): every kind of op the quantizer handles. */
function smallNet(): onnx.ModelProto {
  return buildModelProto({
    nodes: [
      node('Conv', ['x', 'w1', 'b1'], ['c1'], [intsAttr('kernel_shape', [3, 3]), intsAttr('pads', [1, 1, 1, 1])]),
      node('Relu', ['c1'], ['r1']),
      node('MaxPool', ['r1'], ['m'], [intsAttr('kernel_shape', [2, 2]), intsAttr('strides', [2, 2])]),
      node('Conv', ['m', 'w2', 'b2'], ['c2'], [intsAttr('kernel_shape', [1, 1])]),
      node('Add', ['m', 'c2'], ['a']),
      node('Flatten', ['a'], ['f'], [intAttr('axis', 1)]),
      node('Gemm', ['f', 'g', 'gb'], ['y'], [intAttr('transB', 1)]),
    ],
    inputs: [valueInfo('x', DataType.FLOAT, ['n', 3, 8, 8])],
    outputs: [valueInfo('y', DataType.FLOAT, ['n', 5])],
    initializers: [
      // Output channels 100× apart, as after BatchNorm folding: per-channel scales must follow them.
      tensor('w1', [4, 3, 3, 3], (c) => [1, 0.1, 0.01, 1][c]!),
      tensor('b1', [4]),
      tensor('w2', [4, 4, 1, 1]),
      tensor('b2', [4]),
      tensor('g', [5, 64], () => 0.2),
      tensor('gb', [5]),
    ],
  });
}

const samples = 48;
const inputs = randomFloats(samples * 3 * 64, random);
const calibration = writeFloatNpz(dir, 'calib.npz', { x: { shape: [samples, 3, 8, 8], data: inputs } });
const feeds = { x: new ort.Tensor('float32', inputs.slice(0, 16 * 192), [16, 3, 8, 8]) };
const details = (result: { report: { details: unknown } }) => result.report.details as QuantizeReportDetails;

describe(quantizeStatic.name, () => {
  it('quantizes weights per channel, biases to int32 at input × weight scale, activations to uint8', async () => {
    const model = smallNet();
    const sut = await expectPassInvariants(model, (m) => quantizeStatic(m, { calibration, shortenNames: false }));
    const view = new GraphView(sut.model);
    const original = new Map(model.graph!.initializer!.map((t) => [t.name, readFloat32(t)]));

    const convs = view.nodes('Conv');
    expect(convs).toHaveLength(2);
    expect(view.nodes('Relu')).toHaveLength(0); // absorbed: the uint8 range of r1 starts at 0
    for (const [op, weight, bias, channels] of [[convs[0]!, 'w1', 'b1', 4], [convs[1]!, 'w2', 'b2', 4]] as const) {
      const w = view.dequantized(op.input![1]!);
      expect(w.dataType).toBe(onnx.TensorProto.DataType.INT8);
      expect(w.axis).toBe(0);
      expect(w.scales).toHaveLength(channels);
      const float = original.get(weight)!;
      const perChannel = float.length / channels;
      for (let i = 0; i < float.length; i++) {
        const scale = w.scales[Math.floor(i / perChannel)]!;
        expect(Math.abs(w.values[i]! * scale - float[i]!)).toBeLessThanOrEqual(scale / 2 + 1e-9);
      }
      const x = view.dequantized(op.input![0]!);
      expect(x.dataType).toBe(onnx.TensorProto.DataType.UINT8);
      expect(x.scales).toHaveLength(1);
      expect(x.zeroPoint![0]).toBeGreaterThanOrEqual(0);
      expect(x.zeroPoint![0]).toBeLessThanOrEqual(255);
      const b = view.dequantized(op.input![2]!);
      expect(b.dataType).toBe(onnx.TensorProto.DataType.INT32);
      expect(b.zeroPoint).toBeNull();
      b.scales.forEach((s, c) => expect(s).toBe(Math.fround(x.scales[0]! * w.scales[c]!)));
      const floatBias = original.get(bias)!;
      Array.from(b.values).forEach((q, c) => expect(Math.abs(q * b.scales[c]! - floatBias[c]!)).toBeLessThanOrEqual(b.scales[c]! / 2 + 1e-9));
    }
    // Scales follow each channel's own range (×100 apart), not the tensor's.
    const s1 = view.dequantized(convs[0]!.input![1]!).scales;
    expect(s1[0]! / s1[2]!).toBeGreaterThan(50);

    // Gemm(transB) runs as MatMul on [K, N] weights (per output column: axis 1) plus a quantized bias Add,
    // which onnxruntime fuses into QLinearMatMul + QLinearAdd (it leaves a QDQ Gemm unfused).
    expect(view.nodes('Gemm')).toHaveLength(0);
    const matmul = view.nodes('MatMul')[0]!;
    const g = view.dequantized(matmul.input![1]!);
    expect([g.axis, g.scales.length, g.dims]).toEqual([1, 5, [64, 5]]);
    const gFloat = original.get('g')!;
    for (let k = 0; k < 64; k++) {
      for (let n = 0; n < 5; n++) expect(Math.abs(g.values[k * 5 + n]! * g.scales[n]! - gFloat[n * 64 + k]!)).toBeLessThanOrEqual(g.scales[n]! / 2 + 1e-9);
    }
    const biasAdd = view.nodes('Add').find((n) => n.name === 'Gemm_y_bias_add')!;
    const gb = view.dequantized(biasAdd.input!.find((i) => view.initializers.has(view.producers.get(i)?.input?.[0] ?? ''))!);
    expect(gb.dataType).toBe(onnx.TensorProto.DataType.UINT8);
    Array.from(gb.values).forEach((q, i) => expect(Math.abs((q - gb.zeroPoint![0]!) * gb.scales[0]! - original.get('gb')![i]!)).toBeLessThanOrEqual(gb.scales[0]! / 2 + 1e-9));

    const [q, f] = [(await runModel(sut.model, feeds))['y']!, (await runModel(model, feeds))['y']!];
    expect(cosine(q.data as Float32Array, f.data as Float32Array)).toBeGreaterThan(0.999);
    const report = details(sut);
    expect(report.layers.map((l) => [l.op, l.precision])).toEqual([['Conv', 'int8'], ['Conv', 'int8'], ['Add', 'int8'], ['MatMul', 'int8']]);
    expect(report.layers[0]!.absorbedActivation).toBe('Relu_r1');
    expect(report.maxWeightErrorInScales).toBeLessThanOrEqual(0.5);
  });

  it('shares one scale across MaxPool and Flatten so onnxruntime runs them on int8', async () => {
    const sut = await quantizeStatic(smallNet(), { calibration, shortenNames: false });
    const view = new GraphView(sut.model);
    const pool = view.nodes('MaxPool')[0]!;
    const poolIn = view.producers.get(pool.input![0]!)!;
    const poolOutQ = view.nodes('QuantizeLinear').find((n) => view.producers.get(n.input![0]!) === pool)!;
    expect(poolOutQ.input!.slice(1)).toEqual(poolIn.input!.slice(1));
  });

  it('shortens every internal name but keeps the graph inputs and outputs', async () => {
    const sut = await expectPassInvariants(smallNet(), (m) => quantizeStatic(m, { calibration }));
    const graph = sut.model.graph!;
    const internal = [...graph.node!.flatMap((n) => [n.name!, ...n.output!]), ...graph.initializer!.map((t) => t.name!)].filter((n) => n !== 'y');
    expect(Math.max(...internal.map((n) => n.length))).toBeLessThanOrEqual(2);
    expect(graph.input!.map((v) => v.name)).toEqual(['x']);
    expect(graph.output!.map((v) => v.name)).toEqual(['y']);
    expect(details(sut).names!.bytesAfter).toBeLessThan(details(sut).names!.bytesBefore / 3);
    expect(details(sut).layers[0]!.node).toMatch(/^[0-9a-z]{1,2}$/);
  });

  it('leaves excluded nodes (by name or op type) in float', async () => {
    const sut = await expectPassInvariants(smallNet(), (m) =>
      quantizeStatic(m, { calibration, shortenNames: false, exclude: { names: ['Conv_c2'], opTypes: ['Gemm'] } }),
    );
    const view = new GraphView(sut.model);
    const [, conv2] = view.nodes('Conv');
    expect(conv2!.input!.slice(1)).toEqual(['w2', 'b2']);
    expect(view.initializers.get('w2')!.dataType).toBe(onnx.TensorProto.DataType.FLOAT);
    // The excluded Gemm (now MatMul + bias Add) reads float constants only.
    for (const n of [...view.nodes('MatMul'), view.nodes('Add').find((a) => a.name === 'Gemm_y_bias_add')!]) {
      for (const input of n.input!.slice(1)) expect(view.initializers.get(input)?.dataType).toBe(onnx.TensorProto.DataType.FLOAT);
    }
    expect(details(sut).layers.filter((l) => l.precision === 'float').map((l) => [l.layer, l.reason])).toEqual([
      ['Conv_c2', 'excluded'],
      ['Gemm_y', 'excluded'],
    ]);
  });

  it('offers int8 activations and per-tensor weight scales', async () => {
    const model = smallNet();
    const sut = await expectPassInvariants(model, (m) => quantizeStatic(m, { calibration, shortenNames: false, activationType: 'int8', perChannel: false }));
    const view = new GraphView(sut.model);
    const conv = view.nodes('Conv')[0]!;
    const x = view.dequantized(conv.input![0]!);
    expect(x.dataType).toBe(onnx.TensorProto.DataType.INT8);
    expect(view.dequantized(conv.input![1]!).scales).toHaveLength(1);
    expect(view.dequantized(conv.input![1]!).axis).toBeNull();
    const out = (await runModel(sut.model, feeds))['y']!;
    expect(cosine(out.data as Float32Array, (await runModel(model, feeds))['y']!.data as Float32Array)).toBeGreaterThan(0.99);
  });

  it('puts MatMul weight scales on axis 1 (output columns)', async () => {
    const model = buildModelProto({
      nodes: [node('MatMul', ['x', 'w'], ['m']), node('Add', ['m', 'b'], ['y'])],
      inputs: [valueInfo('x', DataType.FLOAT, ['n', 3, 8, 8])],
      outputs: [valueInfo('y', DataType.FLOAT, null)],
      initializers: [tensor('w', [8, 6]), tensor('b', [6])],
    });
    const sut = await expectPassInvariants(model, (m) => quantizeStatic(m, { calibration, shortenNames: false }));
    const view = new GraphView(sut.model);
    const w = view.dequantized(view.nodes('MatMul')[0]!.input![1]!);
    expect([w.axis, w.scales.length]).toEqual([1, 6]);
  });

  it('produces groups onnxruntime fuses into int8 kernels (Concat, Mul, GlobalAveragePool too)', async () => {
    const model = buildModelProto({
      nodes: [
        node('Conv', ['x', 'w1', 'b1'], ['c1'], [intsAttr('kernel_shape', [3, 3]), intsAttr('pads', [1, 1, 1, 1])]),
        node('Relu', ['c1'], ['r1']),
        node('Conv', ['x', 'w2', 'b2'], ['c2'], [intsAttr('kernel_shape', [1, 1])]),
        node('Concat', ['r1', 'c2'], ['cat'], [intAttr('axis', 1)]),
        node('Mul', ['cat', 'cat'], ['sq']),
        node('GlobalAveragePool', ['sq'], ['y']),
      ],
      inputs: [valueInfo('x', DataType.FLOAT, ['n', 3, 8, 8])],
      outputs: [valueInfo('y', DataType.FLOAT, null)],
      initializers: [tensor('w1', [4, 3, 3, 3]), tensor('b1', [4]), tensor('w2', [4, 3, 1, 1]), tensor('b2', [4])],
    });
    const sut = await expectPassInvariants(model, (m) => quantizeStatic(m, { calibration }));
    const kernels = new Set((await profileNodes(encodeModelProto(sut.model), { x: new ort.Tensor('float32', inputs.slice(0, 192), [1, 3, 8, 8]) }, { runs: 2 })).nodes.map((n) => n.op));
    for (const op of ['QLinearConv', 'QLinearConcat', 'QLinearMul', 'QLinearGlobalAveragePool']) expect(kernels).toContain(op);
    expect(kernels).not.toContain('Conv');
    const [q, f] = [(await runModel(sut.model, feeds))['y']!, (await runModel(model, feeds))['y']!];
    expect(cosine(q.data as Float32Array, f.data as Float32Array)).toBeGreaterThan(0.999);
  });

  it('auto mode keeps the layers that hurt fidelity most in float until the target is met', async () => {
    const model = smallNet();
    const sut = await expectPassInvariants(model, (m) =>
      quantizeStatic(m, { calibration, auto: { latency: false, minAgreement: 1, minCosine: 0.99999, maxFloatLayers: 2, fidelitySamples: 32 } }),
    );
    const auto = details(sut).auto!;
    expect(auto.latency).toBeNull();
    expect(auto.fidelity.samples).toBe(32);
    expect(auto.floatLayers.length).toBeGreaterThan(0);
    expect(auto.floatLayers.length).toBeLessThanOrEqual(2);
    for (const layer of auto.floatLayers) {
      expect(layer.reason).toBe('fidelity');
      expect(layer.bytesCost).toBeGreaterThan(0);
      expect(layer.agreementFloat).not.toBeNull();
    }
    expect(auto.fidelity.chosen.cosine).toBeGreaterThan(auto.fidelity.fullInt8.cosine);
    expect(details(sut).floatLayers).toEqual(auto.floatLayers.map((l) => l.layer).sort((a, b) => details(sut).layers.findIndex((d) => d.layer === a) - details(sut).layers.findIndex((d) => d.layer === b)));
  });

  it('reports every calibration method, and reuses a calibration across calls', async () => {
    for (const method of ['minmax', 'percentile', 'entropy'] as const) {
      const sut = await quantizeStatic(smallNet(), { calibration, method, percentile: 99.9 });
      expect(details(sut).calibration).toMatchObject({ method, samples: samples, percentile: method === 'percentile' ? 99.9 : null });
    }
    const shared = await calibrateForQuantization(smallNet(), calibration, { method: 'percentile' });
    const [a, b] = await Promise.all([
      quantizeStatic(smallNet(), { calibration, calibrationResult: shared }),
      quantizeStatic(smallNet(), { calibration, calibrationResult: shared, activationType: 'int8' }),
    ]);
    expect([details(a).calibration!.method, details(b).calibration!.method]).toEqual(['percentile', 'percentile']);
  });

  it('turns bad input into typed errors', async () => {
    const model = smallNet();
    await expectCompressError(() => quantizeStatic(model, {} as never), 'pass/invalid_options');
    await expectCompressError(() => quantizeStatic(model, { calibration, activationType: 'int4' as never }), 'pass/invalid_options');
    await expectCompressError(() => quantizeStatic(model, { calibration, method: 'kl' as never }), 'pass/invalid_options');
    await expectCompressError(() => quantizeStatic(model, { calibration, percentile: 120 }), 'pass/invalid_options');
    await expectCompressError(() => quantizeStatic(model, { calibration, exclude: { names: ['no-such-node'] } }), 'pass/invalid_options');
    await expectCompressError(() => quantizeStatic(model, { calibration, auto: { minAgreement: 2 } }), 'pass/invalid_options');
    const partial = await calibrate(model, calibration, { tensors: ['x'] });
    await expectCompressError(() => quantizeStatic(model, { calibration, calibrationResult: partial }), 'pass/invalid_options');
    const wrongName = writeFloatNpz(dir, 'wrong.npz', { image: { shape: [4, 3, 8, 8], data: new Float32Array(4 * 192) } });
    await expectCompressError(() => quantizeStatic(model, { calibration: wrongName }), 'dataset/mismatch');
    const wrongShape = writeFloatNpz(dir, 'shape.npz', { x: { shape: [4, 3, 4, 4], data: new Float32Array(4 * 48) } });
    await expectCompressError(() => quantizeStatic(model, { calibration: wrongShape }), 'dataset/mismatch');
    await expectCompressError(() => quantizeStatic(model, { calibration: `${dir}/missing.npz` }), 'io/read_failed');
  });
});
