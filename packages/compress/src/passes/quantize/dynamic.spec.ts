import { statSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { expectCompressError } from '../../../test/expect-error.js';
import { MODELS } from '../../../test/fixtures.js';
import { buildModelProto, DataType, floatTensor, intAttr, intsAttr, node, valueInfo } from '../../../test/onnx-builder.js';
import { expectPassInvariants } from '../../../test/pass-invariants.js';
import { EVAL_NPZ, randomFloats, runModel, seeded } from '../../../test/pass-run.js';
import { GraphView, score } from '../../../test/quantize-helpers.js';
import { cosine } from '../../eval/metrics.js';
import { ort } from '../../inspect/runtime.js';
import { readModelFile } from '../../ir/model-file.js';
import { encodeModelProto } from '../../ir/model-proto.js';
import { int64ToNumber, onnx } from '../../ir/onnx.js';
import { readFloat32, readTensor } from '../../ir/tensor-data.js';
import { quantizeDynamic } from './dynamic.js';
import type { QuantizeReportDetails } from './types.js';

const tensor = (name: string, dims: number[], seed: number, scaleOf: (channel: number) => number = () => 0.5) => {
  const count = dims.reduce((a, b) => a * b, 1);
  const values = randomFloats(count, seeded(seed));
  return floatTensor(name, dims, (i) => values[i]! * scaleOf(Math.floor(i / (count / dims[0]!))));
};

/** Conv → Relu → Flatten → Gemm(transB) → MatMul: the three ops dynamic quantization rewrites. */
function net(): onnx.ModelProto {
  return buildModelProto({
    nodes: [
      node('Conv', ['x', 'w', 'b'], ['c'], [intsAttr('kernel_shape', [3, 3]), intsAttr('strides', [2, 2])]),
      node('Relu', ['c'], ['r']),
      node('Flatten', ['r'], ['f'], [intAttr('axis', 1)]),
      node('Gemm', ['f', 'g', 'gb'], ['h'], [intAttr('transB', 1)]),
      node('MatMul', ['h', 'm'], ['y']),
    ],
    inputs: [valueInfo('x', DataType.FLOAT, ['n', 2, 9, 9])],
    outputs: [valueInfo('y', DataType.FLOAT, ['n', 3])],
    initializers: [tensor('w', [4, 2, 3, 3], 1, (c) => 10 ** -c), tensor('b', [4], 2), tensor('g', [6, 64], 3, () => 0.1), tensor('gb', [6], 4), tensor('m', [6, 3], 5)],
  });
}
const feeds = { x: new ort.Tensor('float32', randomFloats(8 * 162, seeded(9)), [8, 2, 9, 9]) };

describe(quantizeDynamic.name, () => {
  it('rewrites Conv/Gemm/MatMul to integer ops with per-channel int8 weights and run-time activation scales', async () => {
    const model = net();
    const sut = await expectPassInvariants(model, (m) => quantizeDynamic(m, { shortenNames: false }));
    const view = new GraphView(sut.model);
    expect(view.nodes('DynamicQuantizeLinear')).toHaveLength(3);
    const conv = view.nodes('ConvInteger')[0]!;
    const w = view.initializers.get(conv.input![1]!)!;
    expect([w.dataType, w.dims!.map(int64ToNumber)]).toEqual([onnx.TensorProto.DataType.INT8, [4, 2, 3, 3]]);
    const scale = [...view.initializers.values()].find((t) => t.name === 'Conv_c_weight_scale')!;
    expect(scale.dims!.map(int64ToNumber)).toEqual([4, 1, 1]);
    const scales = readFloat32(scale);
    const original = readFloat32(model.graph!.initializer![0]!);
    const q = readTensor(w).data as Int8Array;
    for (let i = 0; i < q.length; i++) expect(Math.abs(q[i]! * scales[Math.floor(i / 18)]! - original[i]!)).toBeLessThanOrEqual(scales[Math.floor(i / 18)]! / 2 + 1e-9);
    expect(scales[0]! / scales[3]!).toBeGreaterThan(100);
    // Gemm(transB) weights are stored as [K, N] for MatMulInteger.
    const [gemm, matmul] = view.nodes('MatMulInteger');
    expect(view.initializers.get(gemm!.input![1]!)!.dims!.map(int64ToNumber)).toEqual([64, 6]);
    expect(view.initializers.get(matmul!.input![1]!)!.dims!.map(int64ToNumber)).toEqual([6, 3]);
    const [a, b] = [(await runModel(sut.model, feeds))['y']!, (await runModel(model, feeds))['y']!];
    expect(cosine(a.data as Float32Array, b.data as Float32Array)).toBeGreaterThan(0.999);
    const details = sut.report.details as unknown as QuantizeReportDetails;
    expect(details.layers.map((l) => l.precision)).toEqual(['int8', 'int8', 'int8']);
    expect(details.maxWeightErrorInScales).toBeLessThanOrEqual(0.5);
  });

  it('leaves excluded layers in float and shortens names', async () => {
    const sut = await expectPassInvariants(net(), (m) => quantizeDynamic(m, { exclude: { opTypes: ['MatMul'] } }));
    const view = new GraphView(sut.model);
    expect(view.nodes('MatMul')).toHaveLength(1);
    expect(view.nodes('MatMulInteger')).toHaveLength(1);
    expect((sut.report.details as unknown as QuantizeReportDetails).floatLayers).toEqual(['MatMul_y']);
    expect(sut.model.graph!.node!.every((n) => n.name!.length <= 2)).toBe(true);
  });

  it('rejects bad options with pass/invalid_options', async () => {
    await expectCompressError(() => quantizeDynamic(net(), { perChannel: 'yes' as never }), 'pass/invalid_options');
    await expectCompressError(() => quantizeDynamic(net(), { exclude: { names: ['Conv_missing'] } }), 'pass/invalid_options');
  });

  it('shrinks LeNet-5 to ≤ 0.30× its file and keeps accuracy within 0.5 points on the 9k MNIST eval set', async () => {
    const model = await readModelFile(MODELS.lenet);
    const sut = await expectPassInvariants(model, (m) => quantizeDynamic(m));
    const bytes = encodeModelProto(sut.model);
    expect(bytes.length / statSync(MODELS.lenet).size).toBeLessThanOrEqual(0.3);
    const [q, f] = await Promise.all([score(bytes, EVAL_NPZ.mnistEval), score(encodeModelProto(model), EVAL_NPZ.mnistEval)]);
    expect(f.accuracy!.top1 - q.accuracy!.top1).toBeLessThanOrEqual(0.005);
  });
});
