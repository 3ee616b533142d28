import { DesiredState, RolloutDto } from '@edgefleet/contracts';
import { setShadow, noEffects } from '@edgefleet/rollouts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createToken, enroll } from './device-fixtures.js';
import {
  createWorld,
  getRollout,
  rolloutDevices,
  rolloutEvents,
  startRollout,
  startWorker,
  waitFor,
  type World,
  type WorkerProcess,
} from './rollouts.fixtures.js';
import { createTestApp, type TestApp } from './test-app.js';
import { DesiredNotifier } from '../src/devices/desired-notifier.service.js';

/** Gates a wave passes without telemetry: health only (a rollout with nothing to judge completes right after the switch). */
const HEALTH_ONLY = { errorRate: null, latencyP95: null };

describe('rollouts API', () => {
  let sut: TestApp;
  let worker: WorkerProcess;

  beforeAll(async () => {
    sut = await createTestApp({ AUTO_PIPELINES: 'false' });
  });
  afterAll(async () => {
    await worker?.kill();
    await sut?.close();
  });

  const desiredOf = async (auth: string) =>
    DesiredState.parse((await sut.http.get('/api/device/desired').set('authorization', auth).expect(200)).body);
  const create = (body: object) => sut.http.post('/api/rollouts').send(body);

  describe('create', () => {
    let w: World;
    beforeAll(async () => {
      w = await createWorld(sut, 4, 'create');
    });

    it('plans waves over the eligible devices and lists the others as skipped with the reason', async () => {
      const { token } = await createToken(sut, { group: w.group });
      // a GPU device matches gpu-fp16, for which v2 has no variant; another has its profile removed
      const gpu = await enroll(sut, token, { accelerators: [{ kind: 'gpu', name: 'Jetson' }] }, 'gpu-box');
      const bare = await enroll(sut, token, {}, 'no-profile');
      await sut.http.patch(`/api/devices/${bare.deviceId}`).send({ profile: null }).expect(200);
      try {
        const res = await create({
          modelId: w.modelId,
          version: 2,
          target: { group: w.group },
          strategy: { kind: 'canary', waves: [25, 50, 100], bakeTimeS: 0 },
          createdBy: 'ops@example.com',
          note: 'v2 to the line',
        }).expect(201);
        const r = RolloutDto.parse(res.body);
        expect(r).toMatchObject({
          status: 'running',
          currentWave: 0,
          createdBy: 'ops@example.com',
          note: 'v2 to the line',
          version: { id: w.v2, number: 2 },
          model: { id: w.modelId },
        });
        expect(r.waves.map((x) => [x.percent, x.devices, x.phase])).toEqual([
          [25, 1, 'pending'],
          [50, 1, 'pending'],
          [100, 2, 'pending'],
        ]);
        expect(r.counts).toMatchObject({ pending: 4, skipped: 2, assigned: 0 });
        const skipped = await rolloutDevices(sut, r.id, { state: 'skipped' });
        expect(Object.fromEntries(skipped.map((s) => [s.deviceId, s.skipReason]))).toEqual({
          [gpu.deviceId]: expect.stringMatching(/no recommended variant of v2 for profile gpu-fp16/),
          [bare.deviceId]: 'the device has no hardware profile',
        });
        expect(skipped.every((s) => s.wave === null)).toBe(true);
        const wave2 = await rolloutDevices(sut, r.id, { wave: 2 });
        expect(wave2).toHaveLength(2);
        const events = await rolloutEvents(sut, r.id);
        expect(events.map((e) => e.kind)).toEqual(['created']);
        // only this rollout's devices are held: the skipped ones may still be assigned by hand
        await sut.http.put(`/api/devices/${gpu.deviceId}/assignment`).send({ modelId: w.modelId, version: 1 }).expect(200);
        await sut.http.post(`/api/rollouts/${r.id}/abort`).send({}).expect(200);
      } finally {
        await sut.http.post(`/api/devices/${gpu.deviceId}/revoke`).expect(200);
        await sut.http.post(`/api/devices/${bare.deviceId}/revoke`).expect(200);
      }
    });

    it('answers 422 rollout/no_devices when no targeted device can run the version', async () => {
      const none = await create({ modelId: w.modelId, version: 2, target: { group: 'nobody-here' } }).expect(422);
      expect(none.body.error).toBe('rollout/no_devices');
      const { token } = await createToken(sut, { group: 'gpus-only' });
      const gpu = await enroll(sut, token, { accelerators: [{ kind: 'gpu', name: 'Jetson' }] });
      const res = await create({ modelId: w.modelId, version: 2, target: { deviceIds: [gpu.deviceId] } }).expect(422);
      expect(res.body.error).toBe('rollout/no_devices');
      expect(res.body.details.skipped[0]).toMatchObject({ deviceId: gpu.deviceId, reason: expect.stringContaining('gpu-fp16') });
      expect(await sut.db.rollout.count({ where: { versionId: w.v2, status: 'running' } })).toBe(0);
    });

    it('answers 400 for a bad strategy, target or gates, and 404 for an unknown model or version', async () => {
      const base = { modelId: w.modelId, version: 2, target: { group: w.group } };
      for (const strategy of [
        { kind: 'canary', waves: [50, 25, 100] },
        { kind: 'canary', waves: [10, 50] },
        { kind: 'canary', waves: [] },
        { kind: 'canary', waves: [10, 100], bakeTimeS: -1 },
        { kind: 'blue-green' },
      ]) {
        const res = await create({ ...base, strategy }).expect(400);
        expect(res.body.error).toBe('request/validation_failed');
      }
      await create({ ...base, target: {} }).expect(400);
      await create({ ...base, gates: { shadow: { minAgreement: 2 } } }).expect(400);
      expect((await create({ ...base, version: 9 }).expect(404)).body.error).toBe('version/not_found');
      expect((await create({ ...base, modelId: '00000000-0000-4000-8000-000000000000' }).expect(404)).body.error).toBe('model/not_found');
    });

    it('refuses a rollout touching devices of an active one with 409 naming it, unless it supersedes it', async () => {
      const first = await startRollout(sut, w, { strategy: { kind: 'canary', waves: [50, 100], bakeTimeS: 60 } });
      const conflict = await create({ modelId: w.modelId, version: 2, target: { deviceIds: [w.devices[0]!.deviceId] } }).expect(409);
      expect(conflict.body).toMatchObject({ error: 'rollout/conflict', details: { rolloutIds: [first.id] } });
      // manual assignments of its devices are refused too, one by one or in bulk
      const manual = await sut.http
        .put(`/api/devices/${w.devices[1]!.deviceId}/assignment`)
        .send({ modelId: w.modelId, version: 2 })
        .expect(409);
      expect(manual.body).toMatchObject({ error: 'rollout/conflict', details: { rolloutIds: [first.id] } });
      expect(
        (
          await sut.http
            .post('/api/assignments')
            .send({ modelId: w.modelId, version: 2, target: { group: w.group } })
            .expect(409)
        ).body.error,
      ).toBe('rollout/conflict');
      expect((await desiredOf(w.devices[1]!.auth)).assignment?.version.number).toBe(1);

      const second = (
        await create({
          modelId: w.modelId,
          version: 2,
          target: { deviceIds: [w.devices[0]!.deviceId] },
          supersede: true,
          createdBy: 'ops',
        }).expect(201)
      ).body;
      const old = await getRollout(sut, first.id);
      expect(old).toMatchObject({ status: 'superseded', reason: `superseded by rollout ${second.id}` });
      expect(old.finishedAt).not.toBeNull();
      expect((await rolloutEvents(sut, first.id)).map((e) => e.kind)).toEqual(['created', 'superseded']);
      await sut.http.post(`/api/rollouts/${second.id}/abort`).send({ actor: 'ops' }).expect(200);
      // nothing holds the devices any more
      await sut.http.put(`/api/devices/${w.devices[1]!.deviceId}/assignment`).send({ modelId: w.modelId, version: 1 }).expect(200);
    });
  });

  it('documents the rollout and shadow endpoints in OpenAPI', async () => {
    const doc = (await sut.http.get('/api/docs/openapi.json').expect(200)).body;
    expect(Object.keys(doc.paths)).toEqual(
      expect.arrayContaining([
        '/api/rollouts',
        '/api/rollouts/{id}',
        '/api/rollouts/{id}/devices',
        '/api/rollouts/{id}/events',
        '/api/rollouts/{id}/rollback',
        '/api/device/shadow',
        '/api/device/shadow/artifacts/{variantId}',
      ]),
    );
    expect(doc.paths['/api/rollouts'].post.requestBody.content['application/json'].schema.required).toEqual(
      expect.arrayContaining(['modelId', 'version', 'target']),
    );
    expect(doc.paths['/api/rollouts'].post.responses['409']).toBeDefined();
  });

  describe('list, get, devices, events', () => {
    it('lists newest first with status and model filters; unknown ids are 404', async () => {
      const w = await createWorld(sut, 2, 'listing');
      const r = await startRollout(sut, w, { strategy: { kind: 'canary', waves: [50, 100], bakeTimeS: 60 } });
      const byModel = (await sut.http.get('/api/rollouts').query({ modelId: w.modelId }).expect(200)).body;
      expect(byModel).toMatchObject({ total: 1, items: [{ id: r.id, status: 'running' }] });
      expect((await sut.http.get('/api/rollouts').query({ modelId: w.modelId, status: 'completed' }).expect(200)).body.total).toBe(0);
      const all = (await sut.http.get('/api/rollouts').query({ limit: 1 }).expect(200)).body;
      expect(all.items[0].id).toBe(r.id);
      expect(all.total).toBeGreaterThan(1);
      await sut.http.get('/api/rollouts').query({ status: 'exploded' }).expect(400);
      expect((await sut.http.get('/api/rollouts/00000000-0000-4000-8000-000000000000').expect(404)).body.error).toBe('rollout/not_found');
      expect((await sut.http.get('/api/rollouts/not-a-uuid/events').expect(404)).body.error).toBe('rollout/not_found');

      await sut.http.post(`/api/rollouts/${r.id}/pause`).send({ actor: 'alice', reason: 'lunch' }).expect(200);
      expect((await sut.http.post(`/api/rollouts/${r.id}/pause`).send({}).expect(409)).body.error).toBe('rollout/invalid_state');
      const resumed = (await sut.http.post(`/api/rollouts/${r.id}/resume`).send({ actor: 'alice' }).expect(200)).body;
      expect(resumed.status).toBe('running');
      const events = await rolloutEvents(sut, r.id);
      expect(events.map((e) => [e.kind, e.from, e.to])).toEqual([
        ['created', null, 'running'],
        ['paused', 'running', 'paused'],
        ['resumed', 'paused', 'running'],
      ]);
      expect(events[1]).toMatchObject({ actor: 'alice', reason: 'lunch' });
      // incremental reads
      const after = (await sut.http.get(`/api/rollouts/${r.id}/events`).query({ after: events[0]!.id }).expect(200)).body;
      expect(after.items.map((e: { kind: string }) => e.kind)).toEqual(['paused', 'resumed']);
      expect((await sut.http.get(`/api/rollouts/${r.id}/events`).query({ after: events[2]!.id }).expect(200)).body.items).toEqual([]);
      await sut.http.post(`/api/rollouts/${r.id}/abort`).send({}).expect(200);
    });
  });

  describe('shadow', () => {
    it('serves the shadow candidate in the desired state (new etag), lets the device download it, and ingests its reports', async () => {
      const w = await createWorld(sut, 1, 'shadowing');
      const d = w.devices[0]!;
      const before = await desiredOf(d.auth);
      expect(before.shadow).toBeNull();
      const r = (
        await create({ modelId: w.modelId, version: 2, target: { group: w.group }, gates: { shadow: { sampleRate: 0.5 } } }).expect(201)
      ).body;
      // the controller's shadow step, on the same database (the worker starts only in the next block), announced
      // as the worker announces it
      const effects = noEffects();
      await sut.db.$transaction((tx) => setShadow(tx, { id: r.id, versionId: w.v2 }, [d.deviceId], 0.5, 'system', effects));
      await sut.app.get(DesiredNotifier).changed([...effects.deviceIds]);
      const state = await desiredOf(d.auth);
      expect(state.etag).not.toBe(before.etag);
      expect(state.assignment).toEqual(before.assignment);
      const variant = await sut.db.variant.findFirstOrThrow({ where: { versionId: w.v2, recommended: true } });
      expect(state.shadow).toMatchObject({
        rolloutId: r.id,
        sampleRate: 0.5,
        version: { id: w.v2, number: 2 },
        variant: { id: variant.id },
        artifactUrl: `/api/device/shadow/artifacts/${variant.id}`,
      });
      expect((await rolloutDevices(sut, r.id))[0]!.state).toBe('shadow');

      const download = await sut.http.get(state.shadow!.artifactUrl).set('authorization', d.auth).expect(200);
      expect(download.headers.etag).toContain(state.shadow!.sha256);
      // the served variant is not a shadow candidate; another device may not fetch this one
      expect(
        (await sut.http.get(`/api/device/shadow/artifacts/${state.assignment!.variant.id}`).set('authorization', d.auth).expect(403)).body
          .error,
      ).toBe('device/forbidden');
      const { token } = await createToken(sut, { group: 'outsiders' });
      const other = await enroll(sut, token);
      await sut.http.get(state.shadow!.artifactUrl).set('authorization', other.auth).expect(403);
      await sut.http.get(state.shadow!.artifactUrl).expect(401);

      const bucketStart = new Date(Math.floor(Date.now() / 60_000) * 60_000).toISOString();
      const item = {
        candidateVersionId: w.v2,
        baseVersionId: w.v1,
        bucketStart,
        samples: 40,
        top1Agree: 30,
        cosineSum: 38.5,
        candidateErrors: 1,
        candidateHistogram: [0, 0, 40, 0, 0, 0, 0, 0, 0, 0, 0],
      };
      expect(
        (
          await sut.http
            .post('/api/device/shadow')
            .set('authorization', d.auth)
            .send({ items: [item] })
            .expect(202)
        ).body,
      ).toEqual({ accepted: 1 });
      await sut.http
        .post('/api/device/shadow')
        .set('authorization', d.auth)
        .send({
          v: 1,
          items: [
            {
              ...item,
              samples: 10,
              top1Agree: 10,
              cosineSum: 10,
              candidateErrors: 0,
              candidateHistogram: [0, 0, 0, 10, 0, 0, 0, 0, 0, 0, 0],
            },
          ],
        })
        .expect(202);
      const rows = await sut.db.shadowBucket.findMany({ where: { deviceId: d.deviceId } });
      expect(rows).toHaveLength(1);
      expect(rows[0]).toMatchObject({
        candidateVersionId: w.v2,
        baseVersionId: w.v1,
        samples: 50,
        top1Agree: 40,
        cosineSum: 48.5,
        candidateErrors: 1,
        histogram: [0, 0, 40, 10, 0, 0, 0, 0, 0, 0, 0],
      });
      expect(rows[0]!.bucket.toISOString()).toBe(bucketStart);
      // validation and scoping
      await sut.http
        .post('/api/device/shadow')
        .set('authorization', d.auth)
        .send({ items: [{ ...item, top1Agree: 41 }] })
        .expect(400);
      await sut.http
        .post('/api/device/shadow')
        .set('authorization', d.auth)
        .send({ items: [{ ...item, candidateHistogram: [1] }] })
        .expect(400);
      expect(
        (
          await sut.http
            .post('/api/device/shadow')
            .set('authorization', d.auth)
            .send({ items: [{ ...item, candidateVersionId: '00000000-0000-4000-8000-000000000000' }] })
            .expect(404)
        ).body.error,
      ).toBe('version/not_found');
      await sut.http
        .post('/api/device/shadow')
        .send({ items: [item] })
        .expect(401);

      // abort ends the shadow: back to the state before, etag included
      await sut.http.post(`/api/rollouts/${r.id}/abort`).send({}).expect(200);
      const after = await desiredOf(d.auth);
      expect(after.shadow).toBeNull();
      expect(after.etag).toBe(before.etag);
      await sut.http.get(state.shadow!.artifactUrl).set('authorization', d.auth).expect(403);
    });
  });

  describe('abort and rollback (with the real worker switching devices)', () => {
    beforeAll(async () => {
      worker = await startWorker(sut);
    });

    it('abort returns every switched device to its previous version at once, and removes a first-time assignment', async () => {
      const w = await createWorld(sut, 3, 'aborting');
      // one device had nothing assigned before the rollout
      await sut.http.delete(`/api/devices/${w.devices[2]!.deviceId}/assignment`).expect(204);
      // default gates need telemetry nobody sends: the wave switches, then waits inconclusive
      const r = (await create({ modelId: w.modelId, version: 2, target: { group: w.group } }).expect(201)).body;
      await waitFor('all devices switched', async () => (await getRollout(sut, r.id)).counts.assigned === 3);
      for (const d of w.devices) expect((await desiredOf(d.auth)).assignment?.version.id).toBe(w.v2);
      const devices = await rolloutDevices(sut, r.id);
      expect(devices.find((d) => d.deviceId === w.devices[0]!.deviceId)?.previousVersion).toEqual({ id: w.v1, number: 1 });
      expect(devices.find((d) => d.deviceId === w.devices[2]!.deviceId)?.previousVersion).toBeNull();

      const aborted = (await sut.http.post(`/api/rollouts/${r.id}/abort`).send({ actor: 'bob', reason: 'customer complaint' }).expect(200))
        .body;
      expect(aborted).toMatchObject({ status: 'rolled_back', reason: 'customer complaint', counts: { rolled_back: 3, assigned: 0 } });
      expect(aborted.waves[0].phase).toBe('failed');
      expect((await desiredOf(w.devices[0]!.auth)).assignment?.version.id).toBe(w.v1);
      expect((await desiredOf(w.devices[1]!.auth)).assignment?.version.id).toBe(w.v1);
      expect((await desiredOf(w.devices[2]!.auth)).assignment).toBeNull();
      const events = await rolloutEvents(sut, r.id);
      expect(events.filter((e) => e.kind === 'device' && e.to === 'rolled_back')).toHaveLength(3);
      expect(
        events
          .filter((e) => e.kind !== 'device')
          .slice(-2)
          .map((e) => e.kind),
      ).toEqual(['rollback.started', 'rolled_back']);
      expect((await sut.http.post(`/api/rollouts/${r.id}/abort`).send({}).expect(409)).body.error).toBe('rollout/invalid_state');
      expect((await sut.http.post(`/api/rollouts/${r.id}/rollback`).send({}).expect(409)).body.error).toBe('rollout/invalid_state');
    });

    it('rolls a completed rollout back with one call: every device returns to the previous version', async () => {
      const w = await createWorld(sut, 3, 'completed');
      const before = await desiredOf(w.devices[0]!.auth);
      expect(before.assignment?.version.id).toBe(w.v1);
      const r = (
        await create({
          modelId: w.modelId,
          version: 2,
          target: { group: w.group },
          strategy: { kind: 'canary', waves: [34, 100], bakeTimeS: 0 },
          gates: HEALTH_ONLY,
        }).expect(201)
      ).body;
      const done = await waitFor('completed', async () => {
        const x = await getRollout(sut, r.id);
        return x.status === 'completed' ? x : null;
      });
      expect(done.waves.map((x) => x.phase)).toEqual(['passed', 'passed']);
      expect(done.finishedAt).not.toBeNull();
      const during = await desiredOf(w.devices[0]!.auth);
      expect(during.assignment?.version.id).toBe(w.v2);
      expect(during.etag).not.toBe(before.etag);
      // a completed rollout holds no device: can't be aborted, but can be rolled back
      expect((await sut.http.post(`/api/rollouts/${r.id}/abort`).send({}).expect(409)).body.error).toBe('rollout/invalid_state');

      const back = (await sut.http.post(`/api/rollouts/${r.id}/rollback`).send({ actor: 'carol', reason: 'field reports' }).expect(200))
        .body;
      expect(back).toMatchObject({ status: 'rolled_back', reason: 'field reports' });
      for (const d of w.devices) expect((await desiredOf(d.auth)).assignment?.version.id).toBe(w.v1);
      expect((await desiredOf(w.devices[0]!.auth)).etag).toBe(before.etag);
      const device = (await sut.http.get(`/api/devices/${w.devices[0]!.deviceId}`).expect(200)).body;
      expect(device.assignment).toMatchObject({ versionId: w.v1, source: 'rollout' });
      const kinds = (await rolloutEvents(sut, r.id)).filter((e) => e.kind !== 'device').map((e) => e.kind);
      expect(kinds).toEqual([
        'created',
        'wave.started',
        'wave.switched',
        'wave.verdict',
        'wave.passed',
        'wave.started',
        'wave.switched',
        'wave.verdict',
        'wave.passed',
        'completed',
        'rollback.started',
        'rolled_back',
      ]);
      expect((await sut.http.post(`/api/rollouts/${r.id}/rollback`).send({}).expect(409)).body.error).toBe('rollout/invalid_state');
    });
  });
});
