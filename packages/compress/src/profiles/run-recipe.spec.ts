import { describe, expect, it } from 'vitest';
import { openNpz } from '../data/npz.js';
import { ort, withSession } from '../inspect/runtime.js';
import { encodeModelProto } from '../ir/model-proto.js';
import { readModelFile } from '../ir/model-file.js';
import type { onnx } from '../ir/onnx.js';
import { MODELS, NPZ } from '../../test/fixtures.js';
import { EVAL_NPZ } from '../../test/pass-run.js';
import type { RecipeProgress } from './run-recipe.js';
import { runRecipe } from './run-recipe.js';
import type { Recipe } from './recipe.js';

const PRUNE_DISTILL_INT8: Recipe = {
  id: 'pruned50-distilled-int8',
  precision: 'int8',
  steps: [{ name: 'prune-channels', ratio: 0.5 }, { name: 'distill', epochs: 4, alpha: 0.7 }, { name: 'int8-static' }],
};

/** Top-1 accuracy on samples [start, start + count) of a labelled .npz. */
async function accuracyOn(model: onnx.IModelProto, file: string, start: number, count: number): Promise<number> {
  const npz = await openNpz(file);
  const x = await npz.readArray('input');
  const labels = (await npz.readArray('labels')).data as BigInt64Array;
  const per = x.shape.slice(1).reduce((a, b) => a * b, 1);
  return withSession(encodeModelProto(model), async (session) => {
    const input = new ort.Tensor('float32', (x.data as Float32Array).slice(start * per, (start + count) * per), [count, ...x.shape.slice(1)]);
    const logits = (await session.run({ input }))[session.outputNames[0]!]!.data as Float32Array;
    let correct = 0;
    for (let i = 0; i < count; i++) {
      const row = logits.subarray(i * 10, i * 10 + 10);
      if (BigInt(row.indexOf(Math.max(...row))) === labels[start + i]) correct++;
    }
    return correct / count;
  });
}

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
