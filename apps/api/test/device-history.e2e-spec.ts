import { randomUUID } from 'node:crypto';
import fs from 'node:fs/promises';
import { DeviceHistoryItem, pageOf } from '@edgefleet/contracts';
import { recordDeviceEvents } from '@edgefleet/rollouts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createToken, createVersion, enroll, type Enrolled, LENET } from './device-fixtures.js';
import { createTestApp, type TestApp } from './test-app.js';

const HistoryPage = pageOf(DeviceHistoryItem);

describe('device history', () => {
  let sut: TestApp;
  let d: Enrolled;
  let token: { id: string; token: string };
  let v1: Awaited<ReturnType<typeof createVersion>>;
  let v2: { versionId: string; number: number };

  const history = async (query = '') => HistoryPage.parse((await sut.http.get(`/api/devices/${d.deviceId}/history${query}`).expect(200)).body);
  const heartbeat = (body: object) => sut.http.post('/api/device/heartbeat').set('authorization', d.auth).send(body).expect(200);
  const running = (versionId: string) => ({ v: 1, versionId, variantId: randomUUID(), sha256: 'a'.repeat(64) });

  beforeAll(async () => {
    sut = await createTestApp({ AUTO_PIPELINES: 'false' });
    token = await createToken(sut, { name: 'line-7' });
    d = await enroll(sut, token.token, {}, 'cam-1');
    v1 = await createVersion(sut, 'history-model');
    const second = (await sut.http.post(`/api/models/${v1.modelId}/versions`).attach('file', await fs.readFile(LENET), 'model.onnx').expect(201)).body;
    v2 = { versionId: second.id, number: second.number };
  });
  afterAll(async () => {
    await sut?.close();
  });

  it('records what happened to the device, newest first, with who did it and which versions', async () => {
    const operator = await sut.as('operator');
    await operator.put(`/api/devices/${d.deviceId}/assignment`).send({ modelId: v1.modelId, version: 1 }).expect(200);
    await heartbeat({ health: 'ok', running: running(v1.versionId) });
    await heartbeat({ health: 'ok', running: running(v1.versionId) }); // steady: no event
    await heartbeat({ health: 'ok' }); // running omitted: left as it was, no event
    await sut.http.put(`/api/devices/${d.deviceId}/assignment`).send({ modelId: v1.modelId, version: 2, assignedBy: 'ci' }).expect(200);
    await heartbeat({ health: 'failing', running: running(v1.versionId), error: { code: 'install_failed', message: 'sha mismatch', versionId: v2.versionId } });
    await heartbeat({ health: 'failing', error: { code: 'install_failed', message: 'sha mismatch', versionId: v2.versionId } }); // same error: no event
    await heartbeat({ health: 'ok', running: running(v2.versionId) });
    await heartbeat({ health: 'ok', running: running(v2.versionId) });
    await sut.http.patch(`/api/devices/${d.deviceId}`).send({ name: 'cam-1b', tags: ['line:7'] }).expect(200);
    await sut.http.patch(`/api/devices/${d.deviceId}`).send({ name: 'cam-1b' }).expect(200); // no change: no event
    await operator.delete(`/api/devices/${d.deviceId}/assignment`).expect(204);
    await operator.delete(`/api/devices/${d.deviceId}/assignment`).expect(204); // nothing to remove: no event
    await sut.http.post(`/api/devices/${d.deviceId}/revoke`).expect(200);
    await sut.http.post(`/api/devices/${d.deviceId}/revoke`).expect(200);

    const page = await history();
    const ver = (v: { versionId: string; number: number }) => ({ id: v.versionId, number: v.number, modelId: v1.modelId, modelName: 'history-model' });
    expect(page.items.map((i) => i.kind)).toEqual([
      'revoked',
      'unassigned',
      'updated',
      'recovered',
      'running.changed',
      'error.reported',
      'assigned',
      'running.changed',
      'assigned',
      'enrolled',
    ]);
    expect(page.total).toBe(10);
    const [revoked, unassigned, updated, recovered, installed, failed, reassigned, firstRun, assigned, enrolled] = page.items;
    expect(revoked).toMatchObject({ source: 'device', actor: 'test admin' });
    expect(unassigned).toMatchObject({ actor: 'test operator', version: null, fromVersion: ver(v2) });
    expect(updated).toMatchObject({ actor: 'test admin', data: { changes: { name: { from: 'cam-1', to: 'cam-1b' }, tags: { from: [], to: ['line:7'] } } } });
    expect(recovered).toMatchObject({ actor: 'device', data: { from: 'failing' } });
    expect(installed).toMatchObject({ actor: 'device', version: ver(v2), fromVersion: ver(v1) });
    expect(failed).toMatchObject({ actor: 'device', message: 'sha mismatch', version: ver(v2), data: { health: 'failing', code: 'install_failed' } });
    expect(reassigned).toMatchObject({ actor: 'test admin', version: ver(v2), fromVersion: ver(v1), data: { assignedBy: 'ci' } });
    expect(firstRun).toMatchObject({ actor: 'device', version: ver(v1), fromVersion: null });
    expect(assigned).toMatchObject({ actor: 'test operator', version: ver(v1), fromVersion: null });
    expect(enrolled).toMatchObject({ actor: 'device', data: { tokenId: token.id, tokenName: 'line-7', profile: expect.any(String) } });
    const times = page.items.map((i) => Date.parse(i.at));
    expect(times).toEqual([...times].sort((a, b) => b - a));
    expect(new Set(page.items.map((i) => i.id)).size).toBe(10);

    // Pages partition the same list, each with the total.
    const first = await history('?limit=4');
    const second = await history('?limit=4&offset=4');
    const beyond = await history('?limit=4&offset=40');
    expect([first, second, beyond].map((p) => [p.total, p.limit, p.offset, p.items.length])).toEqual([
      [10, 4, 0, 4],
      [10, 4, 4, 4],
      [10, 4, 40, 0],
    ]);
    expect([...first.items, ...second.items].map((i) => i.id)).toEqual(page.items.slice(0, 8).map((i) => i.id));
    expect((await sut.http.get(`/api/devices/${d.deviceId}/history?limit=0`).expect(400)).body.error).toBe('request/validation_failed');
  });

  it("merges the device's rollout transitions, without copying them", async () => {
    const rollout = await sut.db.rollout.create({
      data: { orgId: (await sut.db.device.findUniqueOrThrow({ where: { id: d.deviceId } })).orgId, versionId: v2.versionId, target: {}, strategy: {}, gates: {}, status: 'completed' },
    });
    // As the rollout controller records them (packages/rollouts), including one of another device.
    await recordDeviceEvents(sut.db, rollout.id, 'system', [{ deviceId: d.deviceId, from: 'pending', to: 'assigned' }]);
    const other = await enroll(sut, token.token);
    await recordDeviceEvents(sut.db, rollout.id, 'system', [{ deviceId: other.deviceId, from: 'pending', to: 'skipped' }]);

    const page = await history('?limit=2');
    expect(page.total).toBe(11);
    expect(page.items[0]).toMatchObject({
      source: 'rollout',
      kind: 'device',
      rolloutId: rollout.id,
      actor: 'system',
      from: 'pending',
      to: 'assigned',
      version: { id: v2.versionId, number: v2.number, modelName: 'history-model' },
    });
    expect(page.items[0]!.id).toMatch(/^r\d+$/);
    expect(page.items[1]).toMatchObject({ source: 'device', kind: 'revoked' });
    expect(await sut.db.deviceEvent.count({ where: { deviceId: d.deviceId } })).toBe(10);
  });

  it("answers another organisation's device, and an unknown one, with 404", async () => {
    const otherOrg = await sut.createOrg('history-other');
    const outsider = await sut.as('admin', otherOrg);
    expect((await outsider.get(`/api/devices/${d.deviceId}/history`).expect(404)).body.error).toBe('device/not_found');
    expect((await sut.http.get(`/api/devices/${randomUUID()}/history`).expect(404)).body.error).toBe('device/not_found');
    const viewer = await sut.as('viewer');
    expect((await viewer.get(`/api/devices/${d.deviceId}/history`).expect(200)).body.total).toBe(11);
  });

  it('records a bulk assignment on every device it reached, with the version each one had', async () => {
    const t = await createToken(sut, { group: 'bulk-history' });
    const [a, b] = [await enroll(sut, t.token), await enroll(sut, t.token)];
    await sut.http.put(`/api/devices/${a.deviceId}/assignment`).send({ modelId: v1.modelId, version: 1 }).expect(200);
    await sut.http.post('/api/assignments').send({ modelId: v1.modelId, version: 2, target: { group: 'bulk-history' } }).expect(200);
    const latest = async (id: string) => HistoryPage.parse((await sut.http.get(`/api/devices/${id}/history?limit=1`).expect(200)).body).items[0];
    expect(await latest(a.deviceId)).toMatchObject({ kind: 'assigned', actor: 'test admin', version: { id: v2.versionId }, fromVersion: { id: v1.versionId } });
    expect(await latest(b.deviceId)).toMatchObject({ kind: 'assigned', version: { id: v2.versionId }, fromVersion: null });
  });

  it("never shows another organisation's version that a device claims to run", async () => {
    const otherOrg = await sut.createOrg('history-versions');
    const outsider = await sut.as('admin', otherOrg);
    const model = (await outsider.post('/api/models').send({ name: 'secret-model', task: 'image-classification' }).expect(201)).body;
    const foreign = (await outsider.post(`/api/models/${model.id}/versions`).attach('file', await fs.readFile(LENET), 'model.onnx').expect(201)).body;
    const t = await createToken(sut);
    d = await enroll(sut, t.token);
    await heartbeat({ health: 'ok', running: running(foreign.id) });
    const [event] = (await history('?limit=1')).items;
    expect(event).toMatchObject({ kind: 'running.changed', version: null });
    expect(JSON.stringify(event)).not.toContain('secret-model');
  });
});
