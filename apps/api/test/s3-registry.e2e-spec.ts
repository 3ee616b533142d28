import { createHash } from 'node:crypto';
import fs from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { contentKey } from '@edgefleet/platform';
import { startS3Server, type TestS3Server } from '@edgefleet/platform/testing';
import { createTestApp, fixture, type TestApp } from './test-app.js';

const LENET = fixture('models/mnist-lenet5/model.onnx');
const sha256 = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

// superagent hands parsers the raw IncomingMessage, though its types say Response.
const binary = (res: any, cb: (err: Error | null, body: Buffer) => void) => {
  const chunks: Buffer[] = [];
  res.on('data', (c: Buffer) => chunks.push(c));
  res.on('end', () => cb(null, Buffer.concat(chunks)));
};

describe('model registry on STORAGE=s3', () => {
  let s3: TestS3Server;
  let sut: TestApp;
  let lenet: Buffer;

  /** The bucket as seen by a client of its own, not through the app. */
  async function bucketKeys(): Promise<string[]> {
    const keys: string[] = [];
    for await (const key of s3.storage.list()) keys.push(key);
    return keys.sort();
  }

  beforeAll(async () => {
    s3 = await startS3Server();
    sut = await createTestApp(s3.env);
    lenet = await fs.readFile(LENET);
  });
  afterAll(async () => {
    await sut?.close();
    await s3?.close();
  });

  describe('one model, uploaded, downloaded and deleted', () => {
    let modelId: string;
    let downloadUrl: string;

    beforeAll(async () => {
      modelId = (await sut.http.post('/api/models').send({ name: 'mnist-s3', task: 'image-classification' }).expect(201)).body.id;
    });

    it('stores the uploaded model in the bucket under its content address, and nothing on local disk', async () => {
      const res = await sut.http.post(`/api/models/${modelId}/versions`).field('semver', '1.0.0').attach('file', LENET).expect(201);
      expect(res.body.artifact).toMatchObject({ byteSize: lenet.length, sha256: sha256(lenet) });
      downloadUrl = `/api/models/${modelId}/versions/1/download`;
      expect(await bucketKeys()).toEqual([contentKey(sha256(lenet))]);
      expect(await s3.storage.size(contentKey(sha256(lenet)))).toBe(lenet.length);
      expect(await sut.storedFiles()).toEqual([]);
      expect(await sut.tempFiles()).toEqual([]);
    });

    it('keeps one object when a second version has the same bytes', async () => {
      await sut.http.post(`/api/models/${modelId}/versions`).field('semver', '1.0.1').attach('file', LENET).expect(201);
      expect(await bucketKeys()).toEqual([contentKey(sha256(lenet))]);
      expect(await sut.tempFiles()).toEqual([]);
    });

    it('downloads the model whole', async () => {
      const full = await sut.http.get(downloadUrl).buffer(true).parse(binary).expect(200);
      expect(full.headers['content-length']).toBe(String(lenet.length));
      expect(full.headers.etag).toBe(`"${sha256(lenet)}"`);
      expect(full.body.equals(lenet)).toBe(true);
    });

    it('downloads byte ranges that join up to the model', async () => {
      const head = await sut.http.get(downloadUrl).set('Range', 'bytes=0-999').buffer(true).parse(binary).expect(206);
      expect(head.headers['content-range']).toBe(`bytes 0-999/${lenet.length}`);
      expect(head.body.equals(lenet.subarray(0, 1000))).toBe(true);
      const tail = await sut.http.get(downloadUrl).set('Range', 'bytes=1000-').buffer(true).parse(binary).expect(206);
      expect(tail.headers['content-range']).toBe(`bytes 1000-${lenet.length - 1}/${lenet.length}`);
      expect(Buffer.concat([head.body, tail.body]).equals(lenet)).toBe(true);
      const middle = await sut.http.get(downloadUrl).set('Range', 'bytes=4096-4111').buffer(true).parse(binary).expect(206);
      expect(middle.body.equals(lenet.subarray(4096, 4112))).toBe(true);
    });

    it('deleting the model empties the bucket', async () => {
      await sut.http.delete(`/api/models/${modelId}`).expect(204);
      expect(await bucketKeys()).toEqual([]);
      expect(await sut.db.artifact.count()).toBe(0);
      await sut.http.get(downloadUrl).expect(404);
    });
  });
});

describe('model registry on STORAGE=s3 with a bucket that does not exist', () => {
  let s3: TestS3Server;
  let sut: TestApp;

  beforeAll(async () => {
    s3 = await startS3Server();
    sut = await createTestApp({ ...s3.env, S3_BUCKET: 'missing-bucket' });
  });
  afterAll(async () => {
    await sut?.close();
    await s3?.close();
  });

  it('fails the upload with 500 and leaves no temp file, row or object behind', async () => {
    const modelId = (await sut.http.post('/api/models').send({ name: 'nowhere', task: 'other' }).expect(201)).body.id;
    const res = await sut.http.post(`/api/models/${modelId}/versions`).attach('file', LENET).expect(500);
    expect(res.body.statusCode).toBe(500);
    expect(await sut.tempFiles()).toEqual([]);
    expect(await sut.db.artifact.count()).toBe(0);
    expect(await sut.db.modelVersion.count()).toBe(0);
    const keys: string[] = [];
    for await (const key of s3.storage.list()) keys.push(key);
    expect(keys).toEqual([]);
  });
});
