import type { RecipeDto, VariantManifest } from '@edgefleet/contracts';
import { SigningKey } from '@edgefleet/platform';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MNIST_EVAL_NPZ, WorkerHarness } from './harness.js';

/** The teacher's figures on the same data, for comparison (LeNet-5 fixture: 416,520 MACs). */
const TEACHER_MACS = 416_520;

describe('distillation recipes through the worker (real Postgres, Redis and worker process)', () => {
  let h: WorkerHarness;
  let profiles: Awaited<ReturnType<WorkerHarness['seedProfiles']>>;

  beforeAll(async () => {
    h = await WorkerHarness.create();
    profiles = await h.seedProfiles();
  });
  afterAll(async () => {
    await h?.close();
  });

  it('trains a pruned student and a built-in CNN student from the version on its calibration data, quantizes and signs them', async () => {
    const prefix = h.newPrefix();
    const worker = await h.startWorker(prefix);
    // Trained on MNIST t10k 0–999, judged on the held-out 1000–9999.
    const { version } = await h.seedModel({ calibration: true, evaluation: true, evaluationFile: MNIST_EVAL_NPZ });
    const recipes: RecipeDto[] = [
      { id: 'pruned50-distilled-int8', precision: 'int8', steps: [{ name: 'prune-channels', ratio: 0.5 }, { name: 'distill', epochs: 3 }, { name: 'int8-static' }] },
      { id: 'cnn-small-distilled', precision: 'fp32', steps: [{ name: 'distill', student: 'cnn-small', epochs: 3, optimizer: 'adam' }] },
    ];
    const run = await h.createRun(version.id, [profiles.get('arm64-cpu-int8')!], recipes);
    await h.enqueue(prefix, run.id, run.jobs.map((j) => j.id));
    const done = await h.waitForRun(run.id, ['succeeded', 'partial', 'failed'], 120_000);
    expect(done.status, JSON.stringify(done.jobs.map((j) => j.error))).toBe('succeeded');

    const variants = await h.db.variant.findMany({ where: { versionId: version.id } });
    expect(variants.map((v) => v.recipeId).sort()).toEqual(['cnn-small-distilled', 'pruned50-distilled-int8']);
    const key = await SigningKey.load({ file: path.join(h.dataDir, 'keys', 'artifact-signing.pem') });
    for (const v of variants) {
      const evaluation = v.evaluation as { macs: number; accuracy: { top1: number } | null };
      // Judged on the held-out labelled set: a student that learned nothing would sit near 10 %.
      expect(v.judgedOn).toBe('labels');
      expect(evaluation.accuracy!.top1).toBeGreaterThan(0.85);
      expect(evaluation.macs).toBeLessThan(TEACHER_MACS * 0.6);
      expect(key.verify(v.manifest as unknown as VariantManifest, v.signature)).toBe(true);
    }
    expect(variants.find((v) => v.recipeId === 'pruned50-distilled-int8')!.precision).toBe('int8');
    expect(await worker.stop()).toBe(0);
  }, 150_000);
});
