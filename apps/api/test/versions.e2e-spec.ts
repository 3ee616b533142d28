import { createHash } from 'node:crypto';
import fs from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { modelWithUnknownOp, protoFacts } from './onnx-builders.js';
import { createTestApp, fixture, type TestApp } from './test-app.js';

const LENET = fixture('models/mnist-lenet5/model.onnx');
const LENET_BN = fixture('models/mnist-lenet5-bn/model.onnx');
const sha256 = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

/** Collects a binary response body as a Buffer (supertest only buffers text types by default). */
// superagent hands parsers the raw IncomingMessage, though its types say Response.
const binary = (res: any, cb: (err: Error | null, body: Buffer) => void) => {
  const chunks: Buffer[] = [];
  res.on('data', (c: Buffer) => chunks.push(c));
  res.on('end', () => cb(null, Buffer.concat(chunks)));
};

describe('model versions API', () => {
  let sut: TestApp;
  let modelId: string;
  let lenet: Buffer;

  beforeAll(async () => {
    sut = await createTestApp();
    lenet = await fs.readFile(LENET);
    modelId = (await sut.http.post('/api/models').send({ name: 'mnist', task: 'image-classification' }).expect(201)).body.id;
  });
  afterAll(() => sut?.close());

  const upload = (id: string, file: Buffer | string, fields: Record<string, string> = {}, name = 'model.onnx') => {
    const req = sut.http.post(`/api/models/${id}/versions`);
    for (const [k, v] of Object.entries(fields)) req.field(k, v);
    return req.attach('file', typeof file === 'string' ? file : file, name);
  };

  async function expectNothingStored() {
    expect(await sut.storedFiles()).toEqual([]);
    expect(await sut.tempFiles()).toEqual([]);
    expect(await sut.db.artifact.count()).toBe(0);
    expect(await sut.db.modelVersion.count()).toBe(0);
  }

  describe('bad input leaves no file and no row behind', () => {
    it('rejects bytes that are not ONNX with 422', async () => {
      const res = await upload(modelId, Buffer.from('definitely not a protobuf model, just text\n'.repeat(50))).expect(422);
      expect(res.body.error).toBe('model/not_onnx');
      await expectNothingStored();
    });

    it('rejects a truncated model with 422', async () => {
      const res = await upload(modelId, lenet.subarray(0, Math.floor(lenet.length / 2))).expect(422);
      expect(res.body.error).toBe('model/not_onnx');
      await expectNothingStored();
    });

    it('rejects protobuf garbage with 422', async () => {
      const garbage = Buffer.alloc(4096);
      for (let i = 0; i < garbage.length; i++) garbage[i] = (i * 7919) % 251;
      const res = await upload(modelId, garbage).expect(422);
      expect(res.body.error).toBe('model/not_onnx');
      await expectNothingStored();
    });

    it('rejects ONNX that onnxruntime cannot load with its message', async () => {
      const res = await upload(modelId, Buffer.from(modelWithUnknownOp())).expect(422);
      expect(res.body.error).toBe('model/runtime_rejected');
      expect(res.body.message).toContain('NotARealOp');
      await expectNothingStored();
    });

    it('rejects a request without a file part with 400', async () => {
      const res = await sut.http.post(`/api/models/${modelId}/versions`).field('notes', 'no file').expect(400);
      expect(res.body.error).toBe('upload/malformed');
      const notMultipart = await sut.http.post(`/api/models/${modelId}/versions`).send({ file: 'x' }).expect(400);
      expect(notMultipart.body.error).toBe('upload/malformed');
      await expectNothingStored();
    });

    it('rejects invalid fields with 400 before storing anything', async () => {
      const res = await upload(modelId, lenet, { semver: 'one-point-oh' }).expect(400);
      expect(res.body.error).toBe('request/validation_failed');
      await expectNothingStored();
    });

    it('answers 404 for an unknown model', async () => {
      const res = await upload('00000000-0000-4000-8000-000000000404', lenet).expect(404);
      expect(res.body.error).toBe('model/not_found');
      await expectNothingStored();
    });
  });

  describe('a valid upload', () => {
    let version: Record<string, any>;

    beforeAll(async () => {
      version = (await upload(modelId, lenet, { semver: '1.0.0', notes: 'first', createdBy: 'ml@example.com' }).expect(201)).body;
    });

    it('is inspected for real', () => {
      const facts = protoFacts(lenet);
      const inspection = version.inspection;
      expect(inspection.irVersion).toBe(5);
      expect(inspection.opsets).toEqual([{ domain: '', version: 10 }]);
      expect(inspection.producer.name).toBe('pytorch');
      expect(inspection.nodeCount).toBe(facts.nodeCount);
      expect(inspection.opHistogram).toEqual(facts.histogram);
      expect(inspection.opHistogram).toEqual({ Conv: 2, Relu: 4, MaxPool: 2, Flatten: 1, Gemm: 3 });
      expect(inspection.parameterCount).toBe(facts.params);
      expect(inspection.parameterCount).toBe(61_706);
      expect(inspection.inputs).toEqual([{ name: 'input', elemType: 'float32', shape: ['batch_size', 1, 28, 28] }]);
      expect(inspection.outputs).toEqual([{ name: 'output', elemType: 'float32', shape: ['batch_size', 10] }]);
      // By hand at batch 1: conv1 6×28×28×(1×5×5) + conv2 16×10×10×(6×5×5) + fc 400×120 + 120×84 + 84×10.
      expect(inspection.macs).toBe(117_600 + 240_000 + 48_000 + 10_080 + 840);
      expect(inspection.runtime.loaded).toBe(true);
    });

    it('records the artifact with the real size and hash', async () => {
      expect(version).toMatchObject({ number: 1, semver: '1.0.0', notes: 'first', createdBy: 'ml@example.com', status: 'ready' });
      expect(version.artifact).toMatchObject({ kind: 'original', format: 'onnx', byteSize: lenet.length, sha256: sha256(lenet) });
      expect(await sut.storedFiles()).toEqual([`sha256/${sha256(lenet).slice(0, 2)}/${sha256(lenet)}`]);
      expect(await sut.tempFiles()).toEqual([]);
    });

    it('is found by number, semver and "latest", and listed', async () => {
      for (const ref of ['1', '1.0.0', 'latest']) {
        const res = await sut.http.get(`/api/models/${modelId}/versions/${ref}`).expect(200);
        expect(res.body.id).toBe(version.id);
      }
      await sut.http.get(`/api/models/${modelId}/versions/7`).expect(404);
      const list = await sut.http.get(`/api/models/${modelId}/versions`).expect(200);
      expect(list.body.items.map((v: { id: string }) => v.id)).toContain(version.id);
      const model = await sut.http.get(`/api/models/${modelId}`).expect(200);
      expect(model.body.latestVersion).toBeGreaterThanOrEqual(1);
    });

    it('numbers versions in sequence and refuses a duplicate semver', async () => {
      const v2 = await upload(modelId, LENET_BN, { semver: '2.0.0' }).expect(201);
      expect(v2.body.number).toBe(2);
      const before = await sut.storedFiles();
      const dup = await upload(modelId, LENET_BN, { semver: '1.0.0' }).expect(409);
      expect(dup.body.error).toBe('version/label_taken');
      expect(await sut.storedFiles()).toEqual(before);
      expect(await sut.db.modelVersion.count({ where: { modelId } })).toBe(2);
    });

    it('downloads with ETag, 304 on If-None-Match, and byte ranges', async () => {
      const url = `/api/models/${modelId}/versions/1/download`;
      const full = await sut.http.get(url).buffer(true).parse(binary).expect(200);
      expect(sha256(full.body)).toBe(sha256(lenet));
      expect(full.headers.etag).toBe(`"${sha256(lenet)}"`);
      expect(full.headers['accept-ranges']).toBe('bytes');

      await sut.http.get(url).set('If-None-Match', full.headers.etag).expect(304);

      // A device resuming a broken download: the first 1000 bytes, then the rest.
      const head = await sut.http.get(url).set('Range', 'bytes=0-999').buffer(true).parse(binary).expect(206);
      expect(head.headers['content-range']).toBe(`bytes 0-999/${lenet.length}`);
      const tail = await sut.http.get(url).set('Range', 'bytes=1000-').set('If-Range', full.headers.etag).buffer(true).parse(binary).expect(206);
      expect(Buffer.concat([head.body, tail.body]).equals(lenet)).toBe(true);

      const stale = await sut.http.get(url).set('Range', 'bytes=1000-').set('If-Range', '"stale"').buffer(true).parse(binary).expect(200);
      expect(stale.body.length).toBe(lenet.length);

      const bad = await sut.http.get(url).set('Range', `bytes=${lenet.length}-`).expect(416);
      expect(bad.headers['content-range']).toBe(`bytes */${lenet.length}`);

      const byArtifact = await sut.http.get(version.artifact.downloadUrl).set('Range', 'bytes=-16').buffer(true).parse(binary).expect(206);
      expect(byArtifact.body.equals(lenet.subarray(lenet.length - 16))).toBe(true);
      await sut.http.get('/api/artifacts/00000000-0000-4000-8000-000000000404/download').expect(404);
    });
  });
});

