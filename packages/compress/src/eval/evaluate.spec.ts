import { statSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { expectCompressError } from '../../test/expect-error.js';
import { fixturePath, mnistTestLabels, MODELS, NPZ, readFixture } from '../../test/fixtures.js';
import { buildModel, DataType, floatTensor, intAttr, intsAttr, node, valueInfo } from '../../test/onnx-builder.js';
import { evaluate } from './evaluate.js';
import { AccuracyAccumulator, argmax } from './metrics.js';
import { syntheticInputs } from './synthetic.js';
import type { ModelSource } from './model-io.js';
import { runModelOnDataset, type DatasetBatch, type InputSource, type RunOnDatasetOptions } from './run-dataset.js';
import type { EvaluateOptions, Evaluation } from './types.js';

const MNIST_EVAL = fixturePath('npz/mnist-eval-9k.npz');
const MNIST_BN_EVAL = fixturePath('npz/mnist-bn-eval-9k.npz');

// Latency is not under test in most cases; keep those runs short.
const QUICK: EvaluateOptions = { latency: { runs: 3, warmup: 1 } };

/** Correct top-1 answers behind an accuracy ratio (exact: counts are small integers). */
const correct = (e: Evaluation) => Math.round(e.accuracy!.top1 * e.accuracy!.labeled);

/** Every batch a run hands out, with its output copied. */
async function collect(model: ModelSource, source: InputSource, options: RunOnDatasetOptions): Promise<DatasetBatch[]> {
  const batches: DatasetBatch[] = [];
  await runModelOnDataset(model, source, options, (batch) => {
    batches.push({ ...batch, output: { ...batch.output, data: batch.output.data.slice() } });
  });
  return batches;
}

describe(`${evaluate.name} on mnist-lenet5`, () => {
  it('reproduces the README: 98.13% top-1 over all 10,000 t10k images (calib 1k + eval 9k)', async () => {
    const evalPart = await evaluate(MODELS.lenet, { ...QUICK, dataset: MNIST_EVAL, reference: MODELS.lenet });
    const calibPart = await evaluate(MODELS.lenet, { ...QUICK, dataset: NPZ.mnistCalib });
    expect(evalPart).toMatchObject({ v: 1, samples: 9000, inputsSource: 'dataset', outputName: 'output' });
    expect(evalPart.accuracy!.labeled).toBe(9000);
    expect(calibPart.accuracy!.labeled).toBe(1000);
    expect(correct(evalPart) + correct(calibPart)).toBe(9813);
    expect(evalPart.accuracy!.top5).toBeGreaterThan(evalPart.accuracy!.top1);
    expect(evalPart.accuracy!.top5).toBeLessThanOrEqual(1);

    // The model against itself: same batches through two sessions.
    expect(evalPart.fidelity).toEqual({ top1Agreement: 1, meanCosine: 1, maxAbsDiff: 0, samples: 9000 });
    expect(calibPart.fidelity).toBeNull();

    expect(evalPart.size.bytes).toBe(statSync(MODELS.lenet).size);
    expect(evalPart.size.gzipBytes).toBeGreaterThan(0);
    expect(evalPart.size.gzipBytes).toBeLessThan(evalPart.size.bytes);
    expect(evalPart.parameterCount).toBe(61706);
    expect(evalPart.macs).toBe(416_520);
    expect(Number.isSafeInteger(evalPart.peakRssBytes) && evalPart.peakRssBytes >= 0).toBe(true);
    expect(JSON.parse(JSON.stringify(evalPart))).toEqual(evalPart);
  });

  it('agrees with an independent count against the raw t10k label file', async () => {
    const raw = mnistTestLabels();
    let right = 0;
    // The eval set holds t10k images 1000–9999; its labels are not used here.
    await runModelOnDataset(MODELS.lenet, MNIST_EVAL, { batchSize: 1000 }, ({ start, count, output }) => {
      for (let r = 0; r < count; r += 1) if (argmax(output.data.subarray(r * 10, (r + 1) * 10)) === raw[1000 + start + r]) right += 1;
    });
    const evalPart = await evaluate(MODELS.lenet, { ...QUICK, dataset: MNIST_EVAL, batchSize: 1000 });
    expect(right).toBe(correct(evalPart));
  });

  it('takes the model as bytes too, and honours maxSamples and batchSize', async () => {
    const batches: { done: number; total: number }[] = [];
    const result = await evaluate(readFixture(MODELS.lenet), {
      ...QUICK,
      dataset: MNIST_EVAL,
      maxSamples: 100,
      batchSize: 32,
      onProgress: ({ phase, done, total }) => {
        if (phase === 'accuracy') batches.push({ done, total });
      },
    });
    expect(result.samples).toBe(100);
    expect(result.accuracy!.labeled).toBe(100);
    expect(batches).toEqual([32, 64, 96, 100].map((done) => ({ done, total: 100 })));
  });

  it('times the requested runs at batch 1 and reports progress for each', async () => {
    const runs: number[] = [];
    const result = await evaluate(MODELS.lenet, {
      syntheticSamples: 4,
      latency: { runs: 7, warmup: 2 },
      onProgress: ({ phase, done, total }) => {
        if (phase === 'latency') {
          expect(total).toBe(9);
          runs.push(done);
        }
      },
    });
    expect(runs).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9]);
    const { median, p95, mean } = result.latencyMs;
    expect(result.latencyMs).toMatchObject({ runs: 7, batch: 1, threads: 1 });
    expect(median).toBeGreaterThan(0);
    expect(median).toBeLessThanOrEqual(p95);
    expect(mean).toBeGreaterThan(0);
  });

  it('synthesizes inputs without a dataset: no accuracy, deterministic outputs', async () => {
    const result = await evaluate(MODELS.lenet, { ...QUICK, reference: MODELS.lenet });
    expect(result).toMatchObject({ samples: 64, inputsSource: 'synthetic', accuracy: null });
    expect(result.fidelity).toEqual({ top1Agreement: 1, meanCosine: 1, maxAbsDiff: 0, samples: 64 });

    const inBatchesOf5 = await collect(MODELS.lenet, { synthetic: 12, seed: 9 }, { batchSize: 5 });
    const inOneBatch = await collect(MODELS.lenet, { synthetic: 12, seed: 9 }, { batchSize: 12 });
    expect(inBatchesOf5.map((b) => b.count)).toEqual([5, 5, 2]);
    expect(inBatchesOf5.flatMap((b) => Array.from(b.output.data))).toEqual(Array.from(inOneBatch[0]!.output.data));
    const otherSeed = await collect(MODELS.lenet, { synthetic: 12, seed: 10 }, { batchSize: 12 });
    expect(Array.from(otherSeed[0]!.output.data)).not.toEqual(Array.from(inOneBatch[0]!.output.data));
  });

  it('refuses a dataset that does not fit the model with dataset/mismatch', async () => {
    await expectCompressError(() => evaluate(MODELS.lenet, { ...QUICK, dataset: NPZ.naturalEval }), 'dataset/mismatch');
    // The right tensors under another input's name (input vs input_0).
    await expectCompressError(() => evaluate(MODELS.lenetBn, { ...QUICK, dataset: NPZ.mnistCalib }), 'dataset/mismatch');
    // Fine for the model, not for the reference.
    await expectCompressError(() => evaluate(MODELS.lenet, { ...QUICK, dataset: NPZ.mnistCalib, reference: MODELS.lenetBn }), 'dataset/mismatch');
  });

  it('refuses bad options and an incompatible reference before running anything', async () => {
    await expectCompressError(() => evaluate(MODELS.lenet, { ...QUICK, maxSamples: 0 }), 'eval/invalid_options');
    await expectCompressError(() => evaluate(MODELS.lenet, { latency: { runs: 1.5 } }), 'eval/invalid_options');
    await expectCompressError(() => evaluate(MODELS.lenet, { ...QUICK, outputName: 'logits' }), 'eval/invalid_options');
    await expectCompressError(() => evaluate(MODELS.lenet, { ...QUICK, reference: MODELS.mobilenet }), 'eval/reference_mismatch');
  });
});

