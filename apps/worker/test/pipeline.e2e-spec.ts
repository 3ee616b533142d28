import { createHash } from 'node:crypto';
import { DESIRED_CHANNEL, EVENTS_CHANNEL, type PipelineJobEvent, type PlatformEvent, type VariantManifest } from '@edgefleet/contracts';
import { DEFAULT_ORG_ID } from '@edgefleet/db';
import { SigningKey } from '@edgefleet/platform';
import { Redis } from 'ioredis';
import path from 'node:path';
import { buffer } from 'node:stream/consumers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FAST_RECIPES, REDIS_URL, waitFor, WorkerHarness } from './harness.js';

describe('compression pipeline (real Postgres, Redis and worker process)', () => {
  let h: WorkerHarness;
  let profiles: Awaited<ReturnType<WorkerHarness['seedProfiles']>>;

  beforeAll(async () => {
    h = await WorkerHarness.create();
    profiles = await h.seedProfiles([{ slug: 'broken-threads', threads: 0 }]);
  });
  afterAll(async () => {
    await h?.close();
  });

  const sha256Of = async (key: string) => createHash('sha256').update(await buffer(await h.storage.read(key))).digest('hex');

  it('compresses a run over two profiles into signed, stored variants with one recommendation per profile', async () => {
    const prefix = h.newPrefix();
    const worker = await h.startWorker(prefix);
    const { model, version } = await h.seedModel({ evaluation: true });
    const run = await h.createRun(version.id, [profiles.get('arm64-cpu-int8')!, profiles.get('mcu-int8')!]);
    const started = Date.now();
    await h.enqueue(prefix, run.id, run.jobs.map((j) => j.id));
    const done = await h.waitForRun(run.id, ['succeeded', 'partial', 'failed']);
    const elapsed = Date.now() - started;
    console.log(`lenet, 2 profiles x ${FAST_RECIPES.length} recipes: enqueue -> run succeeded in ${elapsed} ms`);

    expect(done.status).toBe('succeeded');
    expect(done.finishedAt).not.toBeNull();
    expect(done.jobs.map((j) => [j.status, j.step, j.progress, j.attempts])).toEqual([
      ['succeeded', 'done', 1, 1],
      ['succeeded', 'done', 1, 1],
    ]);

    const variants = await h.db.variant.findMany({ where: { versionId: version.id }, include: { artifact: true, profile: true } });
    expect(variants).toHaveLength(2 * FAST_RECIPES.length);
    const key = await SigningKey.load({ file: path.join(h.dataDir, 'keys', 'artifact-signing.pem') });
    for (const v of variants) {
      expect(v.runId).toBe(run.id);
      expect(v.artifact).toMatchObject({ kind: 'variant', format: 'onnx', orgId: model.orgId });
      expect(await h.storage.size(v.artifact.storageKey)).toBe(Number(v.artifact.byteSize));
      expect(await sha256Of(v.artifact.storageKey)).toBe(v.artifact.sha256);
      const manifest = v.manifest as unknown as VariantManifest;
      expect(manifest).toMatchObject({
        v: 1,
        model: { id: model.id, name: model.name },
        version: { id: version.id, number: 1 },
        profile: v.profile.slug,
        recipe: v.recipeId,
        artifact: { sha256: v.artifact.sha256, bytes: Number(v.artifact.byteSize), format: 'onnx' },
      });
      expect(key.verify(manifest, v.signature)).toBe(true);
      // probe inputs from the version's dataset and the outputs measured on this variant, covered by the signature
      expect(manifest.probe).toMatchObject({ inputs: { input: { dims: [4, 1, 28, 28] } }, outputs: { output: { dims: [4, 10] } }, tolerance: expect.any(Number) });
      expect(key.verify({ ...manifest, recipe: 'tampered' }, v.signature)).toBe(false);
      expect(['passed', 'failed']).toContain(v.verdict);
      expect(v.judgedOn).toBe('labels');
    }
    for (const slug of ['arm64-cpu-int8', 'mcu-int8']) {
      const mine = variants.filter((v) => v.profile.slug === slug);
      expect(mine.map((v) => v.recipeId).sort()).toEqual(['fp32', 'int8-dynamic']);
      const passing = mine.filter((v) => v.verdict === 'passed');
      expect(mine.filter((v) => v.recommended)).toHaveLength(passing.length > 0 ? 1 : 0);
    }
    expect(await h.tempFiles()).toEqual([]);
    expect(await worker.stop()).toBe(0);
  });

  it('tells the devices that run or shadow the version on the compressed profile, and no others, to fetch their desired state', async () => {
    const prefix = h.newPrefix();
    const worker = await h.startWorker(prefix);
    const { version } = await h.seedModel();
    const other = (await h.seedModel()).version;
    const device = async (profile: string, assignment: { versionId: string; shadowVersionId?: string } | null, revoked = false) => {
      const d = await h.db.device.create({
        data: { orgId: DEFAULT_ORG_ID, name: `dev-${profile}`, facts: {}, secretHash: '0'.repeat(64), profileId: profiles.get(profile)!.id, revokedAt: revoked ? new Date() : null },
      });
      if (assignment) await h.db.deviceAssignment.create({ data: { deviceId: d.id, ...assignment } });
      return d.id;
    };
    const runs = await device('arm64-cpu-int8', { versionId: version.id });
    const shadows = await device('arm64-cpu-int8', { versionId: other.id, shadowVersionId: version.id });
    const elsewhere = [
      await device('mcu-int8', { versionId: version.id }),
      await device('arm64-cpu-int8', { versionId: other.id }),
      await device('arm64-cpu-int8', null),
      await device('arm64-cpu-int8', { versionId: version.id }, true),
    ];
    const heard = new Set<string>();
    const sub = new Redis(REDIS_URL);
    try {
      await sub.subscribe(DESIRED_CHANNEL);
      sub.on('message', (_channel: string, raw: string) => {
        for (const id of (JSON.parse(raw) as { deviceIds: string[] }).deviceIds) heard.add(id);
      });
      const run = await h.createRun(version.id, [profiles.get('arm64-cpu-int8')!]);
      await h.enqueue(prefix, run.id, run.jobs.map((j) => j.id));
      expect((await h.waitForRun(run.id, ['succeeded', 'partial', 'failed'])).status).toBe('succeeded');
      await waitFor('the announcement', async () => heard.has(runs) && heard.has(shadows));
      for (const id of elsewhere) expect(heard.has(id)).toBe(false);
    } finally {
      sub.disconnect();
      await worker.stop();
    }
  });

  it('re-running the same run (re-enqueue after it finished) replaces variants instead of adding any', async () => {
    const prefix = h.newPrefix();
    await h.startWorker(prefix);
    const { version } = await h.seedModel();
    const run = await h.createRun(version.id, [profiles.get('arm64-cpu-int8')!]);
    const ids = run.jobs.map((j) => j.id);
    await h.enqueue(prefix, run.id, ids);
    await h.waitForRun(run.id, ['succeeded']);
    const count = async () => ({
      variants: await h.db.variant.count({ where: { versionId: version.id } }),
      artifacts: await h.db.artifact.count({ where: { kind: 'variant' } }),
      blobs: (await h.storedKeys()).length,
    });
    const before = await count();
    const firstIds = (await h.db.variant.findMany({ where: { versionId: version.id }, orderBy: { recipeId: 'asc' } })).map((v) => v.id);

    await h.db.pipelineRun.update({ where: { id: run.id }, data: { status: 'queued', finishedAt: null } });
    // Enqueued twice on purpose: the deterministic job ids make the second add a no-op while the first is pending.
    await h.enqueue(prefix, run.id, ids);
    await h.enqueue(prefix, run.id, ids);
    const again = await h.waitForRun(run.id, ['succeeded']);
    expect(again.jobs[0]!.attempts).toBe(2);
    expect(await count()).toEqual(before);
    const second = await h.db.variant.findMany({ where: { versionId: version.id }, orderBy: { recipeId: 'asc' } });
    expect(second.map((v) => v.id)).toEqual(firstIds);
    expect(second.filter((v) => v.recommended).length).toBeLessThanOrEqual(1);
    // Every variant artifact's blob is there, and nothing else but the original.
    const artifacts = await h.db.artifact.findMany();
    expect(new Set(artifacts.map((a) => a.storageKey))).toEqual(new Set(await h.storedKeys()));
  });

  it('records a profile that compress rejects as failed, keeps its sibling, and settles the run as partial', async () => {
    const prefix = h.newPrefix();
    const worker = await h.startWorker(prefix);
    const { version } = await h.seedModel();
    const broken = profiles.get('broken-threads')!;
    const good = profiles.get('arm64-cpu-int8')!;
    const run = await h.createRun(version.id, [broken, good]);
    await h.enqueue(prefix, run.id, run.jobs.map((j) => j.id));
    const done = await h.waitForRun(run.id, ['succeeded', 'partial', 'failed']);
    expect(done.status).toBe('partial');
    const failed = done.jobs.find((j) => j.profileId === broken.id)!;
    const ok = done.jobs.find((j) => j.profileId === good.id)!;
    expect(failed).toMatchObject({ status: 'failed', attempts: 1 });
    expect(failed.error).toMatch(/compress\/eval: latency\.threads must be a positive integer/);
    expect(failed.finishedAt).not.toBeNull();
    expect(ok.status).toBe('succeeded');
    expect(await h.db.variant.count({ where: { versionId: version.id, profileId: broken.id } })).toBe(0);
    expect(await h.db.variant.count({ where: { versionId: version.id, profileId: good.id } })).toBe(FAST_RECIPES.length);
    // A CompressError is the model's fault: no BullMQ retries.
    expect(worker.logs.filter((l) => l.includes('"job failed"') && l.includes('pipeline.compress-profile'))).toHaveLength(1);
  });

  it('publishes job.started, job.progress and job.completed in order on the events channel', async () => {
    const prefix = h.newPrefix();
    await h.startWorker(prefix);
    const { model, version } = await h.seedModel();
    const run = await h.createRun(version.id, [profiles.get('gpu-fp16')!]);
    const sub = new Redis(REDIS_URL);
    const received: PlatformEvent[] = [];
    sub.on('message', (_channel, message: string) => received.push(JSON.parse(message) as PlatformEvent));
    await sub.subscribe(EVENTS_CHANNEL);
    try {
      await h.enqueue(prefix, run.id, run.jobs.map((j) => j.id));
      await h.waitForRun(run.id, ['succeeded']);
      await new Promise((r) => setTimeout(r, 200));
    } finally {
      await sub.quit();
    }
    const mine = received.filter((e) => e.channel !== 'rollout.changed' && e.event.runId === run.id);
    expect(mine.every((e) => e.room === `model:${model.id}`)).toBe(true);
    const jobEvents = mine.filter((e) => e.channel === 'pipeline.job').map((e) => e.event as PipelineJobEvent);
    const types = jobEvents.map((e) => e.type);
    expect(types[0]).toBe('job.started');
    expect(types.at(-1)).toBe('job.completed');
    expect(types.slice(1, -1).length).toBeGreaterThan(0);
    expect(new Set(types.slice(1, -1))).toEqual(new Set(['job.progress']));
    const progress = jobEvents.map((e) => e.progress);
    expect([...progress].sort((a, b) => a - b)).toEqual(progress);
    expect(jobEvents.at(-1)).toMatchObject({ step: 'done', progress: 1, profile: 'gpu-fp16', pipelineJobId: run.jobs[0]!.id, versionId: version.id });
    expect(jobEvents.some((e) => e.step === 'store')).toBe(true);
    const runEvents = mine.filter((e) => e.channel === 'pipeline.run').map((e) => e.event.type);
    expect(runEvents).toEqual(['run.started', 'run.finished']);
  });
});
