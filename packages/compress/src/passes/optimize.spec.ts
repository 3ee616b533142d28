import { describe, expect, it } from 'vitest';
import { expectCompressError } from '../../test/expect-error.js';
import { MODELS, NPZ } from '../../test/fixtures.js';
import { buildModelProto, DataType, floatTensor, int64Tensor, node, valueInfo } from '../../test/onnx-builder.js';
import { expectPassInvariants } from '../../test/pass-invariants.js';
import { expectClose, npzRows, randomFloats, runModel, seeded } from '../../test/pass-run.js';
import { attr } from '../ir/attributes.js';
import { readModelFile } from '../ir/model-file.js';
import { onnx } from '../ir/onnx.js';
import { ort } from '../inspect/runtime.js';
import { optimize } from './optimize.js';

const ops = (model: onnx.IModelProto) => (model.graph?.node ?? []).map((n) => n.opType);

describe(optimize.name, () => {
  it('keeps LeNet-5 as it is at level basic and its outputs identical', async () => {
    const model = await readModelFile(MODELS.lenet);
    const sut = await expectPassInvariants(model, (m) => optimize(m, { level: 'basic' }));
    expect(sut.report.details['nodesAfter']).toBeLessThanOrEqual(12);
    const feeds = { input: await npzRows(NPZ.mnistCalib, 'input', 64) };
    expectClose((await runModel(sut.model, feeds))['output']!, (await runModel(model, feeds))['output']!, 1e-4, 1e-5);
  });

  it('folds the BatchNormalization of LeNet-5-BN into the next Gemm (ORT cannot) and drops the Constant', async () => {
    const model = await readModelFile(MODELS.lenetBn);
    const sut = await expectPassInvariants(model, (m) => optimize(m, { level: 'basic' }));
    expect(ops(sut.model)).not.toContain('BatchNormalization');
    expect(ops(sut.model)).not.toContain('Unsqueeze');
    expect(ops(sut.model).length).toBeLessThan(ops(model).length);
    expect(sut.report.details['nodesBefore']).toBe(17);
    expect(sut.report.details['batchNormFoldedIntoGemm']).toHaveLength(1);
    const feeds = { input_0: await npzRows(NPZ.mnistBnCalib, 'input_0', 10) };
    expectClose((await runModel(sut.model, feeds))['output_0']!, (await runModel(model, feeds))['output_0']!, 1e-5, 1e-4);
  });

  it('folds it before onnxruntime fuses at level extended too', async () => {
    const model = await readModelFile(MODELS.lenetBn);
    const sut = await expectPassInvariants(model, (m) => optimize(m, { level: 'extended' }));
    expect(ops(sut.model)).not.toContain('BatchNormalization');
    expect(ops(sut.model)).toContain('FusedGemm');
    const feeds = { input_0: await npzRows(NPZ.mnistBnCalib, 'input_0', 10) };
    expectClose((await runModel(sut.model, feeds))['output_0']!, (await runModel(model, feeds))['output_0']!, 1e-5, 1e-4);
  });

  it('leaves that BatchNormalization alone, and says so, with foldBatchNormIntoGemm: false', async () => {
    const model = await readModelFile(MODELS.lenetBn);
    const sut = await expectPassInvariants(model, (m) => optimize(m, { level: 'basic', foldBatchNormIntoGemm: false }));
    expect(ops(sut.model)).toContain('BatchNormalization');
    expect(sut.report.skipped).toHaveLength(1);
    expect(sut.report.skipped[0]!.reason).toMatch(/BatchNormalization/);
  });

  it('fuses the 7 unfused BatchNormalizations of MobileNetV2 into their Convs, portably', async () => {
    const model = await readModelFile(MODELS.mobilenet);
    const sut = await expectPassInvariants(model, (m) => optimize(m, { level: 'basic' }));
    const { opsBefore, opsAfter } = sut.report.details as Record<string, Record<string, number>>;
    expect(opsBefore!['BatchNormalization']).toBe(7);
    expect(opsAfter!['BatchNormalization']).toBeUndefined();
    expect(opsAfter!['Conv']).toBe(52);
    expect(Object.keys(opsAfter!).every((op) => !op.includes(':'))).toBe(true);
    expect((sut.model.graph?.node ?? []).length).toBeLessThan((model.graph?.node ?? []).length);
    expect((sut.report.details['removedNodes'] as string[]).filter((n) => n.startsWith('BatchNormalization'))).toHaveLength(7);
    expect(sut.model.opsetImport.map((o) => o.domain).sort()).toEqual(['', 'ai.onnx.ml']);
    const feeds = { 'input_1:0': await npzRows(NPZ.naturalEval, 'input_1:0', 8) };
    expectClose((await runModel(sut.model, feeds))['Identity:0']!, (await runModel(model, feeds))['Identity:0']!, 1e-5, 1e-4);
  });

  it('emits onnxruntime fused ops at level extended and flags them as CPU-onnxruntime only', async () => {
    const model = await readModelFile(MODELS.lenet);
    const sut = await expectPassInvariants(model, (m) => optimize(m, { level: 'extended' }));
    expect(sut.report.details['onnxruntimeSpecificOps']).toContain('com.microsoft:FusedConv');
    expect(sut.report.notes.join('\n')).toMatch(/onnxruntime on the CPU/);
    expect(sut.model.opsetImport.map((o) => o.domain)).toContain('com.microsoft');
    const feeds = { input: await npzRows(NPZ.mnistCalib, 'input', 32) };
    expectClose((await runModel(sut.model, feeds))['output']!, (await runModel(model, feeds))['output']!, 1e-4, 1e-5);
  });

  it('folds BN into a Gemm with alpha, beta and a bias exactly (Gemm → Relu → Unsqueeze → BN → Squeeze → Gemm)', async () => {
    const random = seeded(7);
    const values = (n: number, scale = 1, offset = 0) => Array.from(randomFloats(n, random, scale), (v) => v + offset);
    const fill = (xs: number[]) => (i: number) => xs[i]!;
    const model = buildModelProto({
      opset: 13,
      inputs: [valueInfo('x', DataType.FLOAT, ['n', 5])],
      outputs: [valueInfo('y', DataType.FLOAT, ['n', 3])],
      initializers: [
        floatTensor('w1', [5, 4], fill(values(20))),
        floatTensor('b1', [4], fill(values(4))),
        floatTensor('scale', [4], fill(values(4, 0.5, 1))),
        floatTensor('shift', [4], fill(values(4))),
        floatTensor('mean', [4], fill(values(4))),
        floatTensor('var', [4], fill(values(4, 0.4, 0.6))),
        int64Tensor('axes', [2]),
        floatTensor('w2', [3, 4], fill(values(12))),
        floatTensor('b2', [3], fill(values(3))),
      ],
      nodes: [
        node('Gemm', ['x', 'w1', 'b1'], ['h']),
        node('Relu', ['h'], ['r']),
        node('Unsqueeze', ['r', 'axes'], ['u']),
        node('BatchNormalization', ['u', 'scale', 'shift', 'mean', 'var'], ['bn'], [attr.float('epsilon', 1e-3)]),
        node('Squeeze', ['bn', 'axes'], ['s']),
        node('Gemm', ['s', 'w2', 'b2'], ['y'], [attr.int('transB', 1), attr.float('alpha', 0.5), attr.float('beta', 2)]),
      ],
    });
    const sut = await expectPassInvariants(model, (m) => optimize(m, { level: 'basic' }));
    expect(ops(sut.model)).toEqual(['Gemm', 'Relu', 'Gemm']);
    const feeds = { x: new ort.Tensor('float32', randomFloats(7 * 5, random, 2), [7, 5]) };
    expectClose((await runModel(sut.model, feeds))['y']!, (await runModel(model, feeds))['y']!, 1e-5, 1e-5);
  });

  it('rejects an unknown level and models ORT cannot load', async () => {
    const model = await readModelFile(MODELS.lenet);
    await expectCompressError(() => optimize(model, { level: 'all' as never }), 'pass/invalid_options');
    await expectCompressError(() => optimize(model, undefined as never), 'pass/invalid_options');
    const broken = onnx.ModelProto.create({ ...model, graph: { ...model.graph!, node: [node('Relu', ['nowhere'], ['output'])] } });
    await expectCompressError(() => optimize(broken, { level: 'basic' }), 'model/runtime_rejected');
  });
});
