import { createHash } from 'node:crypto';
import { DeviceDto, type DeviceFacts, EnrollmentTokenDto } from '@edgefleet/contracts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createToken, createVersion, enroll, factsFor } from './device-fixtures.js';
import { createTestApp, type TestApp } from './test-app.js';

const MISSING = '00000000-0000-4000-8000-000000000000';
const sha256 = (s: string) => createHash('sha256').update(s).digest('hex');

describe('devices API (operator side)', () => {
  let sut: TestApp;

  beforeAll(async () => {
    sut = await createTestApp({ AUTO_PIPELINES: 'false' });
  });
  afterAll(async () => {
    await sut?.close();
  });

  describe('enrollment tokens', () => {
    it('creates a token shown once, stores only its sha256, lists without secrets and revokes', async () => {
      const created = (await sut.http.post('/api/enrollment-tokens').send({ name: 'plant-a', group: 'plant-a', tags: ['line:1', 'line:1'], maxUses: 5, expiresInS: 3600 }).expect(201)).body;
      expect(created.token).toMatch(/^eft_[A-Za-z0-9_-]{43}$/);
      expect(created).toMatchObject({ name: 'plant-a', group: 'plant-a', tags: ['line:1'], maxUses: 5, uses: 0, revokedAt: null });
      const row = await sut.db.enrollmentToken.findUniqueOrThrow({ where: { id: created.id } });
      expect(row.tokenHash).toBe(sha256(created.token));
      expect(JSON.stringify(row)).not.toContain(created.token);

      const page = (await sut.http.get('/api/enrollment-tokens').expect(200)).body;
      const listed = page.items.find((t: { id: string }) => t.id === created.id);
      expect(EnrollmentTokenDto.strict().parse(listed)).not.toHaveProperty('token');
      expect(JSON.stringify(page)).not.toContain(created.token);

      await sut.http.delete(`/api/enrollment-tokens/${created.id}`).expect(204);
      await sut.http.delete(`/api/enrollment-tokens/${created.id}`).expect(204);
      const after = (await sut.http.get('/api/enrollment-tokens').expect(200)).body.items.find((t: { id: string }) => t.id === created.id);
      expect(after.revokedAt).toBeTruthy();
      expect((await sut.http.delete(`/api/enrollment-tokens/${MISSING}`).expect(404)).body.error).toBe('enrollment_token/not_found');
      expect((await sut.http.delete('/api/enrollment-tokens/nope').expect(404)).body.error).toBe('enrollment_token/not_found');
    });

    it.each([
      ['no name', {}],
      ['unknown fields', { name: 'x', secret: 'y' }],
      ['a bad group', { name: 'x', group: 'a b' }],
      ['zero uses', { name: 'x', maxUses: 0 }],
    ])('rejects %s with 400', async (_n, body) => {
      expect((await sut.http.post('/api/enrollment-tokens').send(body).expect(400)).body.error).toBe('request/validation_failed');
    });

    it('counts uses and refuses the use after maxUses, an expired, a revoked and an unknown token with 401', async () => {
      const t = await createToken(sut, { maxUses: 2 });
      await enroll(sut, t.token);
      await enroll(sut, t.token);
      expect((await sut.db.enrollmentToken.findUniqueOrThrow({ where: { id: t.id } })).uses).toBe(2);
      const body = { token: t.token, facts: factsFor() };
      expect((await sut.http.post('/api/device/enroll').send(body).expect(401)).body.error).toBe('enrollment_token/exhausted');
      expect((await sut.db.enrollmentToken.findUniqueOrThrow({ where: { id: t.id } })).uses).toBe(2);

      const expired = await createToken(sut, { expiresInS: 60 });
      await sut.db.enrollmentToken.update({ where: { id: expired.id }, data: { expiresAt: new Date(Date.now() - 1000) } });
      expect((await sut.http.post('/api/device/enroll').send({ ...body, token: expired.token }).expect(401)).body.error).toBe('enrollment_token/expired');

      const revoked = await createToken(sut);
      await sut.http.delete(`/api/enrollment-tokens/${revoked.id}`).expect(204);
      expect((await sut.http.post('/api/device/enroll').send({ ...body, token: revoked.token }).expect(401)).body.error).toBe('enrollment_token/revoked');

      expect((await sut.http.post('/api/device/enroll').send({ ...body, token: 'eft_nope' }).expect(401)).body.error).toBe('enrollment_token/invalid');
      expect((await sut.http.post('/api/device/enroll').send({ token: t.token, facts: { v: 2 } }).expect(400)).body.error).toBe('request/validation_failed');
    });

    it('never lets concurrent enrollments overrun maxUses', async () => {
      const t = await createToken(sut, { maxUses: 3 });
      const results = await Promise.all(Array.from({ length: 8 }, () => sut.http.post('/api/device/enroll').send({ token: t.token, facts: factsFor() })));
      expect(results.filter((r) => r.status === 201)).toHaveLength(3);
      expect(results.filter((r) => r.status === 401).every((r) => r.body.error === 'enrollment_token/exhausted')).toBe(true);
      expect((await sut.db.enrollmentToken.findUniqueOrThrow({ where: { id: t.id } })).uses).toBe(3);
    });
  });

  describe('devices', () => {
    it('shows the secret once, stores only its sha256, and takes group and tags from the token', async () => {
      const t = await createToken(sut, { group: 'store-7', tags: ['pos'] });
      const res = await sut.http.post('/api/device/enroll').send({ token: t.token, name: 'till-1', facts: factsFor() }).expect(201);
      expect(res.body.secret).toMatch(/^eds_[A-Za-z0-9_-]{43}$/);
      expect(res.body.platformKey).toEqual((await sut.http.get('/api/keys/artifact-signing').expect(200)).body);
      const row = await sut.db.device.findUniqueOrThrow({ where: { id: res.body.deviceId } });
      expect(row.secretHash).toBe(sha256(res.body.secret));
      expect(JSON.stringify(row)).not.toContain(res.body.secret);
      const dto = DeviceDto.parse((await sut.http.get(`/api/devices/${res.body.deviceId}`).expect(200)).body);
      expect(dto).toMatchObject({ name: 'till-1', group: 'store-7', tags: ['pos'], status: 'offline', health: null, running: null, assignment: null });
      expect(JSON.stringify(dto)).not.toContain(res.body.secret);
    });

    it('auto-matches a profile from the facts, and an operator overrides it', async () => {
      const t = await createToken(sut);
      const MiB = 1024 * 1024;
      const cases: [Partial<DeviceFacts>, string][] = [
        [{ arch: 'aarch64' }, 'arm64-cpu-int8'],
        [{ arch: 'x86_64', accelerators: [{ kind: 'gpu', name: 'T4' }] }, 'gpu-fp16'],
        [{ arch: 'armv7m', ramBytes: 2 * MiB }, 'mcu-int8'],
      ];
      for (const [facts, slug] of cases) {
        const d = await enroll(sut, t.token, facts);
        expect((await sut.http.get(`/api/devices/${d.deviceId}`).expect(200)).body.profile.slug).toBe(slug);
      }
      const x86 = await enroll(sut, t.token, { arch: 'x86_64' });
      const fallback = (await sut.http.get(`/api/devices/${x86.deviceId}`).expect(200)).body.profile;
      const profile = (await sut.http.get(`/api/profiles/${fallback.id}`).expect(200)).body;
      expect(profile.precisions).toContain('fp32');

      const patched = (await sut.http.patch(`/api/devices/${x86.deviceId}`).send({ profile: 'gpu-fp16', name: 'renamed', group: 'lab', tags: ['a', 'b'] }).expect(200)).body;
      expect(patched).toMatchObject({ name: 'renamed', group: 'lab', tags: ['a', 'b'], profile: { slug: 'gpu-fp16' } });
      expect((await sut.http.patch(`/api/devices/${x86.deviceId}`).send({ profile: null }).expect(200)).body.profile).toBeNull();
      expect((await sut.http.patch(`/api/devices/${x86.deviceId}`).send({ profile: 'no-such' }).expect(404)).body.error).toBe('profile/not_found');
      expect((await sut.http.patch(`/api/devices/${x86.deviceId}`).send({}).expect(400)).body.error).toBe('request/validation_failed');
      expect((await sut.http.patch(`/api/devices/${MISSING}`).send({ name: 'x' }).expect(404)).body.error).toBe('device/not_found');
      expect((await sut.http.get('/api/devices/not-a-uuid').expect(404)).body.error).toBe('device/not_found');
    });

    it('lists with group, tag, profile and status filters and pagination', async () => {
      const t = await createToken(sut, { group: 'filters', tags: ['cam'] });
      const a = await enroll(sut, t.token, { arch: 'aarch64' });
      const b = await enroll(sut, t.token, { arch: 'x86_64', accelerators: [{ kind: 'gpu', name: 'T4' }] });
      await sut.http.patch(`/api/devices/${b.deviceId}`).send({ tags: ['cam', 'outdoor'] }).expect(200);
      await sut.db.device.update({ where: { id: a.deviceId }, data: { lastSeenAt: new Date() } });

      const ids = async (query: string) => (await sut.http.get(`/api/devices?group=filters&${query}`).expect(200)).body.items.map((d: { id: string }) => d.id).sort();
      expect(await ids('')).toEqual([a.deviceId, b.deviceId].sort());
      expect(await ids('tag=outdoor')).toEqual([b.deviceId]);
      expect(await ids('profile=arm64-cpu-int8')).toEqual([a.deviceId]);
      expect(await ids('status=online')).toEqual([a.deviceId]);
      expect(await ids('status=offline')).toEqual([b.deviceId]);
      const page = (await sut.http.get('/api/devices?group=filters&limit=1&offset=1').expect(200)).body;
      expect(page).toMatchObject({ total: 2, limit: 1, offset: 1 });
      expect(page.items).toHaveLength(1);
      expect((await sut.http.get('/api/devices?status=sleeping').expect(400)).body.error).toBe('request/validation_failed');
    });

    it('assigns a version to one device, and in bulk by ids, group and tags (revoked devices excluded)', async () => {
      const { modelId, versionId } = await createVersion(sut, 'assign-model');
      const t = await createToken(sut, { group: 'bulk', tags: ['edge'] });
      const [d1, d2, d3] = [await enroll(sut, t.token), await enroll(sut, t.token), await enroll(sut, t.token)];
      await sut.http.patch(`/api/devices/${d3!.deviceId}`).send({ tags: ['edge', 'beta'] }).expect(200);

      const one = (await sut.http.put(`/api/devices/${d1!.deviceId}/assignment`).send({ modelId, version: 1, assignedBy: 'ops' }).expect(200)).body;
      expect(one.assignment).toEqual({ modelId, versionId, versionNumber: 1, source: 'manual', assignedBy: 'ops' });

      expect((await sut.http.post('/api/assignments').send({ modelId, version: 'latest', target: { group: 'bulk' } }).expect(200)).body).toEqual({ assigned: 3, versionId });
      expect((await sut.http.post('/api/assignments').send({ modelId, version: '1', target: { tags: ['edge', 'beta'] } }).expect(200)).body.assigned).toBe(1);
      expect((await sut.http.post('/api/assignments').send({ modelId, version: 1, target: { group: 'bulk', deviceIds: [d1!.deviceId, MISSING] } }).expect(200)).body.assigned).toBe(1);
      await sut.http.post(`/api/devices/${d2!.deviceId}/revoke`).expect(200);
      expect((await sut.http.post('/api/assignments').send({ modelId, version: 1, target: { group: 'bulk' } }).expect(200)).body.assigned).toBe(2);
      expect((await sut.http.post('/api/assignments').send({ modelId, version: 1, target: { group: 'nobody' } }).expect(200)).body.assigned).toBe(0);
      expect(await sut.db.deviceAssignment.count({ where: { versionId } })).toBe(3);

      expect((await sut.http.post('/api/assignments').send({ modelId, version: 1, target: {} }).expect(400)).body.error).toBe('request/validation_failed');
      expect((await sut.http.post('/api/assignments').send({ modelId: MISSING, version: 1, target: { group: 'bulk' } }).expect(404)).body.error).toBe('model/not_found');
      expect((await sut.http.put(`/api/devices/${d1!.deviceId}/assignment`).send({ modelId, version: 9 }).expect(404)).body.error).toBe('version/not_found');
      expect((await sut.http.put(`/api/devices/${MISSING}/assignment`).send({ modelId, version: 1 }).expect(404)).body.error).toBe('device/not_found');

      await sut.http.delete(`/api/devices/${d1!.deviceId}/assignment`).expect(204);
      expect((await sut.http.get(`/api/devices/${d1!.deviceId}`).expect(200)).body.assignment).toBeNull();
    });

    it('revokes a device: status revoked, listed under status=revoked', async () => {
      const t = await createToken(sut, { group: 'revoke' });
      const d = await enroll(sut, t.token);
      const res = (await sut.http.post(`/api/devices/${d.deviceId}/revoke`).expect(200)).body;
      expect(res.status).toBe('revoked');
      expect(res.revokedAt).toBeTruthy();
      expect((await sut.http.get('/api/devices?group=revoke&status=revoked').expect(200)).body.total).toBe(1);
      expect((await sut.http.post(`/api/devices/${MISSING}/revoke`).expect(404)).body.error).toBe('device/not_found');
    });
  });
});
