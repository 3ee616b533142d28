import { describe, expect, it } from 'vitest';
import { inspectModel } from '../inspect/inspect-model.js';
import { encodeModelProto } from '../ir/model-proto.js';
import { readModelFile } from '../ir/model-file.js';
import { MODELS, NPZ } from '../../test/fixtures.js';
import { accuracyOn } from '../../test/mnist-accuracy.js';
import { EVAL_NPZ } from '../../test/pass-run.js';
import { better, distill, type DistillProgress } from './distill.js';

const EPOCHS = Number(process.env.DISTILL_EPOCHS ?? 3);

describe('distill', () => {
  it('recovers a 50%-pruned LeNet-5 to within 1.5 points of the teacher on unseen MNIST', async () => {
    const teacher = await readModelFile(MODELS.lenet);
    const progress: DistillProgress[] = [];
    const t0 = performance.now();
    const { model, report } = await distill(teacher, {
      data: [{ path: NPZ.mnistCalib }, { path: EVAL_NPZ.mnistEval, count: 7000 }],
      heldOut: { count: 1000 },
      epochs: EPOCHS,
      batchSize: 64,
      learningRate: { kind: 'cosine', initial: Number(process.env.DISTILL_LR ?? 0.01) },
      temperature: 4,
      alpha: 0.7,
      earlyStopping: { patience: 3 },
      threads: 2,
      onProgress: (p) => progress.push(p),
    });
    const wallMs = performance.now() - t0;
    const [teacherAcc, studentAcc] = [await accuracyOn(teacher, EVAL_NPZ.mnistEval, 7000, 2000), await accuracyOn(model, EVAL_NPZ.mnistEval, 7000, 2000)];
    const [tMacs, sMacs] = [(await inspectModel(encodeModelProto(teacher))).macs!, (await inspectModel(encodeModelProto(model))).macs!];
    if (process.env.DISTILL_REPORT) console.log(JSON.stringify({ epochs: EPOCHS, teacherAcc, studentAcc, tMacs, sMacs, wallMs, details: report.details }));

    expect(sMacs).toBeLessThanOrEqual(0.6 * tMacs);
    expect(progress.length).toBeGreaterThan(0);
    expect(report.details.samplesPerSec).toBeGreaterThan(0);
    expect(model.graph!.node!.map((n) => n.opType)).toEqual(teacher.graph!.node!.map((n) => n.opType));
    expect(studentAcc).toBeGreaterThanOrEqual(teacherAcc - 0.015);
    expect(wallMs).toBeLessThan(180_000);
  }, 240_000);

  it('rejects bad options before training', async () => {
    const teacher = await readModelFile(MODELS.lenet);
    await expect(distill(teacher, { data: NPZ.mnistCalib, epochs: 0 })).rejects.toMatchObject({ code: 'train/invalid_options' });
    await expect(distill(teacher, { data: NPZ.mnistCalib, alpha: 2 })).rejects.toMatchObject({ code: 'train/invalid_options' });
    await expect(distill(teacher, { data: NPZ.mnistCalib, augment: { shift: -1 } })).rejects.toMatchObject({ code: 'train/invalid_options' });
    await expect(distill(teacher, { data: NPZ.mnistCalib, optimizer: 'lbfgs' as 'sgd' })).rejects.toMatchObject({ code: 'train/invalid_options' });
  });

  it('augments image batches (shifted digits scored by the teacher) and still learns', async () => {
    const teacher = await readModelFile(MODELS.lenet);
    const { report } = await distill(teacher, {
      student: { name: 'mlp' },
      data: NPZ.mnistCalib,
      heldOut: { count: 200 },
      epochs: 2,
      batchSize: 32,
      learningRate: { kind: 'cosine', initial: 0.05 },
      augment: { shift: 2 },
      threads: 2,
    });
    const heldOut = report.details['heldOut'] as { before: { accuracy: number }; after: { accuracy: number } };
    expect(report.details['options']).toMatchObject({ augment: { shift: 2 } });
    expect(heldOut.after.accuracy - heldOut.before.accuracy).toBeGreaterThan(0.4);
  });

  it('keeps a trained epoch over the untrained student when a tiny held-out set ties on agreement', () => {
    const untrained = { accuracy: null, agreement: 0.5, divergence: 0.3 };
    expect(better({ accuracy: null, agreement: 0.5, divergence: 0.1 }, untrained)).toBe(true);
    expect(better({ accuracy: null, agreement: 0.5, divergence: 0.3 }, untrained)).toBe(false);
    expect(better({ accuracy: null, agreement: 0.4, divergence: 0.01 }, untrained)).toBe(false);
    expect(better({ accuracy: 0.9, agreement: 0.8, divergence: 0.5 }, { accuracy: 0.8, agreement: 0.9, divergence: 0.1 })).toBe(true);
  });
});
