import { BUILTIN_PROFILES } from '@edgefleet/compress';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, fixture, type TestApp } from './test-app.js';

describe('hardware profiles API', () => {
  let sut: TestApp;
  beforeAll(async () => {
    sut = await createTestApp();
  });
  afterAll(() => sut?.close());

  const custom = {
    slug: 'jetson-nano',
    name: 'Jetson Nano',
    description: '4 GB, Maxwell GPU',
    precisions: ['fp32', 'fp16'],
    optimizationLevel: 'basic',
    threads: 4,
    maxLatencyMs: 20,
    accuracyBudget: { maxDropPoints: 0.5 },
  };

  it('seeds the engine built-in profiles at start-up', async () => {
    const res = await sut.http.get('/api/profiles').expect(200);
    const slugs = res.body.items.map((p: { slug: string }) => p.slug);
    expect(slugs).toEqual(expect.arrayContaining(BUILTIN_PROFILES.map((p) => p.id)));
    const mcu = await sut.http.get('/api/profiles/mcu-int8').expect(200);
    expect(mcu.body).toMatchObject({ builtin: true, precisions: ['int8'], maxModelBytes: 1024 * 1024 });
  });

  it('keeps operator edits of built-ins across restarts of the seeding', async () => {
    await sut.http.patch('/api/profiles/gpu-fp16').send({ threads: 8 }).expect(200);
    const service = sut.app.get((await import('../src/profiles/profiles.service.js')).ProfilesService);
    await service.onApplicationBootstrap();
    expect((await sut.http.get('/api/profiles/gpu-fp16').expect(200)).body.threads).toBe(8);
    expect(await sut.db.hardwareProfile.count({ where: { slug: 'gpu-fp16' } })).toBe(1);
  });

  it('creates, reads by id or slug, updates and deletes a profile', async () => {
    const created = await sut.http.post('/api/profiles').send(custom).expect(201);
    expect(created.body).toMatchObject({ slug: 'jetson-nano', builtin: false, objective: 'latency', maxModelBytes: null });
    await sut.http.get(`/api/profiles/${created.body.id}`).expect(200);
    const updated = await sut.http.patch('/api/profiles/jetson-nano').send({ maxModelBytes: 4_000_000, accuracyBudget: { minAgreement: 0.99 } }).expect(200);
    expect(updated.body).toMatchObject({ maxModelBytes: 4_000_000, accuracyBudget: { minAgreement: 0.99 } });
    await sut.http.delete('/api/profiles/jetson-nano').expect(204);
    const gone = await sut.http.get('/api/profiles/jetson-nano').expect(404);
    expect(gone.body.error).toBe('profile/not_found');
  });

  it('refuses to delete a profile that pipelines or variants use', async () => {
    const model = (await sut.http.post('/api/models').send({ name: 'uses-profile', task: 'other' }).expect(201)).body;
    await sut.http.post(`/api/models/${model.id}/versions`).attach('file', fixture('models/mnist-lenet5/model.onnx')).expect(201);
    await sut.http.post('/api/profiles').send({ ...custom, slug: 'in-use' }).expect(201);
    await sut.http.post(`/api/models/${model.id}/versions/1/pipelines`).send({ profiles: ['in-use'] }).expect(201);
    const res = await sut.http.delete('/api/profiles/in-use').expect(409);
    expect(res.body.error).toBe('profile/in_use');
    await sut.http.get('/api/profiles/in-use').expect(200);
  });

  it('refuses duplicates and invalid definitions', async () => {
    await sut.http.post('/api/profiles').send({ ...custom, slug: 'dup' }).expect(201);
    expect((await sut.http.post('/api/profiles').send({ ...custom, slug: 'dup' }).expect(409)).body.error).toBe('profile/slug_taken');
    const bad = await sut.http
      .post('/api/profiles')
      .send({ ...custom, slug: 'Bad Slug', precisions: ['fp32', 'fp32'], threads: 0, accuracyBudget: {} })
      .expect(400);
    const paths = (bad.body.details as { path: string[] }[]).map((d) => d.path.join('.'));
    expect(paths).toEqual(expect.arrayContaining(['slug', 'precisions', 'threads', 'accuracyBudget']));
  });
});
