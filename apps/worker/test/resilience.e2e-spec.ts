import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FAST_RECIPES, waitFor, WorkerHarness } from './harness.js';

/** Slow enough (~1-2 s per job) to catch the job mid-flight: every sample of the evaluation set, three recipes. */
const SLOW_ENV = { EVAL_MAX_SAMPLES: '1000' };
const SLOW_RECIPES = [...FAST_RECIPES, { id: 'fp32-extended', precision: 'fp32' as const, steps: [{ name: 'optimize' as const, level: 'extended' as const }] }];

describe('worker resilience (real worker processes)', () => {
  let h: WorkerHarness;
  let profiles: Awaited<ReturnType<WorkerHarness['seedProfiles']>>;

  beforeAll(async () => {
    h = await WorkerHarness.create();
    profiles = await h.seedProfiles();
  });
  afterAll(async () => {
    await h?.close();
  });

  const runningJob = (id: string) =>
    waitFor(`job ${id} running`, async () => {
      const job = await h.db.pipelineJob.findUnique({ where: { id } });
      return job?.status === 'running' && job.step !== 'download' ? job : null;
    }, 20_000, 20);

  it('finishes a job whose worker was SIGKILLed mid-compression on a fresh worker, storing one variant set', async () => {
    const prefix = h.newPrefix();
    const fastStall = { ...SLOW_ENV, STALLED_INTERVAL_MS: '1000', LOCK_DURATION_MS: '3000' };
    const first = await h.startWorker(prefix, fastStall);
    const { version } = await h.seedModel({ evaluation: true });
    const run = await h.createRun(version.id, [profiles.get('arm64-cpu-int8')!], SLOW_RECIPES);
    const jobId = run.jobs[0]!.id;
    await h.enqueue(prefix, run.id, [jobId]);
    await runningJob(jobId);
    await first.kill();
    expect(await h.db.variant.count({ where: { versionId: version.id } })).toBe(0);

    const killedAt = Date.now();
    await h.startWorker(prefix, fastStall);
    const done = await h.waitForRun(run.id, ['succeeded', 'partial', 'failed'], 40_000);
    console.log(`crash recovery: SIGKILL -> run settled on the fresh worker in ${Date.now() - killedAt} ms`);
    expect(done.status).toBe('succeeded');
    expect(done.jobs[0]).toMatchObject({ status: 'succeeded', attempts: 2, step: 'done', progress: 1 });
    const variants = await h.db.variant.findMany({ where: { versionId: version.id }, include: { artifact: true } });
    expect(variants.map((v) => v.recipeId).sort()).toEqual(SLOW_RECIPES.map((r) => r.id).sort());
    expect(await h.db.artifact.count({ where: { kind: 'variant' } })).toBe(SLOW_RECIPES.length);
    for (const v of variants) expect(await h.storage.size(v.artifact.storageKey)).toBe(Number(v.artifact.byteSize));
    // The killed attempt's work directory is swept by the retry.
    expect(await h.tempFiles()).toEqual([]);
  });

  it('stops a running job when its run is cancelled, leaving no variant rows or blobs behind', async () => {
    const prefix = h.newPrefix();
    const worker = await h.startWorker(prefix, SLOW_ENV);
    const { version } = await h.seedModel({ evaluation: true });
    const run = await h.createRun(version.id, [profiles.get('arm64-cpu-int8')!], SLOW_RECIPES);
    const jobId = run.jobs[0]!.id;
    const variantArtifactsBefore = await h.db.artifact.count({ where: { kind: 'variant' } });
    const blobsBefore = await h.storedKeys();
    await h.enqueue(prefix, run.id, [jobId]);
    await runningJob(jobId);
    await h.db.pipelineRun.update({ where: { id: run.id }, data: { status: 'cancelled' } });

    const job = await waitFor('job cancelled', async () => {
      const j = await h.db.pipelineJob.findUnique({ where: { id: jobId } });
      return j && j.status !== 'running' ? j : null;
    }, 20_000);
    expect(job.status).toBe('cancelled');
    expect(job.finishedAt).not.toBeNull();
    const settled = await waitFor('run finished', async () => {
      const r = await h.db.pipelineRun.findUnique({ where: { id: run.id } });
      return r?.finishedAt ? r : null;
    });
    expect(settled.status).toBe('cancelled');
    expect(await h.db.variant.count({ where: { versionId: version.id } })).toBe(0);
    expect(await h.db.artifact.count({ where: { kind: 'variant' } })).toBe(variantArtifactsBefore);
    expect(await h.storedKeys()).toEqual(blobsBefore);
    expect(await h.tempFiles()).toEqual([]);
    expect(worker.logs.some((l) => l.includes('run cancelled; job stopped'))).toBe(true);
  });
});
