import fs from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { EVENTS_CHANNEL, type PipelineRunEvent, type PlatformEvent, QueueName, VariantDto, PipelineRunDto } from '@edgefleet/contracts';
import { compressJobId, finalizeJobId, redisConnection } from '@edgefleet/platform';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { io, type Socket } from 'socket.io-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, fixture, type TestApp } from './test-app.js';

const LENET = fixture('models/mnist-lenet5/model.onnx');
const MISSING = '00000000-0000-4000-8000-000000000000';

/** Collects a binary response body as a Buffer (supertest only buffers text types by default). */
const binary = (res: any, cb: (err: Error | null, body: Buffer) => void) => {
  const chunks: Buffer[] = [];
  res.on('data', (c: Buffer) => chunks.push(c));
  res.on('end', () => cb(null, Buffer.concat(chunks)));
};

async function waitFor<T>(probe: () => Promise<T | undefined> | T | undefined, timeoutMs = 5_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('pipelines API', () => {
  let sut: TestApp;
  let queues: Record<QueueName, Queue>;
  let modelId: string;
  let lenet: Buffer;
  let profiles: { id: string; slug: string }[];

  beforeAll(async () => {
    // AUTO_PIPELINES is on (the default) so the upload below starts a run by itself.
    sut = await createTestApp({ AUTO_PIPELINES: 'true' });
    // Listening for real: socket.io clients need a port; supertest reuses the listening server.
    await sut.app.listen(0, '127.0.0.1');
    const connection = redisConnection(sut.config.redisUrl, 'producer');
    queues = {
      [QueueName.Pipelines]: new Queue(QueueName.Pipelines, { connection, prefix: sut.config.queue.prefix }),
      [QueueName.Compress]: new Queue(QueueName.Compress, { connection, prefix: sut.config.queue.prefix }),
      [QueueName.Rollouts]: new Queue(QueueName.Rollouts, { connection, prefix: sut.config.queue.prefix }),
    };
    lenet = await fs.readFile(LENET);
    modelId = (await sut.http.post('/api/models').send({ name: 'lenet', task: 'image-classification' }).expect(201)).body.id;
    await sut.http.post(`/api/models/${modelId}/versions`).attach('file', lenet, 'model.onnx').expect(201);
    profiles = (await sut.http.get('/api/profiles').expect(200)).body.items.map((p: { id: string; slug: string }) => ({ id: p.id, slug: p.slug }));
  });
  afterAll(async () => {
    await Promise.all(Object.values(queues ?? {}).map((q) => q.close()));
    await sut?.close();
  });

  const trigger = (body: object = {}, v = '1') => sut.http.post(`/api/models/${modelId}/versions/${v}/pipelines`).send(body);

  it('starts an upload-triggered run for every profile after a version upload', async () => {
    const runs = await sut.db.pipelineRun.findMany({ include: { jobs: true } });
    expect(runs).toHaveLength(1);
    expect(runs[0]).toMatchObject({ trigger: 'upload', status: 'queued', error: null });
    expect(runs[0]!.jobs).toHaveLength(profiles.length);
    expect(await (await queues[QueueName.Pipelines].getJob(finalizeJobId(runs[0]!.id)))?.getState()).toBe('waiting-children');
  });

  it('triggers a run: rows for the run and each profile, and the flow in BullMQ with deterministic ids', async () => {
    const [a, b] = profiles;
    const recipes = [{ id: 'int8-dyn', precision: 'int8', steps: [{ name: 'int8-dynamic' }] }];
    const res = await trigger({ profiles: [a!.slug, b!.id, a!.id], recipes, requestedBy: 'ci' }).expect(201);
    const run = PipelineRunDto.parse(res.body);
    expect(run).toMatchObject({ modelId, versionNumber: 1, status: 'queued', trigger: 'manual', requestedBy: 'ci', error: null });
    // Named twice (slug and id), profile a still gets one job.
    expect(run.jobs.map((j) => j.profile.slug).sort()).toEqual([a!.slug, b!.slug].sort());
    expect(run.jobs.every((j) => j.status === 'queued' && j.progress === 0 && j.step === null && j.error === null)).toBe(true);

    const row = await sut.db.pipelineRun.findUniqueOrThrow({ where: { id: run.id }, include: { jobs: true } });
    expect(row.recipeOverrides).toEqual(recipes);
    expect(row.jobs.map((j) => j.id).sort()).toEqual(run.jobs.map((j) => j.id).sort());

    const parent = await queues[QueueName.Pipelines].getJob(finalizeJobId(run.id));
    expect(parent?.data).toEqual({ v: 1, runId: run.id });
    expect(await parent?.getState()).toBe('waiting-children');
    for (const job of run.jobs) {
      const child = await queues[QueueName.Compress].getJob(compressJobId(job.id));
      expect(child?.data).toEqual({ v: 1, runId: run.id, pipelineJobId: job.id });
      expect(await child?.getState()).toBe('waiting');
    }
  });

  it('defaults to every profile of the organization when the body names none', async () => {
    const res = await sut.http.post(`/api/models/${modelId}/versions/latest/pipelines`).expect(201);
    expect(res.body.jobs).toHaveLength(profiles.length);
  });

  it('rejects unknown profiles with 404 and writes nothing', async () => {
    const before = await sut.db.pipelineRun.count();
    const res = await trigger({ profiles: [profiles[0]!.slug, 'no-such-board'] }).expect(404);
    expect(res.body.error).toBe('profile/not_found');
    expect(await sut.db.pipelineRun.count()).toBe(before);
  });

  it.each([
    ['an empty profile list', { profiles: [] }],
    ['unknown fields', { profile: 'x' }],
    ['duplicate recipe ids', { recipes: [1, 2].map(() => ({ id: 'r', precision: 'fp32', steps: [{ name: 'optimize', level: 'basic' }] })) }],
    ['a bad recipe step', { recipes: [{ id: 'r', precision: 'fp32', steps: [{ name: 'magic' }] }] }],
  ])('rejects %s with 400', async (_name, body) => {
    const res = await trigger(body).expect(400);
    expect(res.body.error).toBe('request/validation_failed');
  });

  it('answers 404 for an unknown model, version or run', async () => {
    expect((await sut.http.post(`/api/models/${MISSING}/versions/1/pipelines`).send({}).expect(404)).body.error).toBe('model/not_found');
    expect((await trigger({}, '99').expect(404)).body.error).toBe('version/not_found');
    expect((await sut.http.get(`/api/pipelines/${MISSING}`).expect(404)).body.error).toBe('pipeline/not_found');
    expect((await sut.http.get('/api/pipelines/not-a-uuid').expect(404)).body.error).toBe('pipeline/not_found');
  });

  it('lists runs newest first with pagination, and reads one', async () => {
    const created = (await trigger({ profiles: [profiles[0]!.slug] }).expect(201)).body;
    const page = (await sut.http.get(`/api/models/${modelId}/versions/1/pipelines?limit=2`).expect(200)).body;
    expect(page.total).toBe(await sut.db.pipelineRun.count());
    expect(page.items).toHaveLength(2);
    expect(page.items[0].id).toBe(created.id);
    expect(page.items[0].createdAt >= page.items[1].createdAt).toBe(true);
    const one = (await sut.http.get(`/api/pipelines/${created.id}`).expect(200)).body;
    expect(one).toEqual(created);
  });

  it('cancels a queued run: run and jobs cancelled, waiting compress jobs removed; a second cancel is 409', async () => {
    const run = (await trigger({ profiles: profiles.slice(0, 2).map((p) => p.slug) }).expect(201)).body;
    const res = await sut.http.post(`/api/pipelines/${run.id}/cancel`).expect(200);
    expect(res.body.status).toBe('cancelled');
    expect(res.body.finishedAt).toBeTruthy();
    expect(res.body.jobs.map((j: { status: string }) => j.status)).toEqual(['cancelled', 'cancelled']);
    expect(await sut.db.pipelineJob.count({ where: { runId: run.id, status: { not: 'cancelled' } } })).toBe(0);
    for (const job of run.jobs) expect(await queues[QueueName.Compress].getJob(compressJobId(job.id))).toBeUndefined();

    const again = await sut.http.post(`/api/pipelines/${run.id}/cancel`).expect(409);
    expect(again.body.error).toBe('pipeline/not_cancellable');
    expect((await sut.http.post(`/api/pipelines/${MISSING}/cancel`).expect(404)).body.error).toBe('pipeline/not_found');
  });

  describe('variants', () => {
    let recommendedId: string;
    let profile: { id: string; slug: string };

    beforeAll(async () => {
      // The worker writes variants; here the rows are inserted directly, reusing the uploaded model's blob.
      profile = profiles[0]!;
      const version = await sut.db.modelVersion.findFirstOrThrow({ where: { modelId, number: 1 }, include: { artifact: true } });
      const { storageKey, byteSize, sha256, orgId } = version.artifact;
      const insert = async (recipeId: string, precision: string, recommended: boolean) => {
        const artifact = await sut.db.artifact.create({ data: { orgId, kind: 'variant', format: 'onnx', storageKey, byteSize, sha256 } });
        const variant = await sut.db.variant.create({
          data: {
            versionId: version.id,
            profileId: profile.id,
            recipeId,
            recipe: { id: recipeId, precision, steps: [{ name: 'optimize', level: 'basic' }] },
            precision,
            artifactId: artifact.id,
            evaluation: { v: 1, sizeBytes: Number(byteSize), latencyMs: { p50: 1.5 } },
            reports: [],
            verdict: 'passed',
            verdictReasons: [],
            judgedOn: 'synthetic-agreement',
            onParetoFront: true,
            recommended,
            manifest: { v: 1, sha256 },
            signature: 'c2lnbmF0dXJl',
          },
        });
        return variant.id;
      };
      await insert('a-fp32', 'fp32', false);
      recommendedId = await insert('z-int8', 'int8', true);
    });

    it('lists the variants of a version by profile, the recommended one first', async () => {
      const res = await sut.http.get(`/api/models/${modelId}/versions/1/variants`).expect(200);
      const items = res.body.map((v: unknown) => VariantDto.parse(v));
      expect(items.map((v: VariantDto) => [v.recipe.id, v.recommended])).toEqual([
        ['z-int8', true],
        ['a-fp32', false],
      ]);
      expect(items[0]).toMatchObject({
        id: recommendedId,
        profile,
        precision: 'int8',
        verdict: { status: 'passed', reasons: [], judgedOn: 'synthetic-agreement' },
        onParetoFront: true,
        artifact: { kind: 'variant', format: 'onnx', byteSize: lenet.length },
      });
      expect((await sut.http.get(`/api/models/${modelId}/versions/99/variants`).expect(404)).body.error).toBe('version/not_found');
    });

    it('reads one variant, and 404s an unknown one', async () => {
      const res = await sut.http.get(`/api/variants/${recommendedId}`).expect(200);
      expect(VariantDto.parse(res.body).id).toBe(recommendedId);
      expect((await sut.http.get(`/api/variants/${MISSING}`).expect(404)).body.error).toBe('variant/not_found');
    });

    it('downloads a variant with its name, ETag and byte ranges', async () => {
      const url = `/api/variants/${recommendedId}/download`;
      const full = await sut.http.get(url).buffer(true).parse(binary).expect(200);
      expect(Buffer.compare(full.body, lenet)).toBe(0);
      expect(full.headers['content-disposition']).toBe(`attachment; filename="lenet-v1-${profile.slug}-z-int8.onnx"`);
      expect(full.headers.etag).toMatch(/^"[0-9a-f]{64}"$/);
      await sut.http.get(url).set('If-None-Match', full.headers.etag!).expect(304);
      const part = await sut.http.get(url).set('Range', 'bytes=10-19').buffer(true).parse(binary).expect(206);
      expect(Buffer.compare(part.body, lenet.subarray(10, 20))).toBe(0);
      const head = await sut.http.head(url).expect(200);
      expect(head.headers['content-length']).toBe(String(lenet.length));
    });
  });

  describe('/events socket', () => {
    const sockets: Socket[] = [];
    let publisher: Redis;
    let url: string;

    beforeAll(() => {
      url = `http://127.0.0.1:${(sut.app.getHttpServer().address() as AddressInfo).port}/events`;
      publisher = new Redis(sut.config.redisUrl);
    });
    afterAll(() => {
      for (const s of sockets) s.disconnect();
      publisher?.disconnect();
    });

    async function connect(): Promise<Socket> {
      const socket = io(url, { transports: ['websocket'], forceNew: true, auth: { token: sut.apiKey } });
      sockets.push(socket);
      await new Promise<void>((resolve, reject) => {
        socket.once('connect', resolve);
        socket.once('connect_error', reject);
      });
      return socket;
    }

    const runEvent = (room: string, runId: string): PlatformEvent => ({
      channel: 'pipeline.run',
      room,
      event: { v: 1, type: 'run.started', modelId, versionId: MISSING, runId, status: 'running', at: new Date().toISOString() },
    });

    it('rejects a subscribe without a uuid', async () => {
      const socket = await connect();
      expect(await socket.emitWithAck('subscribe', { modelId: 'nope' })).toEqual({ ok: false, error: expect.any(String) });
    });

    it('relays events published on Redis to the sockets in the model room only', async () => {
      const member = await connect();
      const outsider = await connect();
      expect(await member.emitWithAck('subscribe', { modelId })).toEqual({ ok: true });
      expect(await outsider.emitWithAck('subscribe', { modelId: MISSING })).toEqual({ ok: true });
      const received: PipelineRunEvent[] = [];
      const leaked: unknown[] = [];
      member.on('pipeline.run', (e: PipelineRunEvent) => received.push(e));
      outsider.on('pipeline.run', (e: unknown) => leaked.push(e));
      outsider.on('pipeline.job', (e: unknown) => leaked.push(e));

      // The gateway subscribes to Redis without blocking start-up, so publish until the relay is up.
      const message = JSON.stringify(runEvent(`model:${modelId}`, MISSING));
      await waitFor(async () => {
        if (received.length > 0) return received[0];
        await publisher.publish(EVENTS_CHANNEL, message);
        await new Promise((r) => setTimeout(r, 100));
        return undefined;
      });
      expect(received[0]).toMatchObject({ type: 'run.started', modelId, runId: MISSING });
      // Malformed messages are dropped, not relayed.
      await publisher.publish(EVENTS_CHANNEL, '{"channel":"pipeline.run","room":"model:x"}');
      await new Promise((r) => setTimeout(r, 200));
      expect(leaked).toEqual([]);
    });

    it('tells the model room when a run is cancelled', async () => {
      const socket = await connect();
      await socket.emitWithAck('subscribe', { modelId });
      const events: PipelineRunEvent[] = [];
      socket.on('pipeline.run', (e: PipelineRunEvent) => events.push(e));
      const run = (await trigger({ profiles: [profiles[0]!.slug] }).expect(201)).body;
      await sut.http.post(`/api/pipelines/${run.id}/cancel`).expect(200);
      const event = await waitFor(() => events.find((e) => e.runId === run.id));
      expect(event).toMatchObject({ type: 'run.finished', status: 'cancelled', modelId });
    });
  });

  it('documents the new endpoints in OpenAPI', async () => {
    const doc = (await sut.http.get('/api/docs/openapi.json').expect(200)).body;
    for (const path of [
      '/api/models/{id}/versions/{v}/pipelines',
      '/api/pipelines/{runId}',
      '/api/pipelines/{runId}/cancel',
      '/api/models/{id}/versions/{v}/variants',
      '/api/variants/{id}',
      '/api/variants/{id}/download',
    ]) {
      expect(doc.paths[path], path).toBeDefined();
    }
  });

  it('serves Bull Board read-only at /admin/queues, outside the api prefix', async () => {
    const res = await sut.http.get('/admin/queues').expect(200);
    expect(res.headers['content-type']).toMatch(/text\/html/);
    const api = await sut.http.get('/admin/queues/api/queues').expect(200);
    const names = api.body.queues.map((q: { name: string; readOnlyMode: boolean }) => [q.name, q.readOnlyMode]);
    expect(names).toEqual(expect.arrayContaining([[QueueName.Compress, true], [QueueName.Pipelines, true]]));
  });
});

describe('pipelines with Redis down', () => {
  let sut: TestApp;
  beforeAll(async () => {
    sut = await createTestApp({ REDIS_URL: 'redis://127.0.0.1:1' });
  });
  afterAll(() => sut?.close());

  it('records an enqueue failure on the run instead of leaving it queued, and keeps the upload', async () => {
    const modelId = (await sut.http.post('/api/models').send({ name: 'lenet', task: 'image-classification' }).expect(201)).body.id;
    await sut.http.post(`/api/models/${modelId}/versions`).attach('file', LENET).expect(201);
    const runs = await sut.db.pipelineRun.findMany({ include: { jobs: true } });
    expect(runs).toHaveLength(1);
    expect(runs[0]).toMatchObject({ trigger: 'upload', status: 'failed', error: expect.stringContaining('could not enqueue') });
    expect(runs[0]!.jobs.every((j) => j.status === 'failed')).toBe(true);
  });
});