describe(`${evaluate.name} on mnist-lenet5-bn (batch fixed at 10)`, () => {
  it('reproduces the README: 99.19% top-1 over all 10,000 t10k images', async () => {
    const evalPart = await evaluate(MODELS.lenetBn, { ...QUICK, dataset: MNIST_BN_EVAL });
    const calibPart = await evaluate(MODELS.lenetBn, { ...QUICK, dataset: NPZ.mnistBnCalib });
    expect(correct(evalPart) + correct(calibPart)).toBe(9919);
    expect(evalPart.outputName).toBe('output_0');
    expect(evalPart.latencyMs.batch).toBe(10);
    expect(evalPart.macs).toBe(10 * 416_520);
  });

  it('feeds exactly 10 rows, pads the last batch and drops the padding rows', async () => {
    const cut = await collect(MODELS.lenetBn, NPZ.mnistBnCalib, { maxSamples: 25 });
    expect(cut.map((b) => [b.start, b.count, b.output.rows, b.output.dims[0]])).toEqual([
      [0, 10, 10, 10],
      [10, 10, 10, 10],
      [20, 5, 5, 10],
    ]);
    const full = await collect(MODELS.lenetBn, NPZ.mnistBnCalib, { maxSamples: 30 });
    // Inference mode: rows do not influence each other, so zero padding leaves real rows unchanged.
    expect(Array.from(cut[2]!.output.data)).toEqual(Array.from(full[2]!.output.data.subarray(0, 50)));
    const scored = await evaluate(MODELS.lenetBn, { ...QUICK, dataset: NPZ.mnistBnCalib, maxSamples: 25, reference: MODELS.lenetBn });
    expect(scored.accuracy!.labeled).toBe(25);
    expect(scored.fidelity).toEqual({ top1Agreement: 1, meanCosine: 1, maxAbsDiff: 0, samples: 25 });
  });

  it('refuses a batch size other than the fixed one', async () => {
    await expectCompressError(() => evaluate(MODELS.lenetBn, { ...QUICK, dataset: NPZ.mnistBnCalib, batchSize: 32 }), 'eval/invalid_options');
    await expectCompressError(() => evaluate(MODELS.lenetBn, { latency: { batch: 1 } }), 'eval/invalid_options');
  });
});

