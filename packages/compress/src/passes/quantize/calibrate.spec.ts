import { describe, expect, it } from 'vitest';
import { expectCompressError } from '../../../test/expect-error.js';
import { MODELS, NPZ } from '../../../test/fixtures.js';
import { buildModelProto, DataType, node, valueInfo } from '../../../test/onnx-builder.js';
import { EVAL_NPZ } from '../../../test/pass-run.js';
import { writeFloatNpz } from '../../../test/quantize-helpers.js';
import { useTempDir } from '../../../test/temp-dir.js';
import { readModelFile } from '../../ir/model-file.js';
import { calibrate, measureCalibrationMemory } from './calibrate.js';
import { prepareForQuantization } from './prepare.js';
import { tensorsToCalibrate } from './qdq.js';

const dir = useTempDir('quantize-calibrate');
const MB = 1024 * 1024;

/** y = Relu(x) on [n, 4] inputs whose values are −1000, −999, …, 999 in order (known percentiles). */
function reluModel(batch: number | string = 'n') {
  return buildModelProto({
    nodes: [node('Relu', ['x'], ['y'])],
    inputs: [valueInfo('x', DataType.FLOAT, [batch, 4])],
    outputs: [valueInfo('y', DataType.FLOAT, [batch, 4])],
  });
}
const ramp = Float32Array.from({ length: 2000 }, (_, i) => i - 1000);
const rampNpz = writeFloatNpz(dir, 'ramp.npz', { x: { shape: [500, 4], data: ramp } });

describe(calibrate.name, () => {
  it('finds exact min/max with minmax, streaming batch by batch', async () => {
    const progress: number[] = [];
    const sut = await calibrate(reluModel(), rampNpz, { tensors: ['x', 'y'], batchSize: 64, onBatch: (p) => progress.push(p.done) });
    expect(sut.tensors.get('x')).toEqual({ min: -1000, max: 999, range: { min: -1000, max: 999 } });
    expect(sut.tensors.get('y')!.range).toEqual({ min: 0, max: 999 });
    expect(sut.samples).toBe(500);
    expect(progress).toEqual([64, 128, 192, 256, 320, 384, 448, 500]);
  });

  it('cuts (100 − p)% on each side with percentile, in a second pass over histograms', async () => {
    const passes = new Set<number>();
    const sut = await calibrate(reluModel(), rampNpz, { tensors: ['x'], method: 'percentile', percentile: 99, onBatch: (p) => passes.add(p.pass) });
    const { min, max } = sut.tensors.get('x')!.range;
    const bin = 1999 / 2048;
    expect(Math.abs(min - -980)).toBeLessThanOrEqual(bin + 1);
    expect(Math.abs(max - 979)).toBeLessThanOrEqual(bin + 1);
    expect([...passes]).toEqual([1, 2]);
    expect(sut.percentile).toBe(99);
  });

  it('keeps the entropy range inside the observed one', async () => {
    const sut = await calibrate(reluModel(), rampNpz, { tensors: ['x', 'y'], method: 'entropy' });
    const y = sut.tensors.get('y')!;
    expect(y.range.min).toBe(0);
    expect(y.range.max).toBeLessThanOrEqual(999);
    expect(y.range.max).toBeGreaterThan(800); // uniform data has no tail to clip
  });

  it('feeds a fixed-batch model whole batches only, and honours maxSamples', async () => {
    const fixed = await calibrate(reluModel(64), rampNpz, { tensors: ['x'] });
    expect([fixed.samples, fixed.droppedSamples]).toEqual([448, 52]);
    const capped = await calibrate(reluModel(), rampNpz, { tensors: ['x'], maxSamples: 10 });
    expect(capped.tensors.get('x')).toMatchObject({ min: -1000, max: -961 });
  });

  it('turns bad options and data into typed errors', async () => {
    await expectCompressError(() => calibrate(reluModel(), rampNpz, { tensors: ['nope'] }), 'pass/invalid_options');
    await expectCompressError(() => calibrate(reluModel(), rampNpz, { method: 'mse' as never }), 'pass/invalid_options');
    await expectCompressError(() => calibrate(reluModel(), rampNpz, { bins: 10 }), 'pass/invalid_options');
    await expectCompressError(() => calibrate(reluModel(), rampNpz, { batchSize: 0 }), 'pass/invalid_options');
    const other = writeFloatNpz(dir, 'other.npz', { z: { shape: [2, 4], data: new Float32Array(8) } });
    await expectCompressError(() => calibrate(reluModel(), other), 'dataset/mismatch');
    await expectCompressError(() => calibrate(reluModel(1000), rampNpz), 'dataset/mismatch');
  });
});

describe(measureCalibrationMemory.name, () => {
  it('keeps peak memory flat from 1,000 to 9,000 MNIST samples (histograms, two passes)', async () => {
    const prepared = prepareForQuantization(await readModelFile(MODELS.lenet)).model;
    const options = { tensors: tensorsToCalibrate(prepared), method: 'percentile' as const, batchSize: 100 };
    await measureCalibrationMemory(prepared, NPZ.mnistCalib, { ...options, maxSamples: 200 }); // session and heap warm-up
    const small = await measureCalibrationMemory(prepared, NPZ.mnistCalib, options);
    const large = await measureCalibrationMemory(prepared, EVAL_NPZ.mnistEval, options);
    expect([small.samples, large.samples]).toEqual([1000, 9000]);
    // Keeping the 9,000 samples' activations would take ~470 MB, their inputs alone 28 MB.
    expect(large.peakRssGrowthBytes).toBeLessThanOrEqual(1.3 * small.peakRssGrowthBytes + 16 * MB);
    expect(large.result.tensors.size).toBe(small.result.tensors.size);
  });
});
