import { statSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { MODELS, NPZ } from '../../../test/fixtures.js';
import { expectPassInvariants } from '../../../test/pass-invariants.js';
import { EVAL_NPZ } from '../../../test/pass-run.js';
import { score } from '../../../test/quantize-helpers.js';
import type { Evaluation } from '../../eval/types.js';
import { ort } from '../../inspect/runtime.js';
import { readModelFile } from '../../ir/model-file.js';
import { encodeModelProto } from '../../ir/model-proto.js';
import type { onnx } from '../../ir/onnx.js';
import { measureInterleaved } from './auto.js';
import type { CalibrationResult } from './calibrate.js';
import { calibrateForQuantization, quantizeStatic } from './static.js';
import type { QuantizeReportDetails } from './types.js';

const details = (result: { report: { details: unknown } }) => result.report.details as QuantizeReportDetails;
const ratioToFile = (model: onnx.IModelProto, file: string) => encodeModelProto(model).length / statSync(file).size;

describe('quantizeStatic on mnist-lenet5', () => {
  let model: onnx.ModelProto;
  let float: Evaluation;
  beforeAll(async () => {
    model = await readModelFile(MODELS.lenet);
    float = await score(encodeModelProto(model), EVAL_NPZ.mnistEval);
  });

  it('is ≤ 0.27× the fp32 file and loses ≤ 0.3 points of accuracy on the 9k eval set', async () => {
    const sut = await expectPassInvariants(model, (m) => quantizeStatic(m, { calibration: NPZ.mnistCalib }));
    expect(ratioToFile(sut.model, MODELS.lenet)).toBeLessThanOrEqual(0.27);
    const quantized = await score(encodeModelProto(sut.model), EVAL_NPZ.mnistEval, encodeModelProto(model));
    expect(float.accuracy!.top1).toBeCloseTo(0.9812, 3);
    expect(float.accuracy!.top1 - quantized.accuracy!.top1).toBeLessThanOrEqual(0.003);
    expect(quantized.fidelity!.top1Agreement).toBeGreaterThan(0.995);
    expect(details(sut).layers.every((l) => l.precision === 'int8')).toBe(true);
    expect(details(sut).calibration!.samples).toBe(1000);
  });

  it('meets the accuracy target with percentile calibration too', async () => {
    const sut = await quantizeStatic(model, { calibration: NPZ.mnistCalib, method: 'percentile' });
    const quantized = await score(encodeModelProto(sut.model), EVAL_NPZ.mnistEval);
    expect(float.accuracy!.top1 - quantized.accuracy!.top1).toBeLessThanOrEqual(0.003);
  });
});

describe('quantizeStatic on person-mobilenetv2', () => {
  let model: onnx.ModelProto;
  let floatBytes: Uint8Array;
  let calibration: CalibrationResult;
  beforeAll(async () => {
    model = await readModelFile(MODELS.mobilenet);
    floatBytes = encodeModelProto(model);
    // One calibration shared by every variant below.
    calibration = await calibrateForQuantization(model, NPZ.naturalCalib);
  });

  it('auto mode: ≥ 98% top-1 agreement, ≤ 0.30× bytes, faster than fp32 and than full int8 at 1 thread', async () => {
    const sut = await expectPassInvariants(model, (m) => quantizeStatic(m, { calibration: NPZ.naturalCalib, calibrationResult: calibration, auto: true }));
    const bytes = encodeModelProto(sut.model);
    expect(ratioToFile(sut.model, MODELS.mobilenet)).toBeLessThanOrEqual(0.3);
    const agreement = (await score(bytes, NPZ.naturalEval, floatBytes)).fidelity!.top1Agreement;
    expect(agreement).toBeGreaterThanOrEqual(0.98);

    const report = details(sut);
    expect(report.prepared).toMatchObject({ foldedBatchNorms: 7, foldedPads: 4 });
    const auto = report.auto!;
    expect(auto.fidelity.met).toBe(true);
    expect(auto.latency!.otherThreads.map((t) => t.threads)).toEqual([2]);
    // Every float layer is explained: why, what it cost in bytes, what it bought.
    for (const layer of auto.floatLayers) {
      expect(report.floatLayers).toContain(layer.layer);
      expect(['latency', 'fidelity']).toContain(layer.reason);
      expect(layer.bytesCost).toBeGreaterThanOrEqual(0);
      if (layer.reason === 'latency') expect(layer.floatUs).not.toBeNull();
    }
    // The engine, not a person, finds the stem conv: int8 is 2× slower on it (3 input channels at 64×64).
    expect(auto.floatLayers.map((l) => l.layer)).toContain('StatefulPartitionedCall/mobilenet_v2_128_0.5/LAYER_0/Conv2D');

    // Latency on this (shared, 2-core) machine: interleaved medians, best of three tries.
    const full = encodeModelProto((await quantizeStatic(model, { calibration: NPZ.naturalCalib, calibrationResult: calibration })).model);
    const feeds = { 'input_1:0': new ort.Tensor('float32', new Float32Array(3 * 128 * 128).map((_, i) => Math.sin(i)), [1, 3, 128, 128]) };
    let best = { speedup: 0, versusFull: 0 };
    for (let attempt = 0; attempt < 3 && best.speedup < 1.2; attempt++) {
      const [f, q, c] = await measureInterleaved([floatBytes, full, bytes], feeds, { threads: 1 });
      if (f! / c! > best.speedup) best = { speedup: f! / c!, versusFull: q! / c! };
    }
    expect(best.speedup).toBeGreaterThanOrEqual(1.2);
    expect(best.versusFull).toBeGreaterThanOrEqual(0.95);
  });

  it('needs per-channel weight scales: per-tensor ones lose ~20 points of agreement', async () => {
    const perTensor = await quantizeStatic(model, { calibration: NPZ.naturalCalib, calibrationResult: calibration, perChannel: false });
    const perChannel = await quantizeStatic(model, { calibration: NPZ.naturalCalib, calibrationResult: calibration });
    const [t, c] = await Promise.all([score(encodeModelProto(perTensor.model), NPZ.naturalEval, floatBytes), score(encodeModelProto(perChannel.model), NPZ.naturalEval, floatBytes)]);
    expect(c.fidelity!.top1Agreement).toBeGreaterThanOrEqual(0.98);
    expect(t.fidelity!.top1Agreement).toBeLessThan(c.fidelity!.top1Agreement - 0.1);
  });
});