describe(`${evaluate.name} on person-mobilenetv2`, () => {
  it('scores the 2 labeled images of the eval set (2/2) and skips the unlabeled ones', async () => {
    const result = await evaluate(MODELS.mobilenet, { ...QUICK, dataset: NPZ.naturalEval, reference: MODELS.mobilenet });
    expect(result.samples).toBe(102);
    expect(result.outputName).toBe('Identity:0');
    expect(result.accuracy).toEqual({ top1: 1, top5: null, labeled: 2 });
    expect(result.fidelity).toEqual({ top1Agreement: 1, meanCosine: 1, maxAbsDiff: 0, samples: 102 });
    expect(result.parameterCount).toBe(182_286);
  });

  it('predicts 164 not_person / 38 person over all 202 images (README)', async () => {
    const histogram = new AccuracyAccumulator();
    for (const dataset of [NPZ.naturalEval, NPZ.naturalCalib]) {
      await runModelOnDataset(MODELS.mobilenet, dataset, {}, ({ output, count }) => {
        histogram.add(output.data, count, output.cols, new Array<number>(count).fill(-1));
      });
    }
    expect(histogram.result().predictions).toEqual([164, 38]);
  });
});

describe(`${evaluate.name} on small built models`, () => {
  const identity = buildModel({
    nodes: [node('Identity', ['x'], ['y'])],
    inputs: [valueInfo('x', DataType.FLOAT, ['N', 4])],
    outputs: [valueInfo('y', DataType.FLOAT, ['N', 4])],
  });

  it('refuses a reference whose output has another width per sample', async () => {
    const rowMax = buildModel({
      nodes: [node('ReduceMax', ['x'], ['y'], [intsAttr('axes', [1]), intAttr('keepdims', 1)])],
      inputs: [valueInfo('x', DataType.FLOAT, ['N', 4])],
      outputs: [valueInfo('y', DataType.FLOAT, ['N', 1])],
    });
    await expectCompressError(() => evaluate(identity, { ...QUICK, reference: rowMax, syntheticSamples: 3 }), 'eval/reference_mismatch');
  });

  it('reads fidelity off a hand-checkable pair: y = x against y = x·0.5', async () => {
    const halved = buildModel({
      nodes: [node('Mul', ['x', 'half'], ['y'])],
      inputs: [valueInfo('x', DataType.FLOAT, ['N', 4])],
      outputs: [valueInfo('y', DataType.FLOAT, ['N', 4])],
      initializers: [floatTensor('half', [1], () => 0.5)],
    });
    const inputs = syntheticInputs([{ name: 'x', elemType: 'float32', shape: ['N', 4] }], 10, 0).x!.data as Float32Array;
    const result = await evaluate(halved, { ...QUICK, reference: identity, syntheticSamples: 10 });
    // Scaling keeps direction and argmax; the largest gap is half the largest input.
    expect(result.fidelity).toMatchObject({ top1Agreement: 1, meanCosine: 1, samples: 10 });
    expect(result.fidelity!.maxAbsDiff).toBe(Math.max(...inputs) / 2);
    expect(result.parameterCount).toBe(1);
  });

  it('refuses a model whose output drops axis 0', async () => {
    const model = buildModel({
      nodes: [node('ReduceSum', ['x'], ['total'], [intAttr('keepdims', 0)])],
      inputs: [valueInfo('x', DataType.FLOAT, ['N', 4])],
      outputs: [valueInfo('total', DataType.FLOAT, [])],
    });
    await expectCompressError(() => evaluate(model, { ...QUICK, syntheticSamples: 3 }), 'eval/unsupported_model');
  });
});