describe('upload size limit', () => {
  let sut: TestApp;
  let modelId: string;

  beforeAll(async () => {
    sut = await createTestApp({ MAX_UPLOAD_BYTES: String(100 * 1024) });
    modelId = (await sut.http.post('/api/models').send({ name: 'big', task: 'other' }).expect(201)).body.id;
  });
  afterAll(() => sut?.close());

  it('answers 413 and removes the partial file', async () => {
    const res = await sut.http.post(`/api/models/${modelId}/versions`).attach('file', LENET).expect(413);
    expect(res.body.error).toBe('upload/too_large');
    expect(await sut.storedFiles()).toEqual([]);
    expect(await sut.tempFiles()).toEqual([]);
    expect(await sut.db.artifact.count()).toBe(0);
  });

  it('stops a chunked upload with no Content-Length at the limit too', async () => {
    await sut.app.listen(0, '127.0.0.1');
    const { port } = sut.app.getHttpServer().address() as AddressInfo;
    const boundary = 'edgefleetboundary';
    const status = await new Promise<number>((resolve, reject) => {
      const req = http.request({
        host: '127.0.0.1',
        port,
        method: 'POST',
        path: `/api/models/${modelId}/versions`,
        headers: { 'Content-Type': `multipart/form-data; boundary=${boundary}`, 'Transfer-Encoding': 'chunked', Authorization: `Bearer ${sut.apiKey}` },
      });
      req.on('response', (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      });
      req.on('error', reject);
      req.write(`--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="huge.onnx"\r\nContent-Type: application/octet-stream\r\n\r\n`);
      const chunk = Buffer.alloc(16 * 1024, 7);
      for (let i = 0; i < 20; i++) req.write(chunk);
      req.end(`\r\n--${boundary}--\r\n`);
    });
    expect(status).toBe(413);
    expect(await sut.storedFiles()).toEqual([]);
    expect(await sut.tempFiles()).toEqual([]);
  });
});
