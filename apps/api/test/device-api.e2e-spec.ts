import { createPublicKey, verify } from 'node:crypto';
import fs from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { canonicalJson, DesiredState, type DesiredChangedEvent, DeviceDto, DeviceTelemetryDto, VersionTelemetryDto } from '@edgefleet/contracts';
import { pino } from 'pino';
import { io, type Socket } from 'socket.io-client';
import supertest from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { binary, createToken, createVersion, enroll, type Enrolled, insertVariant, LENET } from './device-fixtures.js';
import { createApp } from '../src/app.factory.js';
import { createTestApp, type TestApp } from './test-app.js';
import { DesiredStateService } from '../src/devices/desired-state.service.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('device API (agent side)', () => {
  let sut: TestApp;
  let url: string;
  let token: string;
  let lenet: Buffer;
  let v1: { modelId: string; versionId: string; number: number };
  let v2: { modelId: string; versionId: string; number: number };
  let variant1: string;
  let variant2: string;

  beforeAll(async () => {
    sut = await createTestApp({ AUTO_PIPELINES: 'false', DEVICE_OFFLINE_AFTER_S: '1' });
    await sut.app.listen(0, '127.0.0.1');
    url = `http://127.0.0.1:${(sut.app.getHttpServer().address() as AddressInfo).port}`;
    lenet = await fs.readFile(LENET);
    token = (await createToken(sut, { group: 'agents' })).token;
    v1 = await createVersion(sut, 'agent-model');
    const second = (await sut.http.post(`/api/models/${v1.modelId}/versions`).attach('file', lenet, 'model.onnx').expect(201)).body;
    v2 = { modelId: v1.modelId, versionId: second.id, number: second.number };
    // aarch64 devices match arm64-cpu-int8; a non-recommended sibling must never be chosen.
    variant1 = (await insertVariant(sut, v1.versionId, 'arm64-cpu-int8')).id;
    await insertVariant(sut, v1.versionId, 'arm64-cpu-int8', { recommended: false, recipeId: 'fp32' });
    variant2 = (await insertVariant(sut, v2.versionId, 'arm64-cpu-int8')).id;
  });
  afterAll(async () => {
    await sut?.close();
  });

  const assign = (d: Enrolled, version: number) => sut.http.put(`/api/devices/${d.deviceId}/assignment`).send({ modelId: v1.modelId, version }).expect(200);
  const desired = (d: Enrolled, headers: Record<string, string> = {}, query = '') => sut.http.get(`/api/device/desired${query}`).set({ authorization: d.auth, ...headers });

  it('answers the desired state with an ETag: null before any assignment, 304 on If-None-Match', async () => {
    const d = await enroll(sut, token);
    const res = await desired(d).expect(200);
    const state = DesiredState.parse(res.body);
    expect(state.assignment).toBeNull();
    expect(res.headers.etag).toBe(`"${state.etag}"`);
    await desired(d, { 'if-none-match': res.headers.etag! }).expect(304);
  });

  it('resolves an assignment to the recommended variant for the profile, with a manifest that verifies against the platform key', async () => {
    const d = await enroll(sut, token);
    const before = (await desired(d).expect(200)).body.etag;
    await assign(d, 1);
    const res = await desired(d, { 'if-none-match': `"${before}"` }).expect(200);
    const state = DesiredState.parse(res.body);
    expect(state.etag).not.toBe(before);
    const a = state.assignment!;
    expect(a).toMatchObject({
      model: { id: v1.modelId, name: 'agent-model' },
      version: { id: v1.versionId, number: 1 },
      variant: { id: variant1, precision: 'int8', profile: 'arm64-cpu-int8' },
      artifactUrl: `/api/device/artifacts/${variant1}`,
      bytes: lenet.length,
    });
    expect(a.manifest).toMatchObject({ artifact: { sha256: a.sha256, bytes: lenet.length } });
    const key = (await sut.http.get('/api/keys/artifact-signing').expect(200)).body;
    const publicKey = createPublicKey({ key: Buffer.from(key.publicKey, 'base64'), format: 'der', type: 'spki' });
    expect(verify(null, Buffer.from(canonicalJson(a.manifest)), publicKey, Buffer.from(a.signature, 'base64'))).toBe(true);
    expect(verify(null, Buffer.from(canonicalJson({ ...a.manifest, recipe: 'forged' })), publicKey, Buffer.from(a.signature, 'base64'))).toBe(false);
  });

  it('reads a device state once per change and shares one object among devices in the same state', async () => {
    const service = sut.app.get(DesiredStateService);
    const [a, b] = [await enroll(sut, token), await enroll(sut, token)];
    await assign(a, 1);
    await assign(b, 1);
    const first = await service.forDevice(a.deviceId);
    // The same state read again, and another device's equal state, are the same object: one copy of the manifest.
    expect(await service.forDevice(a.deviceId)).toBe(first);
    expect(await service.forDevice(b.deviceId)).toBe(first);
    // A change through the API is seen at once, by the device it concerns only.
    await assign(a, 2);
    expect((await service.forDevice(a.deviceId)).assignment!.version.number).toBe(2);
    expect((await service.forDevice(b.deviceId)).assignment!.version.number).toBe(1);
  });

  it('long-polls: ?wait resolves early when the assignment changes meanwhile', async () => {
    const d = await enroll(sut, token);
    await assign(d, 1);
    const etag = (await desired(d).expect(200)).headers.etag!;
    const started = Date.now();
    const pending = desired(d, { 'if-none-match': etag }, '?wait=5').then((r) => r);
    await sleep(300);
    await assign(d, 2);
    const res = await pending;
    expect(res.status).toBe(200);
    expect(Date.now() - started).toBeLessThan(2_000);
    expect(res.body.assignment.variant.id).toBe(variant2);
  });

  it('long-polls: a change made through another API instance wakes the poll too (Redis pub/sub)', async () => {
    const { app: other } = await createApp(sut.config, pino({ level: 'silent' }));
    await other.init();
    try {
      const d = await enroll(sut, token);
      const etag = (await desired(d).expect(200)).headers.etag!;
      const started = Date.now();
      const pending = desired(d, { 'if-none-match': etag }, '?wait=5').then((r) => r);
      await sleep(300);
      await supertest(other.getHttpServer()).put(`/api/devices/${d.deviceId}/assignment`).set('authorization', `Bearer ${sut.apiKey}`).send({ modelId: v1.modelId, version: 1 }).expect(200);
      const res = await pending;
      expect(res.status).toBe(200);
      expect(Date.now() - started).toBeLessThan(2_000);
      expect(res.body.assignment.variant.id).toBe(variant1);
    } finally {
      await other.close();
    }
  });

  it('long-polls: answers 304 once the wait is over without a change', async () => {
    const d = await enroll(sut, token);
    const etag = (await desired(d).expect(200)).headers.etag!;
    const started = Date.now();
    await desired(d, { 'if-none-match': etag }, '?wait=1').expect(304);
    expect(Date.now() - started).toBeGreaterThanOrEqual(950);
    expect((await desired(d, {}, '?wait=61').expect(400)).body.error).toBe('request/validation_failed');
  });

  it('downloads the assigned artifact with Range and ETag; another device gets 403', async () => {
    const a = await enroll(sut, token);
    const b = await enroll(sut, token);
    await assign(a, 1);
    await assign(b, 2);
    const full = await sut.http.get(`/api/device/artifacts/${variant1}`).set('authorization', a.auth).buffer(true).parse(binary).expect(200);
    expect(Buffer.compare(full.body as Buffer, lenet)).toBe(0);
    const part = await sut.http.get(`/api/device/artifacts/${variant1}`).set({ authorization: a.auth, range: 'bytes=100-199' }).buffer(true).parse(binary).expect(206);
    expect(Buffer.compare(part.body as Buffer, lenet.subarray(100, 200))).toBe(0);
    expect(part.headers['content-range']).toBe(`bytes 100-199/${lenet.length}`);
    await sut.http.get(`/api/device/artifacts/${variant1}`).set({ authorization: a.auth, 'if-none-match': full.headers.etag! }).expect(304);

    expect((await sut.http.get(`/api/device/artifacts/${variant2}`).set('authorization', a.auth).expect(403)).body.error).toBe('device/forbidden');
    expect((await sut.http.get(`/api/device/artifacts/${variant1}`).set('authorization', b.auth).expect(403)).body.error).toBe('device/forbidden');
  });

  it('refuses missing, malformed, wrong and revoked credentials with 401', async () => {
    const d = await enroll(sut, token);
    const other = await enroll(sut, token);
    expect((await sut.http.get('/api/device/desired').expect(401)).body.error).toBe('device/unauthorized');
    expect((await sut.http.get('/api/device/desired').set('authorization', 'Bearer nonsense').expect(401)).body.error).toBe('device/unauthorized');
    expect((await sut.http.get('/api/device/desired').set('authorization', `Bearer ${d.deviceId}.${other.secret}`).expect(401)).body.error).toBe('device/unauthorized');
    await sut.http.post(`/api/devices/${d.deviceId}/revoke`).expect(200);
    expect((await desired(d).expect(401)).body.error).toBe('device/revoked');
    expect((await sut.http.post('/api/device/heartbeat').set('authorization', d.auth).send({ health: 'ok' }).expect(401)).body.error).toBe('device/revoked');
  });

  it('heartbeats: online with health and running state, offline after DEVICE_OFFLINE_AFTER_S', async () => {
    const d = await enroll(sut, token);
    await assign(d, 1);
    const running = { v: 1, versionId: v1.versionId, variantId: variant1, sha256: (await sut.db.artifact.findFirstOrThrow()).sha256 };
    const hb = (await sut.http.post('/api/device/heartbeat').set('authorization', d.auth).send({ health: 'degraded', running, counters: { inferences: 10 } }).expect(200)).body;
    expect(hb).toEqual({ v: 1, desiredEtag: (await desired(d).expect(200)).body.etag });
    const dev = (await sut.http.get(`/api/devices/${d.deviceId}`).expect(200)).body;
    expect(dev).toMatchObject({ status: 'online', health: 'degraded', running });
    expect((await sut.http.post('/api/device/heartbeat').set('authorization', d.auth).send({ health: 'sleepy' }).expect(400)).body.error).toBe('request/validation_failed');
    await sleep(1_100);
    expect((await sut.http.get(`/api/devices/${d.deviceId}`).expect(200)).body.status).toBe('offline');
  });

  it('merges telemetry batches per minute and answers count, error rate and p50/p95 per bucket', async () => {
    const a = await enroll(sut, token);
    const b = await enroll(sut, token);
    const minute = new Date(Math.floor(Date.now() / 60_000) * 60_000).toISOString();
    const h = (i: number, n: number) => Array.from({ length: 11 }, (_, j) => (j === i ? n : 0));
    const post = (d: Enrolled, buckets: object[]) => sut.http.post('/api/device/telemetry').set('authorization', d.auth).send({ buckets });
    // 100 samples in (5, 10] ms from two batches of device a, and 100 in (20, 50] from device b.
    expect((await post(a, [{ versionId: v1.versionId, bucketStart: minute, count: 60, errors: 3, histogram: h(3, 60) }]).expect(202)).body).toEqual({ accepted: 1 });
    await post(a, [{ versionId: v1.versionId, bucketStart: minute, count: 40, errors: 2, histogram: h(3, 40) }]).expect(202);
    await post(b, [{ versionId: v1.versionId, bucketStart: minute, count: 100, errors: 5, histogram: h(5, 100) }]).expect(202);
    const row = await sut.db.telemetryBucket.findFirstOrThrow({ where: { deviceId: a.deviceId } });
    expect(row).toMatchObject({ count: 100, errors: 5, histogram: h(3, 100) });

    const res = (await sut.http.get(`/api/models/${v1.modelId}/versions/1/telemetry?window=10m&bucket=5m`).expect(200)).body;
    const t = VersionTelemetryDto.parse(res);
    expect(t.totals).toMatchObject({ count: 200, errors: 10, errorRate: 0.05 });
    // p50 at the top of (5, 10]; p95 = 20 + 30 × 90/100 inside (20, 50].
    expect(t.totals.p50Ms).toBe(10);
    expect(t.totals.p95Ms).toBe(47);
    const point = t.points.find((p) => p.count > 0)!;
    expect(point).toMatchObject({ count: 200, errors: 10, errorRate: 0.05, p50Ms: 10, p95Ms: 47 });
    expect(t.points.filter((p) => p.count === 0).every((p) => p.errorRate === null && p.p50Ms === null)).toBe(true);

    const bad = { versionId: v1.versionId, bucketStart: minute, count: 1, errors: 0, histogram: h(0, 1) };
    expect((await post(a, [{ ...bad, histogram: [1, 2] }]).expect(400)).body.error).toBe('request/validation_failed');
    expect((await post(a, [{ ...bad, bucketStart: new Date(Date.parse(minute) + 1500).toISOString() }]).expect(400)).body.error).toBe('request/validation_failed');
    expect((await post(a, [{ ...bad, errors: 2 }]).expect(400)).body.error).toBe('request/validation_failed');
    expect((await post(a, Array.from({ length: 1001 }, () => bad)).expect(400)).body.error).toBe('request/validation_failed');
    expect((await post(a, [{ ...bad, versionId: '00000000-0000-4000-8000-000000000000' }]).expect(404)).body.error).toBe('version/not_found');
    expect((await sut.http.get(`/api/models/${v1.modelId}/versions/1/telemetry?window=7d&bucket=1m`).expect(400)).body.error).toBe('request/validation_failed');
    expect((await sut.http.get(`/api/models/${v1.modelId}/versions/9/telemetry`).expect(404)).body.error).toBe('version/not_found');
  });

  it("answers one device's telemetry across versions (or one), and last-hour stats in the device list", async () => {
    const a = await enroll(sut, token, {}, 'tele-a');
    const b = await enroll(sut, token, {}, 'tele-b');
    const idle = await enroll(sut, token, {}, 'tele-idle');
    const minute = new Date(Math.floor(Date.now() / 60_000) * 60_000).toISOString();
    const h = (i: number, n: number) => Array.from({ length: 11 }, (_, j) => (j === i ? n : 0));
    const post = (d: Enrolled, buckets: object[]) => sut.http.post('/api/device/telemetry').set('authorization', d.auth).send({ buckets }).expect(202);
    // a: 100 fast samples on v1 (5% errors) and 100 slow ones on v2 (no errors); b: 100 in (20, 50] on v1, 20% errors.
    await post(a, [
      { versionId: v1.versionId, bucketStart: minute, count: 100, errors: 5, histogram: h(3, 100) },
      { versionId: v2.versionId, bucketStart: minute, count: 100, errors: 0, histogram: h(5, 100) },
    ]);
    await post(b, [{ versionId: v1.versionId, bucketStart: minute, count: 100, errors: 20, histogram: h(5, 100) }]);
    const items = [{ versionId: v1.versionId, predictionId: 'x1', predicted: 1, label: 1 }, { versionId: v1.versionId, predictionId: 'x2', predicted: 1, label: 2 }];
    await sut.http.post('/api/device/feedback').set('authorization', b.auth).send({ items }).expect(202);

    const get = async (id: string, query = '') => DeviceTelemetryDto.parse((await sut.http.get(`/api/devices/${id}/telemetry?window=10m&bucket=5m${query}`).expect(200)).body);
    const ta = await get(a.deviceId);
    expect(ta).toMatchObject({ deviceId: a.deviceId, versionId: null, bucketS: 300 });
    expect(ta.totals).toMatchObject({ count: 200, errors: 5, errorRate: 0.025, p50Ms: 10, labelled: 0, accuracy: null });
    expect(ta.points.find((p) => p.count > 0)).toMatchObject({ count: 200, errors: 5 });
    expect((await get(a.deviceId, `&versionId=${v1.versionId}`)).totals).toMatchObject({ count: 100, errors: 5, errorRate: 0.05, p50Ms: 7.5, p95Ms: 9.75 });
    const tb = await get(b.deviceId);
    // p95 = 20 + 30 × 95/100 inside (20, 50]; feedback is the device's own.
    expect(tb.totals).toMatchObject({ count: 100, errors: 20, errorRate: 0.2, p95Ms: 48.5, labelled: 2, accuracy: 0.5 });
    expect((await get(idle.deviceId)).totals).toMatchObject({ count: 0, errorRate: null, p95Ms: null });

    const list = (await sut.http.get('/api/devices?limit=100').expect(200)).body.items.map((d: unknown) => DeviceDto.parse(d));
    const stats = (id: string) => list.find((d: DeviceDto) => d.id === id)?.stats;
    expect(stats(a.deviceId)).toEqual({ window: '1h', requests: 200, errorRate: 0.025, p95Ms: ta.totals.p95Ms });
    expect(stats(b.deviceId)).toEqual({ window: '1h', requests: 100, errorRate: 0.2, p95Ms: 48.5 });
    expect(stats(idle.deviceId)).toBeNull();

    const unknown = '00000000-0000-4000-8000-000000000000';
    expect((await sut.http.get(`/api/devices/${unknown}/telemetry`).expect(404)).body.error).toBe('device/not_found');
    const other = await sut.as('admin', await sut.createOrg());
    expect((await other.get(`/api/devices/${a.deviceId}/telemetry`).expect(404)).body.error).toBe('device/not_found');
    expect((await sut.http.get(`/api/devices/${a.deviceId}/telemetry?window=7d&bucket=1m`).expect(400)).body.error).toBe('request/validation_failed');
    expect((await sut.http.get(`/api/devices/${a.deviceId}/telemetry?versionId=nope`).expect(400)).body.error).toBe('request/validation_failed');
  });

  it('takes feedback and reports field accuracy', async () => {
    const d = await enroll(sut, token);
    const items = Array.from({ length: 10 }, (_, i) => ({ versionId: v2.versionId, predictionId: `p${i}`, predicted: i % 10, label: i < 8 ? i % 10 : 0 }));
    expect((await sut.http.post('/api/device/feedback').set('authorization', d.auth).send({ items }).expect(202)).body).toEqual({ accepted: 10 });
    const t = (await sut.http.get(`/api/models/${v2.modelId}/versions/2/telemetry?window=1h&bucket=1h`).expect(200)).body;
    expect(t.totals).toMatchObject({ labelled: 10, accuracy: 0.8 });
    const tooMany = Array.from({ length: 1001 }, (_, i) => ({ ...items[0], predictionId: `q${i}` }));
    expect((await sut.http.post('/api/device/feedback').set('authorization', d.auth).send({ items: tooMany }).expect(400)).body.error).toBe('request/validation_failed');
  });

  describe('/devices socket', () => {
    const sockets: Socket[] = [];
    const connect = (auth: object) => {
      const s = io(`${url}/devices`, { auth, transports: ['websocket'], reconnection: false, forceNew: true });
      sockets.push(s);
      return s;
    };
    afterAll(() => sockets.forEach((s) => s.close()));

    it('pushes desired.changed with the new etag on assignment', async () => {
      const d = await enroll(sut, token);
      const socket = connect({ token: `${d.deviceId}.${d.secret}` });
      await new Promise<void>((resolve, reject) => {
        socket.on('connect', resolve);
        socket.on('connect_error', reject);
      });
      const event = new Promise<DesiredChangedEvent>((resolve) => socket.on('desired.changed', resolve));
      await assign(d, 2);
      const got = await event;
      expect(got).toEqual({ v: 1, etag: (await desired(d).expect(200)).body.etag });
    });

    it('rejects a bad token with connect_error and a code', async () => {
      const d = await enroll(sut, token);
      for (const auth of [{ token: `${d.deviceId}.eds_wrong` }, {}]) {
        const err = await new Promise<Error & { data?: { code?: string } }>((resolve) => connect(auth).on('connect_error', resolve));
        expect(err.data?.code).toBe('device/unauthorized');
      }
    });
  });
});
