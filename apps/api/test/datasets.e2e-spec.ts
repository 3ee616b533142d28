import fs from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, fixture, type TestApp } from './test-app.js';

describe('datasets API', () => {
  let sut: TestApp;
  let modelId: string;

  beforeAll(async () => {
    sut = await createTestApp();
    modelId = (await sut.http.post('/api/models').send({ name: 'mnist', task: 'image-classification' }).expect(201)).body.id;
  });
  afterAll(() => sut?.close());

  const uploadDataset = (file: string | Buffer, fields: Record<string, string>) => {
    const req = sut.http.post(`/api/models/${modelId}/datasets`);
    for (const [k, v] of Object.entries(fields)) req.field(k, v);
    return req.attach('file', file, 'data.npz');
  };

  it('needs a model version to check the arrays against', async () => {
    const res = await uploadDataset(fixture('npz/mnist-calib-1k.npz'), { name: 'calib' }).expect(422);
    expect(res.body.error).toBe('dataset/mismatch');
    expect(await sut.storedFiles()).toEqual([]);
  });

  describe('with a version uploaded', () => {
    beforeAll(async () => {
      await sut.http.post(`/api/models/${modelId}/versions`).attach('file', fixture('models/mnist-lenet5/model.onnx')).expect(201);
    });

    it('accepts a matching .npz and records samples and arrays', async () => {
      const res = await uploadDataset(fixture('npz/mnist-calib-1k.npz'), { name: 'calib-1k', purpose: 'calibration' }).expect(201);
      expect(res.body).toMatchObject({ name: 'calib-1k', purpose: 'calibration', sampleCount: 1000, hasLabels: true });
      expect(res.body.arrays).toEqual(
        expect.arrayContaining([
          { name: 'input', dtype: 'float32', shape: [1000, 1, 28, 28] },
          { name: 'labels', dtype: 'int64', shape: [1000] },
        ]),
      );
      const size = (await fs.stat(fixture('npz/mnist-calib-1k.npz'))).size;
      expect(res.body.artifact).toMatchObject({ kind: 'dataset', format: 'npz', byteSize: size });
      const list = await sut.http.get(`/api/models/${modelId}/datasets`).expect(200);
      expect(list.body.total).toBe(1);
      await sut.http.get(`/api/models/${modelId}/datasets/${res.body.id}`).expect(200);
    });

    it('refuses a duplicate dataset name with 409', async () => {
      const res = await uploadDataset(fixture('npz/mnist-calib-1k.npz'), { name: 'calib-1k' }).expect(409);
      expect(res.body.error).toBe('dataset/name_taken');
    });

    it('names the mismatch when arrays do not fit the model inputs', async () => {
      const before = await sut.storedFiles();
      const res = await uploadDataset(fixture('npz/natural128-eval-102.npz'), { name: 'wrong' }).expect(422);
      expect(res.body.error).toBe('dataset/mismatch');
      expect(res.body.message).toContain('input');
      expect(await sut.storedFiles()).toEqual(before);
      expect(await sut.tempFiles()).toEqual([]);
      expect(await sut.db.dataset.count({ where: { name: 'wrong' } })).toBe(0);
    });

    it('rejects a file that is not an .npz with 422', async () => {
      const res = await uploadDataset(Buffer.from('PK\x03\x04 but not really a zip'), { name: 'junk' }).expect(422);
      expect(res.body.error).toBe('dataset/invalid');
      expect(await sut.tempFiles()).toEqual([]);
    });

    it('deleting the model removes versions, datasets, artifacts and their files', async () => {
      expect((await sut.storedFiles()).length).toBe(2);
      await sut.http.delete(`/api/models/${modelId}`).expect(204);
      expect(await sut.storedFiles()).toEqual([]);
      expect(await sut.db.artifact.count()).toBe(0);
      expect(await sut.db.dataset.count()).toBe(0);
      expect(await sut.db.modelVersion.count()).toBe(0);
    });
  });
});
