import { describe, expect, it } from 'vitest';
import { encodeModelProto } from '../ir/model-proto.js';
import { readModelFile } from '../ir/model-file.js';
import { MODELS, NPZ } from '../../test/fixtures.js';
import { accuracyOn } from '../../test/mnist-accuracy.js';
import { EVAL_NPZ } from '../../test/pass-run.js';
import type { RecipeProgress } from './run-recipe.js';
import { runRecipe } from './run-recipe.js';
import type { Recipe } from './recipe.js';

const PRUNE_DISTILL_INT8: Recipe = {
  id: 'pruned50-distilled-int8',
  precision: 'int8',
  steps: [{ name: 'prune-channels', ratio: 0.5 }, { name: 'distill', epochs: 4, alpha: 0.7 }, { name: 'int8-static' }],
};

describe('runRecipe with distill', () => {
  it('prune → distill → int8 on LeNet-5: ≤ 0.15× the bytes, within 2 points of the teacher on unseen MNIST', async () => {
    const teacher = await readModelFile(MODELS.lenet);
    const progress: RecipeProgress[] = [];
    const { model, reports } = await runRecipe(teacher, PRUNE_DISTILL_INT8, {
      calibration: NPZ.mnistCalib,
      training: [{ path: NPZ.mnistCalib }, { path: EVAL_NPZ.mnistEval, count: 7000 }],
      threads: 1,
      trainingThreads: 2,
      onProgress: (p) => progress.push(p),
    });
    expect(reports.map((r) => r.pass)).toEqual(['prune-channels', 'distill', 'quantize-static']);
    expect(progress.filter((p) => p.step === 'distill/epoch').length).toBeGreaterThan(0);
    expect(reports[1]!.details.heldOutSamples).toBe(800);

    const [teacherAcc, studentAcc] = [await accuracyOn(teacher, EVAL_NPZ.mnistEval, 7000, 2000), await accuracyOn(model, EVAL_NPZ.mnistEval, 7000, 2000)];
    expect(encodeModelProto(model).length).toBeLessThanOrEqual(0.15 * encodeModelProto(teacher).length);
    expect(studentAcc).toBeGreaterThanOrEqual(teacherAcc - 0.02);
  }, 180_000);

  it('trains on the calibration dataset when no training data is given', async () => {
    const teacher = await readModelFile(MODELS.lenet);
    const { reports } = await runRecipe(
      teacher,
      { id: 'p-d', precision: 'fp32', steps: [{ name: 'prune-channels', ratio: 0.25 }, { name: 'distill', epochs: 1 }] },
      { calibration: NPZ.mnistCalib, threads: 1, trainingThreads: 2 },
    );
    expect(reports[1]).toMatchObject({ pass: 'distill', details: { trainSamples: 900, heldOutSamples: 100, epochs: 1 } });
  }, 60_000);

  it('refuses a distill step without training data, or after quantization', async () => {
    const teacher = await readModelFile(MODELS.lenet);
    await expect(runRecipe(teacher, { id: 'd', precision: 'fp32', steps: [{ name: 'distill' }] }, { threads: 1 })).rejects.toMatchObject({
      code: 'pass/invalid_options',
      message: expect.stringContaining('training dataset'),
    });
    await expect(
      runRecipe(teacher, { id: 'q-d', precision: 'int8', steps: [{ name: 'int8-dynamic' }, { name: 'distill' }] }, { calibration: NPZ.mnistCalib, threads: 1 }),
    ).rejects.toMatchObject({ code: 'pass/invalid_options' });
  });
});
