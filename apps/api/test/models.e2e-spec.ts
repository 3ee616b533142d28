import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from './test-app.js';

describe('models API', () => {
  let sut: TestApp;
  beforeAll(async () => {
    sut = await createTestApp();
  });
  afterAll(() => sut?.close());

  const create = (body: Record<string, unknown>) => sut.http.post('/api/models').send(body);

  it('creates a model and reads it back', async () => {
    const res = await create({
      name: 'lenet',
      task: 'image-classification',
      description: 'digits',
      labels: ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9'],
      preprocessing: { v: 1, layout: 'NCHW', scale: 1 / 255 },
    }).expect(201);
    expect(res.body).toMatchObject({ name: 'lenet', task: 'image-classification', versionCount: 0, latestVersion: null });
    expect(res.body.labels).toHaveLength(10);
    const got = await sut.http.get(`/api/models/${res.body.id}`).expect(200);
    expect(got.body).toEqual(res.body);
  });

  it('refuses a duplicate name with 409', async () => {
    await create({ name: 'dup', task: 'other' }).expect(201);
    const res = await create({ name: 'dup', task: 'other' }).expect(409);
    expect(res.body.error).toBe('model/name_taken');
    expect(await sut.db.model.count({ where: { name: 'dup' } })).toBe(1);
  });

  it('rejects invalid bodies with 400 listing each problem', async () => {
    const res = await create({ name: '', task: 'juggling', extra: 1 }).expect(400);
    expect(res.body.error).toBe('request/validation_failed');
    const paths = (res.body.details as { path: string[] }[]).map((d) => d.path.join('.'));
    expect(paths).toEqual(expect.arrayContaining(['name', 'task']));
    const preprocessing = await create({ name: 'pp', task: 'other', preprocessing: { layout: 'NCHW' } }).expect(400);
    expect(preprocessing.body.details[0].path).toEqual(['preprocessing', 'v']);
  });

  it('lists with search and pagination', async () => {
    for (const name of ['alpha-1', 'alpha-2', 'alpha-3', 'beta-1']) await create({ name, task: 'other' }).expect(201);
    const page1 = await sut.http.get('/api/models?search=ALPHA&limit=2').expect(200);
    expect(page1.body.total).toBe(3);
    expect(page1.body.items).toHaveLength(2);
    const page2 = await sut.http.get('/api/models?search=alpha&limit=2&offset=2').expect(200);
    expect(page2.body.items).toHaveLength(1);
    const names = [...page1.body.items, ...page2.body.items].map((m: { name: string }) => m.name).sort();
    expect(names).toEqual(['alpha-1', 'alpha-2', 'alpha-3']);
    await sut.http.get('/api/models?limit=0').expect(400);
  });

  it('updates fields and keeps names unique', async () => {
    const a = (await create({ name: 'upd-a', task: 'other' })).body;
    await create({ name: 'upd-b', task: 'other' }).expect(201);
    const res = await sut.http.patch(`/api/models/${a.id}`).send({ description: 'now described', task: 'regression' }).expect(200);
    expect(res.body).toMatchObject({ description: 'now described', task: 'regression', name: 'upd-a' });
    const clash = await sut.http.patch(`/api/models/${a.id}`).send({ name: 'upd-b' }).expect(409);
    expect(clash.body.error).toBe('model/name_taken');
    await sut.http.patch(`/api/models/${a.id}`).send({}).expect(400);
  });

  it('answers 404 for unknown and malformed ids', async () => {
    for (const id of ['00000000-0000-4000-8000-000000000bad', 'not-a-uuid']) {
      const res = await sut.http.get(`/api/models/${id}`).expect(404);
      expect(res.body.error).toBe('model/not_found');
      await sut.http.patch(`/api/models/${id}`).send({ description: 'x' }).expect(404);
      await sut.http.delete(`/api/models/${id}`).expect(404);
    }
  });

  it('deletes a model', async () => {
    const m = (await create({ name: 'to-delete', task: 'other' })).body;
    await sut.http.delete(`/api/models/${m.id}`).expect(204);
    await sut.http.get(`/api/models/${m.id}`).expect(404);
  });
});
