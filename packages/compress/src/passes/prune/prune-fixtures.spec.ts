import { beforeAll, describe, expect, it } from 'vitest';
import { MODELS, NPZ } from '../../../test/fixtures.js';
import { expectPassInvariants } from '../../../test/pass-invariants.js';
import { EVAL_NPZ, expectClose, npzRows, runModel, scoreOn } from '../../../test/pass-run.js';
import { zeroConsumedChannels } from '../../../test/prune-oracle.js';
import { inspectModel } from '../../inspect/inspect-model.js';
import { readModelFile } from '../../ir/model-file.js';
import { encodeModelProto } from '../../ir/model-proto.js';
import type { onnx } from '../../ir/onnx.js';
import type { PrunedLayer } from './channels.js';
import { pruneChannels, pruneUnstructured } from './index.js';

const macs = async (model: onnx.IModelProto) => (await inspectModel(encodeModelProto(model))).macs!;

describe('prune passes on the fixture models', () => {
  let lenet: onnx.ModelProto;
  let lenetAccuracy: number;
  beforeAll(async () => {
    lenet = await readModelFile(MODELS.lenet);
    lenetAccuracy = (await scoreOn(lenet, EVAL_NPZ.mnistEval, undefined, 1000)).accuracy!.top1;
  });

  it('LeNet-5: 25% of the conv filters gone → ≥ 20% fewer MACs, equal to the zeroed original, accuracy cost measured', async () => {
    const sut = await expectPassInvariants(lenet, (m) => pruneChannels(m, { ratio: 0.25, norm: 'l1', ops: ['Conv'] }));
    const layers = sut.report.details['layers'] as PrunedLayer[];
    expect(layers.map((l) => [l.channelsBefore, l.channelsAfter])).toEqual([[6, 5], [16, 12]]);
    const [before, after] = [await macs(lenet), await macs(sut.model)];
    expect(before).toBe(416_520);
    expect(1 - after / before).toBeGreaterThanOrEqual(0.2);

    const feeds = { input: await npzRows(NPZ.mnistCalib, 'input', 64) };
    expectClose((await runModel(sut.model, feeds))['output']!, (await runModel(zeroConsumedChannels(lenet, sut), feeds))['output']!, 1e-4, 1e-5);

    // No fine-tuning: measured 98.12% → 94.79% on mnist-eval-9k with onnxruntime 1.30 (CPU).
    const pruned = await scoreOn(sut.model, EVAL_NPZ.mnistEval, lenet, 1000);
    expect(lenetAccuracy).toBeCloseTo(0.9812, 3);
    expect(pruned.accuracy!.top1).toBeGreaterThan(0.93);
    expect(pruned.accuracy!.top1).toBeLessThan(lenetAccuracy);
  });

  it('LeNet-5: global 50% unstructured sparsity is exact, shrinks the gzip\'d model, costs < 0.5 points', async () => {
    const sut = await expectPassInvariants(lenet, (m) => pruneUnstructured(m, { sparsity: 0.5, scope: 'global' }));
    expect(sut.report.details['zeros']).toBe(30_735);
    expect(sut.report.details['weights']).toBe(61_470);
    expect(sut.report.details['gzipGain'] as number).toBeGreaterThan(0.3);
    const pruned = await scoreOn(sut.model, EVAL_NPZ.mnistEval, undefined, 1000);
    expect(lenetAccuracy - pruned.accuracy!.top1).toBeLessThan(0.005);
  });

  it('LeNet-5-BN: Conv and Gemm layers through Reshape and Unsqueeze → BN → Squeeze, equal to the zeroed original', async () => {
    const model = await readModelFile(MODELS.lenetBn);
    const sut = await expectPassInvariants(model, (m) => pruneChannels(m, { ratio: 0.25, norm: 'l2' }));
    expect((sut.report.details['layers'] as PrunedLayer[]).map((l) => l.channelsAfter)).toEqual([5, 12, 90, 63]);
    expect(sut.report.skipped).toHaveLength(1); // the classifier, ahead of the Softmax output
    const feeds = { input_0: await npzRows(NPZ.mnistBnCalib, 'input_0', 10) };
    expectClose((await runModel(sut.model, feeds))['output_0']!, (await runModel(zeroConsumedChannels(model, sut), feeds))['output_0']!, 1e-5, 1e-4);
  });

  it('MobileNetV2: prunes expansion convs through their depthwise convs, refuses residual branches, equal to the zeroed original', async () => {
    const model = await readModelFile(MODELS.mobilenet);
    const sut = await expectPassInvariants(model, (m) => pruneChannels(m, { ratio: 0.25, norm: 'l1' }));
    const layers = sut.report.details['layers'] as PrunedLayer[];
    expect(layers.length).toBeGreaterThanOrEqual(15);
    expect(layers.some((l) => l.rewired.some((n) => n.endsWith('/depthwise')))).toBe(true);
    expect(sut.report.skipped.filter((s) => /residual/.test(s.reason)).length).toBeGreaterThanOrEqual(10);
    expect(1 - (await macs(sut.model)) / (await macs(model))).toBeGreaterThan(0.2);
    const feeds = { 'input_1:0': await npzRows(NPZ.naturalEval, 'input_1:0', 4) };
    expectClose((await runModel(sut.model, feeds))['Identity:0']!, (await runModel(zeroConsumedChannels(model, sut), feeds))['Identity:0']!, 1e-5, 1e-4);
  });
});
